import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Caller } from './caller.ts';
import { AssertionReplayGuard, callerAssertionSecretFromEnv, callerAssertionSigner, callHash, signCallerAssertion, verifyCallerAssertion } from './caller-assertion.ts';

const secret = new TextEncoder().encode('a-development-secret-of-forty-characters!');
const otherSecret = new TextEncoder().encode('another-secret-that-is-long-enough-too!!');

const officer: Caller = {
  kind: 'officer',
  agency: 'BTP',
  officer: 'can-bo-01',
  roles: ['auditor'],
  purpose: '1.001234.000.00.00.H10',
  caseNumber: 'Hồ sơ 12/2025',
  issuer: 'https://idp.btp.example/agency',
};
const citizen: Caller = { kind: 'citizen', personalId: '001085012345', issuer: 'https://vneid.example/citizen' };

const QUERY = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { fullName } } }';
const queryHash = callHash(QUERY, { r: [{ __typename: 'Citizen', personalId: '001085012345' }] });
const call = { subgraph: 'population', queryHash };

/** An assertion built by hand, to produce what `signCallerAssertion` never would. */
function handMade(claims: Record<string, unknown>, { exp, aud }: { exp: number; aud: string }): Promise<string> {
  claims = { qh: queryHash, jti: 'hand-made', ...claims };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'lien-thong-caller+jwt' })
    .setIssuer('lien-thong-gateway')
    .setAudience(aud)
    .setIssuedAt(now - 600)
    .setExpirationTime(exp)
    .sign(secret);
}

describe('caller assertion', () => {
  it('round-trips an officer and a citizen', async () => {
    const forOfficer = await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call });
    await expect(verifyCallerAssertion(forOfficer, secret, call)).resolves.toMatchObject({ caller: officer });
    await expect(verifyCallerAssertion(forOfficer, secret, { ...call, requestId: 'req-1' })).resolves.toMatchObject({ caller: officer });
    const forCitizen = await signCallerAssertion(citizen, { secret, requestId: 'req-2', ttlSeconds: 5, ...call });
    await expect(verifyCallerAssertion(forCitizen, secret, call)).resolves.toMatchObject({ caller: citizen });
  });

  it("signs each call of one request for its own subgraph, once the request's caller is checked", async () => {
    const sign = callerAssertionSigner(officer, { secret, requestId: 'req-3' });
    const land = await sign('land', call.queryHash);
    const population = await sign('population', call.queryHash);
    const onLand = await verifyCallerAssertion(land, secret, { ...call, subgraph: 'land' });
    const onPopulation = await verifyCallerAssertion(population, secret, { ...call, subgraph: 'population' });
    expect(onLand).toMatchObject({ caller: officer });
    expect(onPopulation).toMatchObject({ caller: officer });
    expect(onLand.id).not.toBe(onPopulation.id);
    await expect(verifyCallerAssertion(land, secret, { ...call, subgraph: 'population' })).rejects.toThrow();
    expect(() => callerAssertionSigner({ ...officer, agency: '' } as typeof officer, { secret, requestId: 'req-3' })).toThrow();
  });

  it('is refused under another secret', async () => {
    const token = await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call });
    await expect(verifyCallerAssertion(token, otherSecret, call)).rejects.toThrow(/signature/);
  });

  it('is refused once expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await handMade({ caller: officer, rid: 'req-1' }, { exp: now - 60, aud: 'lien-thong-subgraph:population' });
    await expect(verifyCallerAssertion(token, secret, call)).rejects.toThrow(/exp/);
  });

  it('is refused when the payload was changed after signing', async () => {
    const token = await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { caller: { agency: string } };
    claims.caller.agency = 'BCA';
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expect(verifyCallerAssertion(tampered, secret, call)).rejects.toThrow(/signature/);
  });

  it('is refused for another audience', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await handMade({ caller: officer, rid: 'req-1' }, { exp: now + 60, aud: 'lien-thong' });
    await expect(verifyCallerAssertion(token, secret, call)).rejects.toThrow(/aud/);
  });

  it('is refused by another subgraph, and for another query or other variables', async () => {
    const token = await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call });
    await expect(verifyCallerAssertion(token, secret, { ...call, subgraph: 'land' })).rejects.toThrow(/aud/);
    await expect(verifyCallerAssertion(token, secret, { ...call, queryHash: callHash(QUERY, { r: [{ __typename: 'Citizen', personalId: '001212003456' }] }) })).rejects.toThrow(
      /another query/,
    );
    await expect(verifyCallerAssertion(token, secret, { ...call, queryHash: callHash('{ __typename }', {}) })).rejects.toThrow(/another query/);
  });

  it('carries a unique id, which the replay guard accepts once', async () => {
    const first = await verifyCallerAssertion(await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call }), secret, call);
    const second = await verifyCallerAssertion(await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call }), secret, call);
    expect(first.id).not.toBe(second.id);
    const guard = new AssertionReplayGuard(2);
    expect(guard.accept(first.id, first.expiresAt)).toBe(true);
    expect(guard.accept(first.id, first.expiresAt)).toBe(false);
    expect(guard.accept(second.id, second.expiresAt)).toBe(true);
    // Full of ids that have not expired: refuses rather than forgets.
    expect(guard.accept('third', second.expiresAt)).toBe(false);
    // Once they have expired, they make room.
    expect(guard.accept('third', second.expiresAt, second.expiresAt + 60)).toBe(true);
  });

  it('carries the millisecond it was issued, which a subgraph needs to refuse what predates its start', async () => {
    const before = Date.now();
    const verified = await verifyCallerAssertion(await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call }), secret, call);
    expect(verified.issuedAtMs).toBeGreaterThanOrEqual(before);
    expect(verified.issuedAtMs).toBeLessThanOrEqual(Date.now());
    const now = Math.floor(Date.now() / 1000);
    const withoutIt = await handMade({ caller: officer, rid: 'req-1' }, { exp: now + 60, aud: 'lien-thong-subgraph:population' });
    await expect(verifyCallerAssertion(withoutIt, secret, call)).rejects.toThrow(/iat_ms claim is missing/);
  });

  it('is refused when the caller claim is malformed or the request differs', async () => {
    const now = Math.floor(Date.now() / 1000);
    const malformed = await handMade({ caller: { ...officer, kind: 'minister' }, rid: 'req-1' }, { exp: now + 60, aud: 'lien-thong-subgraph:population' });
    await expect(verifyCallerAssertion(malformed, secret, call)).rejects.toThrow(/caller claim is malformed/);
    const token = await signCallerAssertion(officer, { secret, requestId: 'req-1', ...call });
    await expect(verifyCallerAssertion(token, secret, { ...call, requestId: 'req-2' })).rejects.toThrow(/another request/);
  });

  it('reads the secret from the environment', () => {
    expect(callerAssertionSecretFromEnv({})).toBeUndefined();
    expect(() => callerAssertionSecretFromEnv({ CALLER_ASSERTION_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(() => callerAssertionSecretFromEnv({ CALLER_ASSERTION_SECRET: 'short' })).not.toThrow(/short/);
    expect(callerAssertionSecretFromEnv({ CALLER_ASSERTION_SECRET: 'x'.repeat(32) })).toEqual(new TextEncoder().encode('x'.repeat(32)));
  });
});
