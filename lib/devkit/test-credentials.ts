import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, exportJWK, type CryptoKey, type JWK } from 'jose';
import { DEFAULT_AUDIENCE, sha256Hex, type AuthenticationConfig } from '../access/authentication.ts';
import { CASE_HEADER, PURPOSE_HEADER } from '../access/caller.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../access/policy.ts';
import type { GatewayAccessConfig } from '../../gateway/server.ts';
import type { AccessRecord } from '../access-log/types.ts';

/**
 * Credentials for tests: API keys of officers at four agencies (one an auditor), and identity
 * providers for officers and citizens whose tokens the tests sign themselves.
 */
export const TEST_API_KEYS = {
  /** BNNMT officer: the `land-registration` rule grants every category for `land-transfer`. */
  landOfficer: { key: 'test-key-land-officer-0000000000000000', agency: 'BNNMT', officer: 'can-bo-01', roles: [] as string[] },
  /** BTP officer: civil-status registration purposes, no land. */
  justiceOfficer: { key: 'test-key-justice-officer-000000000000', agency: 'BTP', officer: 'justice-officer-01', roles: [] as string[] },
  /** BHXH officer: the `social-insurance` rule, for its own procedures. */
  insuranceOfficer: { key: 'test-key-insurance-officer-0000000000', agency: 'BHXH', officer: 'can-bo-bhxh-01', roles: [] as string[] },
  /** BCA officer with the auditor role. */
  auditor: { key: 'test-key-auditor-00000000000000000000', agency: 'BCA', officer: 'kiem-tra-01', roles: ['auditor'] },
  /** An agency no rule names. */
  otherOfficer: { key: 'test-key-other-officer-00000000000000', agency: 'BXD', officer: 'other-01', roles: [] as string[] },
} as const;
export type TestApiKey = keyof typeof TEST_API_KEYS;

export const OFFICER_ISSUER = 'https://test.lien-thong.invalid/agency-idp';
export const CITIZEN_ISSUER = 'https://test.lien-thong.invalid/citizen-idp';

/** Who a test request is from; `null` sends no credential. */
export type TestCredential =
  null | { apiKey: TestApiKey; purpose?: string | null; caseNumber?: string | null } | { bearer: string; purpose?: string | null; caseNumber?: string | null };

/** By default: the land officer, for a land transfer, on one case. */
export const DEFAULT_CREDENTIAL: TestCredential = { apiKey: 'landOfficer', purpose: 'land-transfer', caseNumber: 'HS-2026-0001' };

export function credentialHeaders(credential: TestCredential): Record<string, string> {
  if (credential === null) return {};
  const headers: Record<string, string> = 'apiKey' in credential ? { 'x-api-key': TEST_API_KEYS[credential.apiKey].key } : { authorization: `Bearer ${credential.bearer}` };
  const purpose = credential.purpose === undefined ? 'land-transfer' : credential.purpose;
  const caseNumber = credential.caseNumber === undefined ? 'HS-2026-0001' : credential.caseNumber;
  if (purpose !== null) headers[PURPOSE_HEADER] = purpose;
  if (caseNumber !== null) headers[CASE_HEADER] = caseNumber;
  return headers;
}

export interface TestIssuers {
  authentication: AuthenticationConfig;
  /** Signs a token of the trusted officer issuer (claims override the defaults). */
  officerToken(claims?: Record<string, unknown>, options?: TokenOptions): Promise<string>;
  citizenToken(personalId: string, options?: TokenOptions): Promise<string>;
}

export interface TokenOptions {
  issuer?: string;
  audience?: string;
  /** Seconds since epoch. */
  issuedAt?: number;
  expiresAt?: number;
  /** Sign with this key instead of the issuer's own (a forgery). */
  key?: CryptoKey;
}

async function sign(key: CryptoKey, kid: string, issuer: string, subject: string, claims: Record<string, unknown>, options: TokenOptions) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? issuer)
    .setSubject(subject)
    .setAudience(options.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt(options.issuedAt ?? now)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .sign(options.key ?? key);
}

export async function createTestIssuers(): Promise<TestIssuers> {
  const officer = await generateKeyPair('ES256', { extractable: true });
  const citizen = await generateKeyPair('ES256', { extractable: true });
  const jwks = async (key: CryptoKey, kid: string): Promise<{ keys: JWK[] }> => ({ keys: [{ ...(await exportJWK(key)), kid, alg: 'ES256', use: 'sig' }] });
  return {
    authentication: {
      issuers: [
        { issuer: OFFICER_ISSUER, subjects: 'officer', jwks: await jwks(officer.publicKey, 'officer-1'), algorithms: ['ES256'] },
        { issuer: CITIZEN_ISSUER, subjects: 'citizen', jwks: await jwks(citizen.publicKey, 'citizen-1'), algorithms: ['ES256'] },
      ],
      apiKeys: Object.values(TEST_API_KEYS).map(({ key, agency, officer, roles }) => ({ keyHash: sha256Hex(key), agency, officer, roles: [...roles] })),
      audience: DEFAULT_AUDIENCE,
      clockToleranceSec: 5,
    },
    officerToken: (claims = {}, options = {}) =>
      sign(officer.privateKey, 'officer-1', OFFICER_ISSUER, typeof claims.sub === 'string' ? claims.sub : 'token-officer-01', { agency: 'BNNMT', ...claims }, options),
    citizenToken: (personalId, options = {}) => sign(citizen.privateKey, 'citizen-1', CITIZEN_ISSUER, `citizen-${personalId}`, { personal_id: personalId }, options),
  };
}

export const TEST_CALLER_SECRET = new TextEncoder().encode('test-caller-assertion-secret-0123456789');
export const TEST_CHAIN_KEY = 'test-access-log-chain-key-0123456789abcdef';

/** A temporary folder for a test's SQLite access log; `remove` deletes it. */
export function temporaryAccessLogPath(): { path: string; remove(): void } {
  const folder = mkdtempSync(join(tmpdir(), 'lien-thong-access-log-'));
  return { path: join(folder, 'access-log.sqlite'), remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export function testAccessConfig(
  authentication: AuthenticationConfig,
  log: { sqlitePath: string; databaseUrl?: string },
  overrides: Partial<GatewayAccessConfig> = {},
): GatewayAccessConfig {
  return {
    enabled: true,
    policy: loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE),
    authentication,
    callerSecret: TEST_CALLER_SECRET,
    log: { ...log, chainKey: TEST_CHAIN_KEY },
    publicDataRequiresCredentials: false,
    ...overrides,
  };
}

/** The variables a gateway needs to start, for tests that read their configuration from an environment. */
export function testEnvironment(accessLogPath: string): NodeJS.ProcessEnv {
  return {
    ACCESS_LOG_KEY: TEST_CHAIN_KEY,
    ACCESS_LOG_PATH: accessLogPath,
    CALLER_ASSERTION_SECRET: new TextDecoder().decode(TEST_CALLER_SECRET),
  };
}

/** The i-th access record of a test log: one agency and officer, a citizen and a case of its own. */
export function accessRecord(i: number, overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    at: new Date(Date.UTC(2025, 2, 1, 8, 0, 0, i)).toISOString(),
    requestId: `req-${i}`,
    agency: 'BTP',
    officer: 'can-bo-01',
    purpose: '1.001234',
    caseNumber: `HS-${i}`,
    personalId: `00108501${String(i).padStart(4, '0')}`,
    fields: ['fullName', 'landParcels.area'],
    deniedFields: [],
    outcome: 'RETURNED',
    ...overrides,
  };
}
