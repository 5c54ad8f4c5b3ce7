/**
 * The gateway's signed statement of the verified caller, sent to subgraphs in the
 * `x-lien-thong-caller` header so that a subgraph reached directly, without the gateway, cannot
 * be told who is calling by whoever reaches it. One assertion serves one call: it names the
 * subgraph (`aud`), the hash of the call's query and variables (`qh`), the millisecond it was issued
 * (`iat_ms`), and a unique id (`jti`) that the subgraph accepts once (lib/access/replay-store.ts: once
 * across every instance sharing a replay store, and across restarts) — a captured assertion cannot be
 * replayed, sent to another subgraph, or reused for another query.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { z } from 'zod';
import type { Caller } from './caller.ts';

export const CALLER_ASSERTION_ISSUER = 'lien-thong-gateway';
/** Audience prefix; the audience of an assertion is `lien-thong-subgraph:<system>`. */
export const CALLER_ASSERTION_AUDIENCE = 'lien-thong-subgraph';
/** Explicit type, so no other HS256 token under the same secret can pass as a caller assertion. */
const CALLER_ASSERTION_TYPE = 'lien-thong-caller+jwt';
export { MIN_CALLER_SECRET_LENGTH as MIN_SECRET_LENGTH } from '../runtime/settings.ts';
import { CALLER_ASSERTION_SECRET, MIN_CALLER_SECRET_LENGTH as MIN_SECRET_LENGTH, readSetting, type Environment } from '../runtime/settings.ts';
/**
 * The gateway signs each assertion right before its call, and the subgraph checks it as soon as the
 * call's body is read: the lifetime only has to cover the trip there, within the call's own deadline
 * (`x-deadline-ms`, at most `REQUEST_TIMEOUT_MS`, 10 s by default). Every second more is a second
 * more a captured assertion is worth trying and a replay store must remember it.
 */
const DEFAULT_TTL_SECONDS = 10;
/** Gateway and subgraphs may run on different hosts: expiry is judged with this much leeway. */
export const CLOCK_TOLERANCE_MS = 5000;

const officerSchema = z.strictObject({
  kind: z.literal('officer'),
  agency: z.string().regex(/^[A-Z0-9-]{2,20}$/),
  officer: z.string().min(1).max(128),
  roles: z.array(z.string().min(1).max(128)),
  purpose: z.string().min(1).max(40).nullable(),
  caseNumber: z.string().min(1).max(60).nullable(),
  issuer: z.string().min(1),
});
const citizenSchema = z.strictObject({
  kind: z.literal('citizen'),
  personalId: z.string().regex(/^[0-9]{12}$/),
  issuer: z.string().min(1),
});
const callerSchema = z.discriminatedUnion('kind', [officerSchema, citizenSchema]);
const requestIdSchema = z.string().min(1).max(200);

export interface SignCallerAssertionOptions {
  secret: Uint8Array;
  requestId: string;
  /** The subgraph the call goes to (its system id). */
  subgraph: string;
  /** `callHash(query, variables)` of the call. */
  queryHash: string;
  ttlSeconds?: number;
}

export interface VerifyCallerAssertionOptions {
  /** This subgraph's system id: the assertion must name it. */
  subgraph: string;
  /** `callHash` of the call received: the assertion must name it. */
  queryHash: string;
  /** When given, the assertion must have been issued for this request id (`rid`). */
  requestId?: string;
}

/** What an assertion is bound to: the call's query and variables, as sent. */
export function callHash(query: string, variables: unknown): string {
  return createHash('sha256')
    .update(query)
    .update('\n')
    .update(JSON.stringify(variables ?? {}))
    .digest('base64url');
}

const audienceOf = (subgraph: string) => `${CALLER_ASSERTION_AUDIENCE}:${subgraph}`;

// Signers and verifiers are made once per secret and subgraph. fast-jwt signs and verifies HS256
// with node:crypto, synchronously: jose's WebCrypto path cost about 1.5 ms of CPU per portal answer
// (one assertion per subgraph call), fast-jwt a tenth of that (docs/BENCHMARKS.md).
type Sign = (payload: Record<string, unknown>) => string;
type Verify = (token: string) => Record<string, unknown>;
const signers = new WeakMap<Uint8Array, Map<string, Sign>>();
const verifiers = new WeakMap<Uint8Array, Map<string, Verify>>();

function once<T>(cache: WeakMap<Uint8Array, Map<string, T>>, secret: Uint8Array, subgraph: string, make: () => T): T {
  let bySubgraph = cache.get(secret);
  if (!bySubgraph) cache.set(secret, (bySubgraph = new Map()));
  let made = bySubgraph.get(subgraph);
  if (!made) bySubgraph.set(subgraph, (made = make()));
  return made;
}

export class CallerAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallerAssertionError';
  }
}

function checkSecret(secret: Uint8Array): void {
  if (secret.byteLength < MIN_SECRET_LENGTH) {
    throw new CallerAssertionError(`the caller assertion secret must be at least ${MIN_SECRET_LENGTH} bytes`);
  }
}

export async function signCallerAssertion(caller: Caller, { subgraph, queryHash, ...request }: SignCallerAssertionOptions): Promise<string> {
  return callerAssertionSigner(caller, request)(subgraph, queryHash);
}

/**
 * Signs the assertions of one request: the caller and request id are checked once, then each call
 * costs one signature (a portal answer makes about five subgraph calls).
 */
export function callerAssertionSigner(
  caller: Caller,
  { secret, requestId, ttlSeconds = DEFAULT_TTL_SECONDS }: Omit<SignCallerAssertionOptions, 'subgraph' | 'queryHash'>,
): (subgraph: string, queryHash: string) => Promise<string> {
  checkSecret(secret);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new CallerAssertionError('ttlSeconds must be a positive integer');
  const claims = { caller: callerSchema.parse(caller), rid: requestIdSchema.parse(requestId) };
  return async (subgraph, queryHash) => {
    const sign: Sign = once(signers, secret, `${subgraph}\n${ttlSeconds}`, () =>
      createSigner({
        key: Buffer.from(secret),
        algorithm: 'HS256',
        iss: CALLER_ASSERTION_ISSUER,
        aud: audienceOf(subgraph),
        expiresIn: ttlSeconds * 1000,
        header: { alg: 'HS256', typ: CALLER_ASSERTION_TYPE },
      }),
    );
    // fast-jwt's `iat` is in whole seconds; `iat_ms` lets a restarted subgraph tell what was issued before it started.
    return sign({ ...claims, qh: queryHash, jti: randomUUID(), iat_ms: Date.now() });
  };
}

/** A verified assertion: the caller, and what the replay check needs. */
export interface VerifiedCallerAssertion {
  caller: Caller;
  /** `jti`. */
  id: string;
  /** `exp`, seconds since epoch (gateway clock). */
  expiresAt: number;
  /** `iat_ms`, milliseconds since epoch (gateway clock). */
  issuedAtMs: number;
}

const issuedAtMsSchema = z.number().int().nonnegative();

/**
 * The caller the gateway vouched for, with the assertion's id, expiry and issue time (for the replay
 * check). Throws on a bad signature, wrong issuer, type or subgraph, another call's hash, expiry or a
 * malformed claim.
 */
export async function verifyCallerAssertion(token: string, secret: Uint8Array, options: VerifyCallerAssertionOptions): Promise<VerifiedCallerAssertion> {
  checkSecret(secret);
  const verify: Verify = once(verifiers, secret, options.subgraph, () =>
    createVerifier({
      key: Buffer.from(secret),
      algorithms: ['HS256'],
      allowedIss: CALLER_ASSERTION_ISSUER,
      allowedAud: audienceOf(options.subgraph),
      checkTyp: CALLER_ASSERTION_TYPE,
      requiredClaims: ['exp', 'iat', 'jti', 'rid', 'qh', 'caller'],
      clockTolerance: CLOCK_TOLERANCE_MS,
    }),
  );
  let payload: Record<string, unknown>;
  try {
    payload = verify(token);
  } catch (error) {
    // fast-jwt's messages name claims, never the token or its values, so they are safe to pass on.
    const reason = error instanceof TokenError ? error.message : 'it cannot be verified';
    throw new CallerAssertionError(`caller assertion rejected: ${reason}`);
  }
  const caller = callerSchema.safeParse(payload.caller);
  if (!caller.success) throw new CallerAssertionError('caller assertion rejected: the caller claim is malformed');
  if (payload.qh !== options.queryHash) throw new CallerAssertionError('caller assertion rejected: issued for another query');
  if (options.requestId !== undefined && payload.rid !== options.requestId) {
    throw new CallerAssertionError('caller assertion rejected: issued for another request');
  }
  const issuedAtMs = issuedAtMsSchema.safeParse(payload.iat_ms);
  if (!issuedAtMs.success) throw new CallerAssertionError('caller assertion rejected: the iat_ms claim is missing or malformed');
  return { caller: caller.data, id: String(payload.jti), expiresAt: Number(payload.exp), issuedAtMs: issuedAtMs.data };
}

/**
 * Assertion ids already accepted, until they expire: each assertion is accepted once. Bounded: when
 * full, the subgraph refuses assertions rather than forgetting ids it must still refuse.
 */
export class AssertionReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  /** True the first time an id is seen (and records it); false for a replay or when full. */
  accept(id: string, expiresAt: number, now = Date.now() / 1000): boolean {
    if (this.seen.size >= this.capacity) this.prune(now);
    if (this.seen.has(id) || this.seen.size >= this.capacity) return false;
    this.seen.set(id, expiresAt + CLOCK_TOLERANCE_MS / 1000);
    return true;
  }

  private prune(now: number): void {
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
  }
}

/** `CALLER_ASSERTION_SECRET` (validated by its setting) as the key that signs and verifies; undefined when unset. */
export function callerAssertionSecret(secret: string | undefined): Uint8Array | undefined {
  return secret === undefined ? undefined : new TextEncoder().encode(secret);
}

export function callerAssertionSecretFromEnv(env: Environment): Uint8Array | undefined {
  return callerAssertionSecret(readSetting(CALLER_ASSERTION_SECRET, env));
}
