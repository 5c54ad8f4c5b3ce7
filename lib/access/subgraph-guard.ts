import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Logger } from '../runtime/logger.ts';
import { CallerAssertionError, callHash, verifyCallerAssertion, type VerifiedCallerAssertion } from './caller-assertion.ts';
import { CALLER_ASSERTION_HEADER, hasPurpose, type Caller } from './caller.ts';
import { assessOperation, localSchema, type AccessPolicy } from './policy.ts';
import { refusal } from './refusal.ts';
import { ReplayStoreUnavailableError, type ReplayStore, type ReplayStoreConfig, type ReplayVerdict } from './replay-store.ts';

/**
 * Defence in depth: a subgraph answers personal data only to a caller the gateway vouched for (a
 * signed caller assertion, accepted once), and only the fields the same access policy allows that
 * caller. The gateway never sends a denied field, so a refusal here means the subgraph was reached
 * some other way: the whole operation is refused.
 */
export interface SubgraphAccess {
  /** Off only from code, to measure what access control costs (`npm run bench:access`), with the gateway's off too. */
  enabled: boolean;
  policy: AccessPolicy;
  /** Shared with the gateway (`CALLER_ASSERTION_SECRET`); without it no caller can be verified. */
  callerSecret: Uint8Array | undefined;
  /** Where accepted assertions are remembered (lib/access/replay-store.ts); by default this process's memory, no skew. */
  replay?: ReplayStoreConfig;
}

/** Stable code of the 503 a subgraph answers when it cannot check an assertion against its replay store. */
export const REPLAY_STORE_UNAVAILABLE = 'REPLAY_STORE_UNAVAILABLE';

/** Why an assertion was not accepted, in `extensions.callerAssertion` of the 401. */
export const ASSERTION_REFUSALS = {
  replayed: { code: 'REPLAYED', why: 'caller assertion rejected: already used' },
  'predates-start': {
    code: 'ISSUED_BEFORE_START',
    why: 'caller assertion rejected: issued before this subgraph instance started, which cannot know whether it was used before',
  },
} as const satisfies Record<Exclude<ReplayVerdict, 'accepted'>, { code: string; why: string }>;

/** A verified assertion, not yet accepted: it is, once, only for an operation that reads personal data. */
export interface PendingCallerAssertion {
  caller: Caller;
  /** Records its use before any personal data is resolved; throws the refusal (401, or 503 {@link REPLAY_STORE_UNAVAILABLE}) otherwise. */
  accept(): Promise<void>;
}

export interface CallerFacts {
  /** The caller, once trusted: set by the guard when its assertion is accepted (or in-process by tests). */
  caller?: Caller;
  /** The caller a verified assertion names, before its one use is recorded. */
  callerAssertion?: PendingCallerAssertion;
  /** Why a caller assertion that was sent was not accepted. */
  callerRejected?: string;
  /** Set by the guard once the operation is known: whether it reads personal data; unset without a guard. */
  readsPersonalData?: boolean;
}

/** Verifies the caller assertions sent to one subgraph, each bound to its call and accepted once. */
export class CallerVerifier {
  constructor(
    private readonly subgraph: string,
    private readonly secret: Uint8Array | undefined,
    private readonly replays: ReplayStore,
    private readonly logger?: Logger,
  ) {}

  /** The caller of a GraphQL request, from its headers and its JSON body (`query`, `variables`). */
  async callerOf(headers: IncomingHttpHeaders, body: unknown): Promise<CallerFacts> {
    const raw = headers[CALLER_ASSERTION_HEADER];
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (!token) return {};
    if (!this.secret) return { callerRejected: 'this subgraph has no CALLER_ASSERTION_SECRET to verify callers with' };
    const { query, variables } = (body && typeof body === 'object' ? body : {}) as { query?: unknown; variables?: unknown };
    if (typeof query !== 'string') return { callerRejected: 'caller assertion rejected: no query to bind it to' };
    try {
      const verified = await verifyCallerAssertion(token, this.secret, { subgraph: this.subgraph, queryHash: callHash(query, variables) });
      return { callerAssertion: { caller: verified.caller, accept: () => this.accept(verified) } };
    } catch (error) {
      if (error instanceof CallerAssertionError) return { callerRejected: error.message };
      throw error;
    }
  }

  private async accept(verified: VerifiedCallerAssertion): Promise<void> {
    let verdict: ReplayVerdict;
    try {
      verdict = await this.replays.accept(verified);
    } catch (error) {
      if (!(error instanceof ReplayStoreUnavailableError)) throw error;
      this.logger?.warn({ subgraph: this.subgraph, reason: error.reason }, 'caller replay store unavailable: personal data refused');
      throw new GraphQLError(
        'This subgraph cannot check that the caller assertion was not used before (its replay store is unavailable), so no personal data is returned. Try again later.',
        { extensions: { code: REPLAY_STORE_UNAVAILABLE, http: { status: 503 } } },
      );
    }
    if (verdict === 'accepted') return;
    const { code, why } = ASSERTION_REFUSALS[verdict];
    throw refusal(401, personalDataRefusal(why), { callerAssertion: code });
  }
}

const personalDataRefusal = (why: string) => `Personal data is answered only to callers verified by the gateway (${why}).`;

/**
 * The subgraph's check of one operation against the access policy, before it runs: which personal
 * data it reads, whether the caller may read it, and the caller's assertion accepted (once) when it
 * does. Throws the refusal (401, 403, or 503 {@link REPLAY_STORE_UNAVAILABLE}); sets
 * `readsPersonalData` and, once accepted, `caller` on the context.
 */
export function operationGuard(policy: AccessPolicy) {
  return async (
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    contextValue: CallerFacts,
    variables: Record<string, unknown>,
  ): Promise<void> => {
    const pending = contextValue.caller ? undefined : contextValue.callerAssertion;
    const candidate = contextValue.caller ?? pending?.caller;
    const caller = hasPurpose(candidate) ? candidate : undefined;
    const assessment = assessOperation(localSchema(schema), document, operationName, policy, caller, variables);
    contextValue.readsPersonalData = assessment.personal;
    // Public data needs no caller: its assertion is not recorded (no replay store round trip).
    if (!assessment.personal) return;
    if (!caller) {
      throw refusal(401, personalDataRefusal(contextValue.callerRejected ?? 'no caller assertion from the gateway'));
    }
    // Before execution: nothing personal is resolved for an assertion used before.
    if (pending) {
      await pending.accept();
      contextValue.caller = caller;
    }
    if (assessment.denied.length > 0) {
      throw refusal(403, assessment.denied.map((denial) => denial.message).join(' '));
    }
  };
}
