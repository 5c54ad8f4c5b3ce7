import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, Authenticator, authenticationConfigFromEnv, sha256Hex, type AuthenticationConfig } from './authentication.ts';

const OFFICER_ISSUER = 'https://idp.btp.example/agency';
const CITIZEN_ISSUER = 'https://vneid.example/citizen';
const AUDIENCE = 'lien-thong';
const API_KEY = 'lt_test_3kJ9vQ2mZ8xR4tY7wB1nC6dF0gH5jL2p';

interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  key?: CryptoKey;
  kid?: string | null;
  iss?: string;
  aud?: string;
  sub?: string | null;
  iat?: number | null;
  exp?: number | null;
  nbf?: number;
}

let officerIdp: KeyPair;
let citizenIdp: KeyPair;
let stranger: KeyPair;
let config: AuthenticationConfig;
let authenticator: Authenticator;

async function token(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const iat = options.iat === undefined ? now() : options.iat;
  const exp = options.exp === undefined ? now() + 3600 : options.exp;
  const payload: JWTPayload = {
    iss: options.iss ?? OFFICER_ISSUER,
    aud: options.aud ?? AUDIENCE,
    ...(options.sub === null ? {} : { sub: options.sub ?? 'can-bo-01' }),
    ...(iat === null ? {} : { iat }),
    ...(exp === null ? {} : { exp }),
    ...(options.nbf === undefined ? {} : { nbf: options.nbf }),
    ...claims,
  };
  const kid = options.kid === undefined ? 'officer-1' : options.kid;
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', ...(kid === null ? {} : { kid }) }).sign(options.key ?? officerIdp.privateKey);
}

function citizenToken(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  return token(claims, { key: citizenIdp.privateKey, kid: 'citizen-1', iss: CITIZEN_ISSUER, sub: 'vneid-778899', ...options });
}

const bearer = (jwt: string, extra: IncomingHttpHeaders = {}): IncomingHttpHeaders => ({ authorization: `Bearer ${jwt}`, ...extra });

async function refusal(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  const refused = error as AuthenticationError;
  expect(refused.code).toBe('UNAUTHENTICATED');
  return refused;
}

beforeAll(async () => {
  officerIdp = await keyPair('officer-1');
  citizenIdp = await keyPair('citizen-1');
  stranger = await keyPair('stranger-1');
  config = {
    issuers: [
      { issuer: OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [officerIdp.publicJwk] }, algorithms: ['ES256'] },
      { issuer: CITIZEN_ISSUER, subjects: 'citizen', jwks: { keys: [citizenIdp.publicJwk] }, algorithms: ['ES256'] },
    ],
    apiKeys: [{ keyHash: sha256Hex(API_KEY), agency: 'UBND-HN', officer: 'he-thong-mot-cua', roles: ['reader'] }],
    audience: AUDIENCE,
    clockToleranceSec: 30,
  };
  authenticator = new Authenticator(config);
});

describe('Authenticator: accepted credentials', () => {
  it('turns a valid officer token into an officer with the purpose and case from the headers', async () => {
    const jwt = await token({ agency: 'BTP', roles: ['auditor'] });
    const caller = await authenticator.authenticate(bearer(jwt, { 'x-purpose-code': '1.001234.000.00.00.H10', 'x-case-number': '  Hồ sơ 000.12/2025-HT  ' }));
    expect(caller).toEqual({
      kind: 'officer',
      agency: 'BTP',
      officer: 'can-bo-01',
      roles: ['auditor'],
      purpose: '1.001234.000.00.00.H10',
      caseNumber: 'Hồ sơ 000.12/2025-HT',
      issuer: OFFICER_ISSUER,
    });
  });

  it('leaves purpose and case null when the headers are absent', async () => {
    const caller = await authenticator.authenticate(bearer(await token({ agency: 'BTP' })));
    expect(caller).toMatchObject({ kind: 'officer', roles: [], purpose: null, caseNumber: null });
  });

  it('turns a valid citizen token into a citizen and ignores purpose headers', async () => {
    const jwt = await citizenToken({ personal_id: '001085012345' });
    const caller = await authenticator.authenticate(bearer(jwt, { 'x-purpose-code': 'not a code!', 'x-case-number': '<x>' }));
    expect(caller).toEqual({ kind: 'citizen', personalId: '001085012345', issuer: CITIZEN_ISSUER });
  });

  it('accepts a token that expired within the clock tolerance', async () => {
    const jwt = await token({ agency: 'BTP' }, { iat: now() - 600, exp: now() - 10 });
    await expect(authenticator.authenticate(bearer(jwt))).resolves.toMatchObject({ kind: 'officer' });
  });

  it('treats a request without any credential as anonymous', async () => {
    await expect(authenticator.authenticate({})).resolves.toBeUndefined();
    await expect(authenticator.authenticate({ 'x-purpose-code': 'X1', 'x-case-number': 'HS-1' })).resolves.toBeUndefined();
  });

  it('accepts a known API key as an officer of its agency', async () => {
    const caller = await authenticator.authenticate({ 'x-api-key': API_KEY, 'x-purpose-code': 'TTHC-01', 'x-case-number': 'HS/2025/7' });
    expect(caller).toEqual({
      kind: 'officer',
      agency: 'UBND-HN',
      officer: 'he-thong-mot-cua',
      roles: ['reader'],
      purpose: 'TTHC-01',
      caseNumber: 'HS/2025/7',
      issuer: 'api-key',
    });
  });

  it('verifies with each key when the issuer publishes several keys without key ids', async () => {
    const rotated = new Authenticator({
      ...config,
      issuers: [
        {
          issuer: OFFICER_ISSUER,
          subjects: 'officer',
          jwks: {
            keys: [
              { ...stranger.publicJwk, kid: undefined },
              { ...officerIdp.publicJwk, kid: undefined },
            ],
          },
          algorithms: ['ES256'],
        },
      ],
    });
    const caller = await rotated.authenticate(bearer(await token({ agency: 'BTP' }, { kid: null })));
    expect(caller).toMatchObject({ kind: 'officer', agency: 'BTP' });
    const forged = await token({ agency: 'BTP' }, { kid: null, key: (await keyPair('x')).privateKey });
    expect((await refusal(rotated.authenticate(bearer(forged)))).message).toMatch(/signature/);
  });
});

describe('Authenticator: refused credentials', () => {
  interface Refusal {
    name: string;
    headers: () => Promise<IncomingHttpHeaders>;
    message: RegExp;
  }

  const refusals: Refusal[] = [
    {
      name: 'a token signed by another key claiming the trusted issuer (no kid)',
      headers: async () => bearer(await token({ agency: 'BTP' }, { key: stranger.privateKey, kid: null })),
      message: /signature does not verify/,
    },
    {
      name: "a token signed by another key carrying the trusted key's kid",
      headers: async () => bearer(await token({ agency: 'BTP' }, { key: stranger.privateKey, kid: 'officer-1' })),
      message: /signature does not verify/,
    },
    {
      name: 'a token whose payload was altered after signing',
      headers: async () => {
        const [header, , signature] = (await token({ agency: 'BTP' })).split('.');
        const payload = Buffer.from(JSON.stringify({ iss: OFFICER_ISSUER, aud: AUDIENCE, sub: 'x', agency: 'BCA', iat: now(), exp: now() + 60 })).toString('base64url');
        return bearer(`${header}.${payload}.${signature}`);
      },
      message: /signature does not verify/,
    },
    {
      name: 'an expired token',
      headers: async () => bearer(await token({ agency: 'BTP' }, { iat: now() - 7200, exp: now() - 120 })),
      message: /token expired/,
    },
    {
      name: 'a token that is not yet valid',
      headers: async () => bearer(await token({ agency: 'BTP' }, { nbf: now() + 600 })),
      message: /not yet valid/,
    },
    {
      name: 'a token issued in the future',
      headers: async () => bearer(await token({ agency: 'BTP' }, { iat: now() + 600, exp: now() + 3600 })),
      message: /in the future/,
    },
    {
      name: 'a token older than the maximum token age',
      headers: async () => bearer(await token({ agency: 'BTP' }, { iat: now() - 13 * 3600, exp: now() + 3600 })),
      message: /too old/,
    },
    {
      name: 'a token without exp',
      headers: async () => bearer(await token({ agency: 'BTP' }, { exp: null })),
      message: /lacks the exp claim/,
    },
    {
      name: 'a token without sub',
      headers: async () => bearer(await token({ agency: 'BTP' }, { sub: null })),
      message: /lacks the sub claim/,
    },
    {
      name: 'a token from an untrusted issuer',
      headers: async () => bearer(await token({ agency: 'BTP' }, { key: stranger.privateKey, iss: 'https://idp.evil.example/' })),
      message: /issuer is not trusted/,
    },
    {
      name: 'a token for another audience',
      headers: async () => bearer(await token({ agency: 'BTP' }, { aud: 'some-other-service' })),
      message: /audience/,
    },
    {
      name: 'an unsigned token (alg none)',
      headers: async () =>
        bearer(new UnsecuredJWT({ agency: 'BTP' }).setIssuer(OFFICER_ISSUER).setAudience(AUDIENCE).setSubject('x').setIssuedAt().setExpirationTime('1h').encode()),
      message: /unsigned/,
    },
    {
      name: "an HS256 token keyed with the issuer's public key (algorithm confusion)",
      headers: async () => {
        const secret = new TextEncoder().encode(await exportSPKI(officerIdp.publicKey));
        const jwt = await new SignJWT({ agency: 'BTP' })
          .setProtectedHeader({ alg: 'HS256', kid: 'officer-1' })
          .setIssuer(OFFICER_ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('can-bo-01')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(secret);
        return bearer(jwt);
      },
      message: /algorithm is not accepted/,
    },
    {
      name: 'a citizen identity provider minting a token with an agency claim',
      headers: async () => bearer(await citizenToken({ agency: 'BTP', roles: ['auditor'] })),
      message: /citizen identity provider must not carry the agency claim/,
    },
    {
      name: 'a citizen identity provider minting a token with an agency claim and a personal_id',
      headers: async () => bearer(await citizenToken({ agency: 'BTP', personal_id: '001085012345' })),
      message: /must not carry the agency claim/,
    },
    {
      name: 'an officer token without the agency claim',
      headers: async () => bearer(await token({ personal_id: '001085012345' })),
      message: /token lacks the agency claim/,
    },
    {
      name: 'an officer token with a malformed agency claim',
      headers: async () => bearer(await token({ agency: 'bộ tư pháp' })),
      message: /agency claim must be an agency code/,
    },
    {
      name: 'an officer token with malformed roles',
      headers: async () => bearer(await token({ agency: 'BTP', roles: 'auditor' })),
      message: /roles claim/,
    },
    {
      name: 'a citizen token without personal_id',
      headers: async () => bearer(await citizenToken({})),
      message: /lacks the personal_id claim/,
    },
    {
      name: 'a citizen token with an 11-digit personal_id',
      headers: async () => bearer(await citizenToken({ personal_id: '00108501234' })),
      message: /personal_id claim must be 12 ASCII digits/,
    },
    {
      name: 'a citizen token with a personal_id in full-width digits',
      headers: async () => bearer(await citizenToken({ personal_id: '００１０８５０１２３４５' })),
      message: /personal_id claim must be 12 ASCII digits/,
    },
    {
      name: 'a citizen token with a numeric personal_id',
      headers: async () => bearer(await citizenToken({ personal_id: 1085012345 })),
      message: /personal_id claim must be 12 ASCII digits/,
    },
    {
      name: 'an unknown API key',
      headers: async () => ({ 'x-api-key': 'lt_test_not-a-key-anyone-was-given-0000' }),
      message: /unknown API key/,
    },
    {
      name: 'both an Authorization header and an API key',
      headers: async () => bearer(await token({ agency: 'BTP' }), { 'x-api-key': API_KEY }),
      message: /not both/,
    },
    {
      name: 'a Basic Authorization header',
      headers: async () => ({ authorization: `Basic ${Buffer.from('can-bo-01:secret').toString('base64')}` }),
      message: /malformed Authorization header/,
    },
    {
      name: 'a Bearer header without a JWT',
      headers: async () => ({ authorization: 'Bearer not-a-jwt' }),
      message: /malformed Authorization header/,
    },
    {
      name: 'a Bearer token that is not JSON inside',
      headers: async () => ({ authorization: 'Bearer aaaa.bbbb.cccc' }),
      message: /malformed token/,
    },
    {
      name: 'a malformed x-purpose-code header',
      headers: async () => bearer(await token({ agency: 'BTP' }), { 'x-purpose-code': 'xem hồ sơ', 'x-case-number': 'HS-1' }),
      message: /x-purpose-code/,
    },
    {
      name: 'a malformed x-case-number header',
      headers: async () => bearer(await token({ agency: 'BTP' }), { 'x-purpose-code': 'TTHC-01', 'x-case-number': '<script>alert(1)</script>' }),
      message: /x-case-number/,
    },
    {
      name: 'an x-case-number header that is too long',
      headers: async () => ({ 'x-api-key': API_KEY, 'x-case-number': 'H'.repeat(61) }),
      message: /x-case-number/,
    },
    {
      name: 'an x-purpose-code header sent twice',
      headers: async () => ({ 'x-api-key': API_KEY, 'x-purpose-code': ['A1', 'B2'] }),
      message: /x-purpose-code header: send it once/,
    },
  ];

  it.each(refusals)('refuses $name', async ({ headers, message }) => {
    const sent = await headers();
    const error = await refusal(authenticator.authenticate(sent));
    expect(error.message).toMatch(message);
    // The message never repeats the credential, nor any part of it.
    const credential = sent.authorization?.replace(/^\S+ /, '') ?? (typeof sent['x-api-key'] === 'string' ? sent['x-api-key'] : '');
    for (const part of [credential, ...credential.split('.')].filter((piece) => piece.length >= 8)) {
      expect(error.message).not.toContain(part);
    }
  });
});

describe('Authenticator: configuration', () => {
  it('refuses to trust an HMAC algorithm for an issuer', () => {
    expect(
      () =>
        new Authenticator({
          ...config,
          issuers: [{ issuer: OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [officerIdp.publicJwk] }, algorithms: ['HS256'] }],
        }),
    ).toThrow(/algorithms/);
  });

  it('refuses an issuer listed both for officers and for citizens', () => {
    expect(
      () =>
        new Authenticator({
          ...config,
          issuers: [
            { issuer: OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [officerIdp.publicJwk] }, algorithms: ['ES256'] },
            { issuer: OFFICER_ISSUER, subjects: 'citizen', jwks: { keys: [officerIdp.publicJwk] }, algorithms: ['ES256'] },
          ],
        }),
    ).toThrow(/listed twice/);
  });

  describe('authenticationConfigFromEnv', () => {
    let folder: string;
    beforeAll(() => {
      folder = mkdtempSync(join(tmpdir(), 'lien-thong-auth-'));
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    const write = (name: string, value: unknown): string => {
      const path = join(folder, name);
      writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };

    it('trusts nothing when neither file is set', () => {
      expect(authenticationConfigFromEnv({})).toEqual({ issuers: [], apiKeys: [], audience: 'lien-thong', clockToleranceSec: 30 });
    });

    it('loads issuers with inline and relative JWKS files, and hashes plain keys outside production', async () => {
      write('citizen-jwks.json', { keys: [citizenIdp.publicJwk] });
      const issuersFile = write('issuers.json', [
        { issuer: OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [officerIdp.publicJwk] }, algorithms: ['ES256'] },
        { issuer: CITIZEN_ISSUER, subjects: 'citizen', jwksFile: 'citizen-jwks.json' },
      ]);
      const keysFile = write('keys.json', [{ key: API_KEY, agency: 'UBND-HN', officer: 'he-thong-mot-cua' }]);
      const loaded = authenticationConfigFromEnv({
        AUTH_ISSUERS_FILE: issuersFile,
        API_KEYS_FILE: keysFile,
        AUTH_AUDIENCE: 'lien-thong-test',
        AUTH_CLOCK_TOLERANCE_S: '5',
      });
      expect(loaded.audience).toBe('lien-thong-test');
      expect(loaded.clockToleranceSec).toBe(5);
      expect(loaded.issuers.map((issuer) => [issuer.issuer, issuer.subjects])).toEqual([
        [OFFICER_ISSUER, 'officer'],
        [CITIZEN_ISSUER, 'citizen'],
      ]);
      expect(loaded.apiKeys).toEqual([{ keyHash: sha256Hex(API_KEY), agency: 'UBND-HN', officer: 'he-thong-mot-cua', roles: [] }]);
      const fromFiles = new Authenticator(loaded);
      const jwt = await citizenToken({ personal_id: '001085012345' }, { aud: 'lien-thong-test' });
      await expect(fromFiles.authenticate(bearer(jwt))).resolves.toMatchObject({ kind: 'citizen' });
    });

    it('refuses a plain API key in production, naming the file', () => {
      const keysFile = write('plain-keys.json', [{ key: API_KEY, agency: 'BTP', officer: 'x' }]);
      expect(() => authenticationConfigFromEnv({ API_KEYS_FILE: keysFile, NODE_ENV: 'production' })).toThrow(/plain-keys\.json.*keyHash/);
    });

    it('names the file and the problem for an invalid issuers file', () => {
      const hmac = write('hmac.json', [{ issuer: OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [officerIdp.publicJwk] }, algorithms: ['HS256'] }]);
      expect(() => authenticationConfigFromEnv({ AUTH_ISSUERS_FILE: hmac })).toThrow(/hmac\.json.*algorithm must be one of/);
      const both = write('both.json', [{ issuer: OFFICER_ISSUER, subjects: 'everyone', jwks: { keys: [officerIdp.publicJwk] } }]);
      expect(() => authenticationConfigFromEnv({ AUTH_ISSUERS_FILE: both })).toThrow(/both\.json.*subjects/);
      const broken = write('broken.json', '[{');
      expect(() => authenticationConfigFromEnv({ AUTH_ISSUERS_FILE: broken })).toThrow(/broken\.json is not valid JSON/);
      expect(() => authenticationConfigFromEnv({ AUTH_ISSUERS_FILE: join(folder, 'missing.json') })).toThrow(/missing\.json cannot be read/);
    });

    it('refuses private key material in a JWKS', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const leaked = write('leaked.json', [{ issuer: OFFICER_ISSUER, subjects: 'officer', jwks: { keys: [await exportJWK(privateKey)] } }]);
      expect(() => authenticationConfigFromEnv({ AUTH_ISSUERS_FILE: leaked })).toThrow(/leaked\.json.*private key material/);
    });
  });
});
