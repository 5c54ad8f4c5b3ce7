import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator, authenticationConfigFromEnv, sha256Hex } from '../access/authentication.ts';
import { callerAssertionSecretFromEnv } from '../access/caller-assertion.ts';
import { DEV_CITIZEN_ISSUER, DEV_OFFICER_ISSUER, devEnvironment, ensureDevCredentials, withDevEnvironment } from './dev-credentials.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lien-thong-dev-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('ensureDevCredentials', () => {
  it('creates the .dev folder with private files readable by the owner only', async () => {
    const { env } = await ensureDevCredentials(root);
    const folder = join(root, '.dev');
    expect(env).toEqual({
      AUTH_ISSUERS_FILE: join(folder, 'issuers.json'),
      API_KEYS_FILE: join(folder, 'api-keys.json'),
      CALLER_ASSERTION_SECRET: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      ACCESS_LOG_KEY: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      ACCESS_LOG_PATH: join(folder, 'access-log.sqlite'),
      QUERY_PAGE_API_KEY_FILE: join(folder, 'api-key.secret'),
    });
    for (const file of ['officer-idp.private.jwk.json', 'citizen-idp.private.jwk.json', 'api-key.secret', 'secrets.json']) {
      expect(mode(join(folder, file)), file).toBe(0o600);
    }
    const published = readFileSync(env.AUTH_ISSUERS_FILE, 'utf8');
    expect(published).not.toMatch(/"d"/);
    const apiKeys = JSON.parse(readFileSync(env.API_KEYS_FILE, 'utf8')) as unknown[];
    expect(apiKeys).toEqual([{ keyHash: expect.stringMatching(/^[0-9a-f]{64}$/), agency: 'BNNMT', officer: 'dev-officer' }]);
    expect(callerAssertionSecretFromEnv(env)).toBeInstanceOf(Uint8Array);
  });

  it('reuses the same keys and secrets on later runs', async () => {
    const first = await ensureDevCredentials(root);
    const second = await ensureDevCredentials(root);
    expect(second.env).toEqual(first.env);
    expect(second.credentials.apiKey).toBe(first.credentials.apiKey);

    const authenticator = new Authenticator(authenticationConfigFromEnv(second.env));
    await expect(authenticator.authenticate({ authorization: `Bearer ${first.credentials.officer}` })).resolves.toMatchObject({
      kind: 'officer',
      agency: 'BNNMT',
    });
    await expect(authenticator.authenticate({ authorization: `Bearer ${first.credentials.citizen}` })).resolves.toMatchObject({
      kind: 'citizen',
    });
  });

  it("moves a .dev folder made when the officer was at BTNMT to today's agency, keeping its key", async () => {
    const first = await ensureDevCredentials(root);
    const apiKeysFile = first.env.API_KEYS_FILE;
    const old = JSON.parse(readFileSync(apiKeysFile, 'utf8')) as { agency: string }[];
    writeFileSync(
      apiKeysFile,
      `${JSON.stringify(
        old.map((k) => ({ ...k, agency: 'BTNMT' })),
        null,
        2,
      )}\n`,
    );
    const second = await ensureDevCredentials(root);
    expect(second.credentials.apiKey).toBe(first.credentials.apiKey);
    expect(JSON.parse(readFileSync(apiKeysFile, 'utf8'))).toEqual([{ keyHash: expect.any(String), agency: 'BNNMT', officer: 'dev-officer' }]);
    const authenticator = new Authenticator(authenticationConfigFromEnv(second.env));
    await expect(authenticator.authenticate({ 'x-api-key': second.credentials.apiKey })).resolves.toMatchObject({ agency: 'BNNMT', officer: 'dev-officer' });
  });

  it('writes the fresh credentials as shell variables, readable by the owner only', async () => {
    const { credentials, credentialsFile } = await ensureDevCredentials(root);
    expect(credentialsFile).toBe(join(root, '.dev', 'credentials.env'));
    expect(mode(credentialsFile)).toBe(0o600);
    const text = readFileSync(credentialsFile, 'utf8');
    expect(text).toContain(`export LT_OFFICER='${credentials.officer}'`);
    expect(text).toContain(`export LT_AUDITOR='${credentials.auditor}'`);
    expect(text).toContain(`export LT_CITIZEN='${credentials.citizen}'`);
    expect(text).toContain(`export LT_API_KEY='${credentials.apiKey}'`);
  });

  it('prints credentials that authenticate through the Authenticator', async () => {
    const { env, credentials } = await ensureDevCredentials(root);
    const authenticator = new Authenticator(authenticationConfigFromEnv(env));
    const purpose = { 'x-purpose-code': '1.001234.000.00.00.H10', 'x-case-number': 'HS-2025/01' };

    await expect(authenticator.authenticate({ authorization: `Bearer ${credentials.officer}`, ...purpose })).resolves.toEqual({
      kind: 'officer',
      agency: 'BNNMT',
      officer: 'can-bo-01',
      roles: [],
      purpose: '1.001234.000.00.00.H10',
      caseNumber: 'HS-2025/01',
      issuer: DEV_OFFICER_ISSUER,
    });
    await expect(authenticator.authenticate({ authorization: `Bearer ${credentials.auditor}` })).resolves.toMatchObject({
      kind: 'officer',
      agency: 'BCA',
      officer: 'kiem-tra-01',
      roles: ['auditor'],
    });
    await expect(authenticator.authenticate({ authorization: `Bearer ${credentials.citizen}` })).resolves.toEqual({
      kind: 'citizen',
      personalId: '001085012345',
      issuer: DEV_CITIZEN_ISSUER,
    });
    await expect(authenticator.authenticate({ 'x-api-key': credentials.apiKey, ...purpose })).resolves.toMatchObject({
      kind: 'officer',
      agency: 'BNNMT',
      officer: 'dev-officer',
      issuer: 'api-key',
    });
    expect(readFileSync(env.API_KEYS_FILE, 'utf8')).toContain(sha256Hex(credentials.apiKey));
    expect(readFileSync(env.API_KEYS_FILE, 'utf8')).not.toContain(credentials.apiKey);
  });

  it('keeps the two identity providers apart: the citizen key cannot sign for officers', async () => {
    const { env } = await ensureDevCredentials(root);
    const config = authenticationConfigFromEnv(env);
    const [officerIdp, citizenIdp] = config.issuers;
    expect(officerIdp).toMatchObject({ issuer: DEV_OFFICER_ISSUER, subjects: 'officer' });
    expect(citizenIdp).toMatchObject({ issuer: DEV_CITIZEN_ISSUER, subjects: 'citizen' });
    expect(officerIdp?.jwks.keys[0]?.x).not.toBe(citizenIdp?.jwks.keys[0]?.x);
  });
});

describe('devEnvironment', () => {
  it('returns {} when there is no .dev folder, and creates none', () => {
    expect(devEnvironment(root)).toEqual({});
    expect(() => statSync(join(root, '.dev'))).toThrow();
  });

  it('returns {} for an empty .dev folder', () => {
    mkdirSync(join(root, '.dev'));
    expect(devEnvironment(root)).toEqual({});
  });

  it('returns the environment of an existing .dev folder', async () => {
    const { env } = await ensureDevCredentials(root);
    expect(devEnvironment(root)).toEqual(env);
  });
});

describe('withDevEnvironment', () => {
  it('puts the .dev key set under the given environment: a variable set, or its _FILE, wins', async () => {
    const { env: dev } = await ensureDevCredentials(root);
    const given = { ACCESS_LOG_PATH: '/elsewhere.sqlite', CALLER_ASSERTION_SECRET_FILE: '/run/secret', PATH: '/bin' };
    const result = withDevEnvironment(given, root);
    expect(result).toEqual({
      ...given,
      AUTH_ISSUERS_FILE: dev.AUTH_ISSUERS_FILE,
      API_KEYS_FILE: dev.API_KEYS_FILE,
      ACCESS_LOG_KEY: dev.ACCESS_LOG_KEY,
      QUERY_PAGE_API_KEY_FILE: dev.QUERY_PAGE_API_KEY_FILE,
    });
  });

  it('reads no .dev folder in production', async () => {
    await ensureDevCredentials(root);
    const given = { NODE_ENV: 'production', PATH: '/bin' };
    expect(withDevEnvironment(given, root)).toEqual(given);
  });

  it('gives the environment unchanged when there is no .dev folder', () => {
    expect(withDevEnvironment({ PATH: '/bin' }, root)).toEqual({ PATH: '/bin' });
  });
});
