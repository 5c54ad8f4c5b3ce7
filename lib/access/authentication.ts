/**
 * Verifies the credential a request carries — an identity provider's JWT or an agency API key —
 * and turns it into a `Caller`. A request with no credential at all is anonymous (programme
 * statistics need none); a request whose credential does not verify is refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { dirname, resolve } from 'node:path';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWSAlgorithm,
  type JWTPayload,
  type JWTVerifyOptions,
  type LocalJWKSet,
} from 'jose';
import { z } from 'zod';
import { AUTHENTICATION_SETTINGS, MAX_CLOCK_TOLERANCE_SEC, parseSettings, type Environment, type Settings } from '../runtime/settings.ts';
import { CASE_HEADER, PURPOSE_HEADER, type Caller, type CitizenCaller, type OfficerCaller } from './caller.ts';

export type IssuerSubjects = 'officer' | 'citizen';

/** An identity provider whose tokens are accepted: for officers or for citizens, never both. */
export interface TrustedIssuer {
  issuer: string;
  subjects: IssuerSubjects;
  /** Public keys only. */
  jwks: JSONWebKeySet;
  algorithms: string[];
}

export interface ApiKeyEntry {
  /** SHA-256 (hex) of the key; the key itself is never stored. */
  keyHash: string;
  agency: string;
  officer: string;
  roles: string[];
}

export interface AuthenticationConfig {
  issuers: TrustedIssuer[];
  apiKeys: ApiKeyEntry[];
  audience: string;
  clockToleranceSec: number;
}

export { DEFAULT_AUDIENCE, DEFAULT_CLOCK_TOLERANCE_SEC, MAX_CLOCK_TOLERANCE_SEC } from '../runtime/settings.ts';
export const MAX_TOKEN_AGE = '12h';
/** Asymmetric only: an HMAC algorithm would let anyone holding the issuer's public key mint tokens. */
export const ALLOWED_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const satisfies readonly JWSAlgorithm[];
export const API_KEY_ISSUER = 'api-key';

export const AGENCY_PATTERN = /^[A-Z0-9-]{2,20}$/;
const PERSONAL_ID_PATTERN = /^[0-9]{12}$/;
const PURPOSE_PATTERN = /^[A-Za-z0-9.\-_]{1,40}$/;
const CASE_NUMBER_PATTERN = /^[\p{L}\p{N}.\-_/ ]{1,60}$/u;
const KEY_HASH_PATTERN = /^[0-9a-f]{64}$/;
/** Subjects and roles end up in the access log: printable, bounded. */
const IDENTIFIER_PATTERN = /^[^\p{Cc}\p{Cf}]{1,128}$/u;
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_API_KEY_LENGTH = 512;

/** A credential was sent but is not acceptable. The message is safe to return to the client. */
export class AuthenticationError extends Error {
  readonly code = 'UNAUTHENTICATED';

  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration from files

const jwkSchema = z
  .looseObject({ kty: z.string().min(1) })
  .refine((jwk) => !('d' in jwk), { message: 'contains private key material ("d"); publish public keys only' })
  .refine((jwk) => jwk.kty !== 'oct', { message: 'is a symmetric ("oct") key; only public keys are accepted' });
const jwksSchema = z.strictObject({ keys: z.array(jwkSchema).min(1, 'must hold at least one key') });

const algorithmSchema = z.enum(ALLOWED_ALGORITHMS, {
  error: `algorithm must be one of ${ALLOWED_ALGORITHMS.join(', ')}`,
});

const issuerEntrySchema = z
  .strictObject({
    issuer: z.string().min(1),
    subjects: z.enum(['officer', 'citizen']),
    jwks: z.unknown().optional(),
    jwksFile: z.string().min(1).optional(),
    algorithms: z.array(algorithmSchema).min(1).optional(),
  })
  .refine((entry) => (entry.jwks === undefined) !== (entry.jwksFile === undefined), {
    message: 'give exactly one of "jwks" and "jwksFile"',
  });
const issuersFileSchema = z.array(issuerEntrySchema);

const apiKeyEntrySchema = z
  .strictObject({
    keyHash: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'keyHash must be the SHA-256 of the key as 64 hex digits')
      .optional(),
    key: z.string().min(16, 'key must be at least 16 characters').max(MAX_API_KEY_LENGTH).optional(),
    agency: z.string().regex(AGENCY_PATTERN, 'agency must be an agency code (A-Z, 0-9, "-", 2 to 20 characters)'),
    officer: z.string().regex(IDENTIFIER_PATTERN, 'officer must be 1 to 128 printable characters'),
    roles: z.array(z.string().regex(IDENTIFIER_PATTERN)).optional(),
  })
  .refine((entry) => (entry.keyHash === undefined) !== (entry.key === undefined), {
    message: 'give exactly one of "keyHash" and "key"',
  });
const apiKeysFileSchema = z.array(apiKeyEntrySchema);

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`).join('; ');
}

function readJsonFile(variable: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`${variable} file ${path} cannot be read (${code})`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${variable} file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function parseFile<T>(variable: string, path: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${variable} file ${path} is invalid: ${describeIssues(result.error)}`);
  return result.data;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function loadTrustedIssuers(path: string): TrustedIssuer[] {
  const variable = 'AUTH_ISSUERS_FILE';
  const entries = parseFile(variable, path, issuersFileSchema, readJsonFile(variable, path));
  return entries.map((entry) => {
    let jwks: JSONWebKeySet;
    if (entry.jwksFile !== undefined) {
      const jwksPath = resolve(dirname(path), entry.jwksFile);
      jwks = parseFile(`JWKS of ${entry.issuer} (${variable})`, jwksPath, jwksSchema, readJsonFile(variable, jwksPath)) as JSONWebKeySet;
    } else {
      const result = jwksSchema.safeParse(entry.jwks);
      if (!result.success) {
        throw new Error(`${variable} file ${path} is invalid: jwks of ${entry.issuer}: ${describeIssues(result.error)}`);
      }
      jwks = result.data as JSONWebKeySet;
    }
    return { issuer: entry.issuer, subjects: entry.subjects, jwks, algorithms: entry.algorithms ?? [...ALLOWED_ALGORITHMS] };
  });
}

export function loadApiKeys(path: string, production: boolean): ApiKeyEntry[] {
  const variable = 'API_KEYS_FILE';
  const entries = parseFile(variable, path, apiKeysFileSchema, readJsonFile(variable, path));
  return entries.map((entry, index) => {
    let keyHash: string;
    if (entry.key !== undefined) {
      if (production) {
        throw new Error(`${variable} file ${path} is invalid: entry ${index} holds a plain "key"; in production store only "keyHash" (SHA-256 hex of the key)`);
      }
      keyHash = sha256Hex(entry.key);
    } else {
      keyHash = (entry.keyHash ?? '').toLowerCase();
    }
    return { keyHash, agency: entry.agency, officer: entry.officer, roles: entry.roles ?? [] };
  });
}

/**
 * The authenticator's configuration from its settings (`AUTH_ISSUERS_FILE`, `API_KEYS_FILE`,
 * `AUTH_AUDIENCE`, `AUTH_CLOCK_TOLERANCE_S`): the files are read here. With neither file set nothing
 * is trusted, so every credential is refused and only anonymous requests remain.
 */
export function authenticationConfig(settings: Settings<typeof AUTHENTICATION_SETTINGS>): AuthenticationConfig {
  const config: AuthenticationConfig = {
    issuers: settings.issuersFile === undefined ? [] : loadTrustedIssuers(resolve(settings.issuersFile)),
    apiKeys: settings.apiKeysFile === undefined ? [] : loadApiKeys(resolve(settings.apiKeysFile), settings.nodeEnv === 'production'),
    audience: settings.audience,
    clockToleranceSec: settings.clockToleranceSec,
  };
  validateConfig(config);
  return config;
}

export function authenticationConfigFromEnv(env: Environment): AuthenticationConfig {
  return authenticationConfig(parseSettings(AUTHENTICATION_SETTINGS, env));
}

/** Checks a config however it was built, so a hand-made one cannot trust HMAC or duplicate issuers. */
function validateConfig(config: AuthenticationConfig): void {
  const seen = new Set<string>();
  for (const issuer of config.issuers) {
    if (issuer.issuer === '' || issuer.issuer === API_KEY_ISSUER) {
      throw new Error(`Trusted issuer "${issuer.issuer}" has a reserved or empty name`);
    }
    if (seen.has(issuer.issuer)) {
      throw new Error(`Trusted issuer ${issuer.issuer} is listed twice; an issuer is trusted for officers or for citizens, not both`);
    }
    seen.add(issuer.issuer);
    if (issuer.subjects !== 'officer' && issuer.subjects !== 'citizen') {
      throw new Error(`Trusted issuer ${issuer.issuer} must have subjects "officer" or "citizen"`);
    }
    if (issuer.algorithms.length === 0 || !issuer.algorithms.every(isAllowedAlgorithm)) {
      throw new Error(`Trusted issuer ${issuer.issuer} must list algorithms among ${ALLOWED_ALGORITHMS.join(', ')}`);
    }
    const jwks = jwksSchema.safeParse(issuer.jwks);
    if (!jwks.success) throw new Error(`Trusted issuer ${issuer.issuer} has an invalid JWKS: ${describeIssues(jwks.error)}`);
  }
  const hashes = new Set<string>();
  config.apiKeys.forEach((entry, index) => {
    if (!KEY_HASH_PATTERN.test(entry.keyHash)) throw new Error(`API key entry ${index} must have a lowercase SHA-256 hex keyHash`);
    if (hashes.has(entry.keyHash)) throw new Error(`API key entry ${index} repeats the key of an earlier entry`);
    hashes.add(entry.keyHash);
    if (!AGENCY_PATTERN.test(entry.agency)) throw new Error(`API key entry ${index} has an invalid agency code`);
    if (!IDENTIFIER_PATTERN.test(entry.officer)) throw new Error(`API key entry ${index} has an invalid officer`);
  });
  if (config.audience === '') throw new Error('The authentication audience must not be empty');
  if (!Number.isInteger(config.clockToleranceSec) || config.clockToleranceSec < 0 || config.clockToleranceSec > MAX_CLOCK_TOLERANCE_SEC) {
    throw new Error(`The clock tolerance must be 0 to ${MAX_CLOCK_TOLERANCE_SEC} seconds`);
  }
}

function isAllowedAlgorithm(algorithm: string): algorithm is (typeof ALLOWED_ALGORITHMS)[number] {
  return (ALLOWED_ALGORITHMS as readonly string[]).includes(algorithm);
}

// ---------------------------------------------------------------------------------------------
// Verification

interface PreparedIssuer {
  issuer: string;
  subjects: IssuerSubjects;
  keySet: LocalJWKSet;
  options: JWTVerifyOptions;
}

interface PreparedApiKey {
  hash: Buffer;
  caller: Omit<OfficerCaller, 'purpose' | 'caseNumber'>;
}

export class Authenticator {
  readonly #issuers = new Map<string, PreparedIssuer>();
  readonly #apiKeys: PreparedApiKey[];

  constructor(config: AuthenticationConfig) {
    validateConfig(config);
    for (const trusted of config.issuers) {
      this.#issuers.set(trusted.issuer, {
        issuer: trusted.issuer,
        subjects: trusted.subjects,
        keySet: createLocalJWKSet(trusted.jwks),
        options: {
          issuer: trusted.issuer,
          audience: config.audience,
          algorithms: trusted.algorithms.filter(isAllowedAlgorithm),
          clockTolerance: config.clockToleranceSec,
          requiredClaims: ['exp', 'iat', 'sub'],
          maxTokenAge: MAX_TOKEN_AGE,
        },
      });
    }
    this.#apiKeys = config.apiKeys.map((entry) => ({
      hash: Buffer.from(entry.keyHash, 'hex'),
      caller: { kind: 'officer', agency: entry.agency, officer: entry.officer, roles: [...entry.roles], issuer: API_KEY_ISSUER },
    }));
  }

  /**
   * The verified caller; undefined when the request carries no credential at all. Throws
   * `AuthenticationError` when a credential is present but not acceptable.
   */
  async authenticate(headers: IncomingHttpHeaders): Promise<Caller | undefined> {
    const authorization = headers.authorization;
    const apiKey = headers['x-api-key'];
    if (authorization !== undefined && apiKey !== undefined) {
      throw new AuthenticationError('send either an Authorization header or an x-api-key header, not both');
    }
    if (authorization !== undefined) return this.#fromBearer(authorization, headers);
    if (apiKey !== undefined) return this.#fromApiKey(apiKey, headers);
    return undefined;
  }

  async #fromBearer(authorization: string, headers: IncomingHttpHeaders): Promise<Caller> {
    const match = authorization.length <= MAX_TOKEN_LENGTH ? BEARER_PATTERN.exec(authorization.trim()) : null;
    const token = match?.[1];
    if (token === undefined) {
      throw new AuthenticationError('malformed Authorization header: expected "Bearer <JWT>"');
    }
    let claimedIssuer: unknown;
    let algorithm: unknown;
    try {
      algorithm = decodeProtectedHeader(token).alg;
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw new AuthenticationError('malformed token: not a JSON Web Token');
    }
    if (algorithm === 'none') throw new AuthenticationError('token is unsigned (alg "none") and is not accepted');
    const trusted = typeof claimedIssuer === 'string' ? this.#issuers.get(claimedIssuer) : undefined;
    if (trusted === undefined) {
      throw new AuthenticationError(claimedIssuer === undefined ? 'token lacks the iss claim' : 'token issuer is not trusted');
    }
    if (typeof algorithm !== 'string' || !trusted.options.algorithms?.includes(algorithm as JWSAlgorithm)) {
      throw new AuthenticationError('token algorithm is not accepted for its issuer');
    }
    const payload = await this.#verify(token, trusted);
    return trusted.subjects === 'officer' ? officerFromClaims(payload, trusted.issuer, headers) : citizenFromClaims(payload, trusted.issuer);
  }

  async #verify(token: string, trusted: PreparedIssuer): Promise<JWTPayload> {
    try {
      return (await jwtVerify(token, trusted.keySet, trusted.options)).payload;
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys) return this.#verifyWithEachKey(token, trusted, error);
      throw translateJoseError(error);
    }
  }

  /** An issuer rotating keys without `kid`s: the token must verify under one of its keys. */
  async #verifyWithEachKey(token: string, trusted: PreparedIssuer, candidates: AsyncIterable<CryptoKey>): Promise<JWTPayload> {
    let lastError: unknown = new errors.JWSSignatureVerificationFailed();
    for await (const key of candidates) {
      try {
        return (await jwtVerify(token, key, trusted.options)).payload;
      } catch (error) {
        lastError = error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw translateJoseError(lastError);
  }

  #fromApiKey(header: string | string[], headers: IncomingHttpHeaders): OfficerCaller {
    if (typeof header !== 'string' || header.length === 0 || header.length > MAX_API_KEY_LENGTH || /[\s,]/.test(header)) {
      throw new AuthenticationError('malformed x-api-key header: send one key');
    }
    const presented = createHash('sha256').update(header, 'utf8').digest();
    let found: PreparedApiKey | undefined;
    // Every entry is compared, so the time taken does not tell how many stored keys were tried.
    for (const entry of this.#apiKeys) {
      if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry;
    }
    if (found === undefined) throw new AuthenticationError('unknown API key');
    return { ...found.caller, roles: [...found.caller.roles], ...purposeFromHeaders(headers) };
  }
}

function translateJoseError(error: unknown): unknown {
  if (error instanceof errors.JWTExpired) {
    return new AuthenticationError(error.claim === 'iat' ? `token is too old: issued more than ${MAX_TOKEN_AGE} ago` : 'token expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new AuthenticationError(`token lacks the ${error.claim} claim`);
    switch (error.claim) {
      case 'nbf':
        return new AuthenticationError('token is not yet valid (nbf is in the future)');
      case 'iat':
        return new AuthenticationError('token issue time (iat) is in the future');
      case 'aud':
        return new AuthenticationError('token audience does not include this gateway');
      case 'iss':
        return new AuthenticationError('token issuer is not trusted');
      default:
        return new AuthenticationError(`token ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthenticationError('token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new AuthenticationError('token signature does not verify: no key of its issuer matches the token');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthenticationError('token algorithm is not accepted for its issuer');
  }
  if (error instanceof errors.JOSEError) return new AuthenticationError('malformed token');
  return error;
}

function checkedSubject(payload: JWTPayload): string {
  if (typeof payload.sub !== 'string' || !IDENTIFIER_PATTERN.test(payload.sub)) {
    throw new AuthenticationError('token sub claim must be 1 to 128 printable characters');
  }
  return payload.sub;
}

function officerFromClaims(payload: JWTPayload, issuer: string, headers: IncomingHttpHeaders): OfficerCaller {
  const officer = checkedSubject(payload);
  const { agency, roles: rolesClaim } = payload;
  if (agency === undefined) throw new AuthenticationError('token lacks the agency claim');
  if (typeof agency !== 'string' || !AGENCY_PATTERN.test(agency)) {
    throw new AuthenticationError('token agency claim must be an agency code (A-Z, 0-9, "-", 2 to 20 characters)');
  }
  let roles: string[] = [];
  if (rolesClaim !== undefined) {
    if (!Array.isArray(rolesClaim) || !rolesClaim.every((role): role is string => typeof role === 'string' && IDENTIFIER_PATTERN.test(role))) {
      throw new AuthenticationError('token roles claim must be a list of role names');
    }
    roles = [...new Set(rolesClaim)];
  }
  return { kind: 'officer', agency, officer, roles, issuer, ...purposeFromHeaders(headers) };
}

function citizenFromClaims(payload: JWTPayload, issuer: string): CitizenCaller {
  checkedSubject(payload);
  // A citizen identity provider cannot vouch for an officer; a token that tries is refused outright.
  for (const claim of ['agency', 'roles'] as const) {
    if (payload[claim] !== undefined) {
      throw new AuthenticationError(`token from a citizen identity provider must not carry the ${claim} claim`);
    }
  }
  const personalId = payload.personal_id;
  if (personalId === undefined) throw new AuthenticationError('token lacks the personal_id claim');
  if (typeof personalId !== 'string' || !PERSONAL_ID_PATTERN.test(personalId)) {
    throw new AuthenticationError('token personal_id claim must be 12 ASCII digits');
  }
  return { kind: 'citizen', personalId, issuer };
}

function purposeFromHeaders(headers: IncomingHttpHeaders): Pick<OfficerCaller, 'purpose' | 'caseNumber'> {
  return {
    purpose: optionalHeader(headers, PURPOSE_HEADER, PURPOSE_PATTERN, 'an administrative-procedure code (A-Z, a-z, 0-9, ".", "-", "_", 1 to 40 characters)'),
    caseNumber: optionalHeader(headers, CASE_HEADER, CASE_NUMBER_PATTERN, 'a case number (letters, digits, ".", "-", "_", "/", space, 1 to 60 characters)'),
  };
}

function optionalHeader(headers: IncomingHttpHeaders, name: string, pattern: RegExp, expected: string): string | null {
  const raw = headers[name];
  if (raw === undefined) return null;
  if (typeof raw !== 'string') throw new AuthenticationError(`malformed ${name} header: send it once`);
  const value = raw.trim();
  if (!pattern.test(value)) throw new AuthenticationError(`malformed ${name} header: expected ${expected}`);
  return value;
}
