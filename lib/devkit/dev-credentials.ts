/**
 * Development credentials for `npm start`: two identity providers (one for officers, one for
 * citizens), an API key and the gateway's secrets, kept in the gitignored `.dev/` folder so that
 * tokens printed on one start still work on the next.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import { DEFAULT_AUDIENCE, sha256Hex, type TrustedIssuer } from '../access/authentication.ts';
import { EXAMPLE_PURPOSE } from '../access/caller.ts';
import { REPO_ROOT } from './repository.ts';
import { isSet, NODE_ENV, readSetting } from '../runtime/settings.ts';

export const DEV_OFFICER_ISSUER = 'https://dev.lien-thong.invalid/agency-idp';
export const DEV_CITIZEN_ISSUER = 'https://dev.lien-thong.invalid/citizen-idp';
/**
 * The development officer's agency: Bộ Nông nghiệp và Môi trường, which owns the land database and is
 * the `land-registration` grantee from 2025-03-01 (Bộ Tài nguyên và Môi trường, BTNMT, before it).
 */
export const DEV_OFFICER_AGENCY = 'BNNMT';
const DEV_FOLDER = '.dev';
const ALGORITHM = 'ES256';
const TOKEN_LIFETIME = '12h';

const FILES = {
  officerKey: 'officer-idp.private.jwk.json',
  citizenKey: 'citizen-idp.private.jwk.json',
  issuers: 'issuers.json',
  apiKeys: 'api-keys.json',
  apiKey: 'api-key.secret',
  secrets: 'secrets.json',
  credentialsEnv: 'credentials.env',
  accessLog: 'access-log.sqlite',
} as const;

/** A type alias, not an interface, so that it can be passed wherever a `NodeJS.ProcessEnv` is taken. */
export type DevEnvironment = {
  AUTH_ISSUERS_FILE: string;
  API_KEYS_FILE: string;
  CALLER_ASSERTION_SECRET: string;
  ACCESS_LOG_KEY: string;
  ACCESS_LOG_PATH: string;
  /** The development API key, offered by the query page in development (gateway/query-page.ts). */
  QUERY_PAGE_API_KEY_FILE: string;
};

/** Example credentials, freshly signed on every call and valid for 12 hours. */
export interface DevCredentials {
  /** Bearer token of officer `can-bo-01` at BNNMT (the Ministry of Agriculture and Environment), whose land registration rule grants every category for `land-transfer`. */
  officer: string;
  /** Bearer token of officer `can-bo-bhxh-01` at BHXH (Bảo hiểm xã hội Việt Nam), whose social-insurance rule grants its own procedures the insurance record. */
  insuranceOfficer: string;
  /** Bearer token of officer `kiem-tra-01` at BCA with the `auditor` role. */
  auditor: string;
  /** Bearer token of the citizen with personal ID 001085012345. */
  citizen: string;
  /** `x-api-key` of `dev-officer` at BNNMT. */
  apiKey: string;
}

const privateJwkSchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
});
type PrivateJwk = z.infer<typeof privateJwkSchema>;

const secretsSchema = z.strictObject({
  callerAssertionSecret: z.string().min(32),
  accessLogKey: z.string().min(32),
});
type DevSecrets = z.infer<typeof secretsSchema>;

const apiKeySchema = z.string().regex(/^[A-Za-z0-9_-]{32,200}$/);

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Creates `path` with `content` unless it exists, atomically: a concurrent start either wins or
 * reads the winner's file, never a half-written one.
 */
function createIfAbsent(path: string, content: string, mode: number): void {
  if (existsSync(path)) return;
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** Files derived from the keys are rewritten only when their content would change. */
function writeIfChanged(path: string, content: string, mode: number): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode, flag: 'wx' });
  renameSync(temporary, path);
}

function readValidated<T>(path: string, schema: z.ZodType<T>, parseJson: boolean): T {
  let value: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    value = parseJson ? (JSON.parse(text) as unknown) : text.trim();
  } catch {
    throw new Error(`Development credential file ${path} cannot be read; delete the ${DEV_FOLDER}/ folder to create new credentials`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(`Development credential file ${path} is malformed; delete the ${DEV_FOLDER}/ folder to create new credentials`);
  }
  return result.data;
}

/** A secret file: made by `make` on the first run, kept owner-only, read back validated on every run. */
async function ensureSecretFile<T>(path: string, make: () => string | Promise<string>, schema: z.ZodType<T>, parseJson: boolean): Promise<T> {
  if (!existsSync(path)) createIfAbsent(path, await make(), 0o600);
  chmodSync(path, 0o600);
  return readValidated(path, schema, parseJson);
}

async function newPrivateKey(): Promise<string> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });
  return `${JSON.stringify({ ...jwk, kid, alg: ALGORITHM, use: 'sig' }, null, 2)}\n`;
}

function publicJwk(key: PrivateJwk): JWK {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, kid: key.kid, alg: ALGORITHM, use: 'sig' };
}

function environmentFor(folder: string, secrets: DevSecrets): DevEnvironment {
  return {
    AUTH_ISSUERS_FILE: join(folder, FILES.issuers),
    API_KEYS_FILE: join(folder, FILES.apiKeys),
    CALLER_ASSERTION_SECRET: secrets.callerAssertionSecret,
    ACCESS_LOG_KEY: secrets.accessLogKey,
    ACCESS_LOG_PATH: join(folder, FILES.accessLog),
    QUERY_PAGE_API_KEY_FILE: join(folder, FILES.apiKey),
  };
}

async function signToken(key: PrivateJwk, issuer: string, subject: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(subject)
    .setAudience(DEFAULT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(TOKEN_LIFETIME)
    .sign(await importJWK(key, ALGORITHM));
}

/**
 * Creates `<root>/.dev/` on the first run and reuses it afterwards; signs fresh example tokens and
 * writes them as shell variables to `credentialsFile`.
 */
export async function ensureDevCredentials(root: string = REPO_ROOT): Promise<{ env: DevEnvironment; credentials: DevCredentials; credentialsFile: string }> {
  return ensureDevCredentialsIn(join(root, DEV_FOLDER));
}

/** The same key set in any folder (the containers' credentials volume: scripts/dev-credentials.ts). */
export async function ensureDevCredentialsIn(folder: string): Promise<{ env: DevEnvironment; credentials: DevCredentials; credentialsFile: string }> {
  mkdirSync(folder, { recursive: true, mode: 0o700 });

  const officerKey = await ensureSecretFile(join(folder, FILES.officerKey), newPrivateKey, privateJwkSchema, true);
  const citizenKey = await ensureSecretFile(join(folder, FILES.citizenKey), newPrivateKey, privateJwkSchema, true);
  const issuers: TrustedIssuer[] = [
    { issuer: DEV_OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [publicJwk(officerKey)] }, algorithms: [ALGORITHM] },
    { issuer: DEV_CITIZEN_ISSUER, subjects: 'citizen', jwks: { keys: [publicJwk(citizenKey)] }, algorithms: [ALGORITHM] },
  ];
  writeIfChanged(join(folder, FILES.issuers), `${JSON.stringify(issuers, null, 2)}\n`, 0o644);

  const apiKey = await ensureSecretFile(join(folder, FILES.apiKey), () => `lt_dev_${randomSecret()}\n`, apiKeySchema, false);
  // Rewritten on every run, so a .dev folder made when the officer was at another agency follows.
  const apiKeys = [{ keyHash: sha256Hex(apiKey), agency: DEV_OFFICER_AGENCY, officer: 'dev-officer' }];
  writeIfChanged(join(folder, FILES.apiKeys), `${JSON.stringify(apiKeys, null, 2)}\n`, 0o644);

  const newSecrets = (): string => {
    const fresh: DevSecrets = { callerAssertionSecret: randomSecret(), accessLogKey: randomSecret() };
    return `${JSON.stringify(fresh, null, 2)}\n`;
  };
  const secrets = await ensureSecretFile(join(folder, FILES.secrets), newSecrets, secretsSchema, true);

  const credentials: DevCredentials = {
    officer: await signToken(officerKey, DEV_OFFICER_ISSUER, 'can-bo-01', { agency: DEV_OFFICER_AGENCY }),
    insuranceOfficer: await signToken(officerKey, DEV_OFFICER_ISSUER, 'can-bo-bhxh-01', { agency: 'BHXH' }),
    auditor: await signToken(officerKey, DEV_OFFICER_ISSUER, 'kiem-tra-01', { agency: 'BCA', roles: ['auditor'] }),
    citizen: await signToken(citizenKey, DEV_CITIZEN_ISSUER, 'cong-dan-01', { personal_id: '001085012345' }),
    apiKey,
  };
  writeFileSync(
    join(folder, FILES.credentialsEnv),
    [
      `# Development credentials of \`npm start\`, valid ${TOKEN_LIFETIME}: \`source ${DEV_FOLDER}/${FILES.credentialsEnv}\`.`,
      `export LT_OFFICER='${credentials.officer}'`,
      `export LT_INSURANCE_OFFICER='${credentials.insuranceOfficer}'`,
      `export LT_AUDITOR='${credentials.auditor}'`,
      `export LT_CITIZEN='${credentials.citizen}'`,
      `export LT_API_KEY='${credentials.apiKey}'`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { env: environmentFor(folder, secrets), credentials, credentialsFile: join(folder, FILES.credentialsEnv) };
}

/**
 * The environment of an existing `<root>/.dev/` (never creates it); `{}` when there is none, so
 * `npm run audit:verify` can find the development access-log key when ACCESS_LOG_KEY is unset.
 */
export function devEnvironment(root: string = REPO_ROOT): NodeJS.ProcessEnv {
  const folder = join(root, DEV_FOLDER);
  const secretsPath = join(folder, FILES.secrets);
  if (!existsSync(secretsPath)) return {};
  return environmentFor(folder, readValidated(secretsPath, secretsSchema, true));
}

/**
 * `env` over the development key set of `<root>/.dev/` (if one was made): what the development entry
 * points give a service — the spawner of `npm start` and the tests, and scripts/dev-environment.ts,
 * preloaded by `npm run start:<service>` and `npm run audit:verify` — so a service started alone
 * trusts the same development credentials. A variable already set wins, and so does its `<NAME>_FILE`
 * (which lib/runtime/process.ts `secretsFromFiles` reads). `env` unchanged when `NODE_ENV` is `production`:
 * there every secret is configured explicitly and `.dev/` is never read.
 */
export function withDevEnvironment(env: NodeJS.ProcessEnv, root: string = REPO_ROOT): NodeJS.ProcessEnv {
  if (readSetting(NODE_ENV, env) === 'production') return env;
  const defaults = Object.entries(devEnvironment(root)).filter(([name]) => !isSet(name, env) && !isSet(`${name}_FILE`, env));
  return { ...Object.fromEntries(defaults), ...env };
}

/** One line per example credential, as `npm start` and scripts/dev-credentials.ts print them. */
export function devCredentialLines(credentials: DevCredentials): string {
  return [
    `  officer can-bo-01 at ${DEV_OFFICER_AGENCY}     Authorization: Bearer ${credentials.officer}`,
    `  officer can-bo-bhxh-01 at BHXH Authorization: Bearer ${credentials.insuranceOfficer}`,
    `  auditor kiem-tra-01 at BCA     Authorization: Bearer ${credentials.auditor}`,
    `  citizen 001085012345           Authorization: Bearer ${credentials.citizen}`,
    `  officer dev-officer at ${DEV_OFFICER_AGENCY}   x-api-key: ${credentials.apiKey}`,
  ].join('\n');
}

/**
 * The lines `npm start` and `npm run start:scaled` print after their banner: the development
 * credentials and a personal query to try against `graphqlUrl`.
 */
export function devCredentialsGuide(credentials: DevCredentials, credentialsFile: string, graphqlUrl: string): string {
  return `Development credentials (valid 12 hours, new on every start), also in ${relative(process.cwd(), credentialsFile) || credentialsFile}:
${devCredentialLines(credentials)}

Personal data needs a credential and a purpose. Try, as the officer, for a land transfer on case ${EXAMPLE_PURPOSE.caseNumber}:

  source .dev/credentials.env
  curl -s ${graphqlUrl} -H 'content-type: application/json' \\
    -H "authorization: Bearer $LT_OFFICER" -H 'x-purpose-code: ${EXAMPLE_PURPOSE.code}' -H 'x-case-number: ${EXAMPLE_PURPOSE.caseNumber}' \\
    -d '{"query":"{ citizen(personalId: \\"001085012345\\") { fullName maritalStatus landParcels { parcelId area } } }"}'

Or open ${graphqlUrl} in a browser: its query page (GraphiQL) offers the officer dev-officer's x-api-key
with this purpose and case in its headers editor.`;
}
