import { afterAll, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from '../lib/devkit/metrics-text.ts';
import { startSystem } from '../lib/devkit/in-process-system.ts';
import { REFERENCE_DATA_MAX_AGE_SECONDS } from '../lib/devkit/mock-routes.ts';
import { credentialHeaders, DEFAULT_CREDENTIAL } from '../lib/devkit/test-credentials.ts';

/**
 * The gateway's cache of whole public answers, end to end: the mocks say a cache may keep their
 * reference data for a minute (province lists, digitisation figures), the subgraphs pass that on,
 * and the gateway keeps the whole answer as long as every part of it may be kept. Personal
 * operations, the gateway's live state and answers worked out while a circuit is open are never
 * served from it.
 */
const system = await startSystem({
  publicAnswerEntries: 100,
  publicResponseBytes: 1024 * 1024,
  // Open after two failed calls, and stay open for the rest of the file.
  subgraphBreaker: { failures: 2, halfOpenMs: 600_000, maxHalfOpenMs: 600_000 },
});
afterAll(() => system.close());

const PUBLIC = '{ provinces(at: "2024-09-30") { code name civilStatusDigitization { status } landDigitization { status } } }';
const PERSONAL = '{ citizen(personalId: "001085012345") { fullName landParcels { parcelId } } }';
type Body = { data?: unknown; errors?: { extensions?: { code?: string; system?: string } }[] };

async function ask(query: string, headers: Record<string, string> = {}) {
  const response = await fetch(system.gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, cacheControl: response.headers.get('cache-control'), age: response.headers.get('age'), body: (await response.json()) as Body };
}
const outcomes = async () => {
  const text = await (await fetch(system.gateway.metricsUrl)).text();
  const of = (outcome: string) => sampleValue(text, 'lien_thong_public_responses_total', { outcome }) ?? 0;
  return { hit: of('hit'), miss: of('miss'), stored: of('stored') };
};
/** GraphQL requests each subgraph of the public query has answered. */
const subgraphRequests = async () => {
  const count = async (id: 'public-services' | 'civil-status' | 'land') =>
    parseSamples(await (await fetch(system.subgraphs[id].metricsUrl)).text())
      .filter((sample) => sample.name === 'lien_thong_graphql_request_duration_seconds_count')
      .reduce((sum, sample) => sum + sample.value, 0);
  return { publicServices: await count('public-services'), civilStatus: await count('civil-status'), land: await count('land') };
};

describe('the digitisation figures at their source', () => {
  it.each(['civil-status', 'land'] as const)('the %s backend lets a shared cache keep them for a minute, as the public-services backend does its lists', async (id) => {
    const response = await fetch(`${system.mocks[id].url}/v1/digitization/provinces/batch-get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provinceCodes: ['001', '079'] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe(`public, max-age=${String(REFERENCE_DATA_MAX_AGE_SECONDS)}`);
  });
});

describe("the gateway's cache of whole public answers", () => {
  it('answers a repeated public query over three subgraphs without calling any of them, to any caller, with its max-age and Age', async () => {
    const first = await ask(PUBLIC);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const maxAge = Number(/^max-age=(\d+), public$/.exec(first.cacheControl ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(60);
    const before = { requests: await subgraphRequests(), outcomes: await outcomes() };

    const again = await ask(PUBLIC, credentialHeaders(DEFAULT_CREDENTIAL));
    expect(again.body).toEqual(first.body);
    expect(again.age).toMatch(/^\d+$/);
    expect(again.cacheControl).toBe(first.cacheControl);
    expect(await subgraphRequests()).toEqual(before.requests);
    expect(await outcomes()).toEqual({ ...before.outcomes, hit: before.outcomes.hit + 1 });
  });

  it("never keeps an answer that carries the gateway's live state (the connection board)", async () => {
    const query = '{ provinces(at: "2024-09-30") { code } connections { systemId status } }';
    const before = await outcomes();
    const first = await ask(query);
    expect(first.body.errors).toBeUndefined();
    expect(first.cacheControl).toBe('no-store');
    await ask(query);
    expect(await outcomes()).toEqual({ ...before, miss: before.miss + 2 });
  });

  it('never looks a personal query up: the population backend is asked every time', async () => {
    const before = await outcomes();
    system.resetCounters();
    for (let i = 0; i < 2; i++) {
      const { body } = await system.query(PERSONAL);
      expect(body.errors).toBeUndefined();
    }
    expect(system.mocks.population.stats().byRoute['POST /v1/citizens/batch-get']).toBe(2);
    expect(await outcomes()).toEqual(before);
  });

  it('works the answer out while a circuit is open, so that the outage shows in it, and keeps nothing of it', async () => {
    const kept = await ask(PUBLIC);
    expect(kept.body.errors).toBeUndefined();
    await system.stopSubgraph('land');
    try {
      // A personal query calls land every time, past every cache: two failures open the circuit.
      await expect.poll(async () => (await system.query(PERSONAL), system.gateway.board.circuit('land').state), { timeout: 10_000, interval: 50 }).toBe('OPEN');
      const before = await outcomes();
      const during = await ask(PUBLIC);
      expect(during.body.errors?.length).toBeGreaterThan(0);
      expect(during.body.errors?.every((error) => error.extensions?.system === 'land' && error.extensions.code === 'SYSTEM_UNAVAILABLE')).toBe(true);
      expect(await outcomes()).toEqual(before);
    } finally {
      await system.restartSubgraph('land');
    }
  });
});

describe('a kept answer and the checks before execution', () => {
  it('is refused to an anonymous caller where public data needs a credential, though an officer had it kept', async () => {
    const closed = await startSystem({ publicAnswerEntries: 100, publicResponseBytes: 1024 * 1024, access: { publicDataRequiresCredentials: true } });
    try {
      const ask = (headers: Record<string, string>) =>
        fetch(closed.gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: PUBLIC }) });
      const officer = credentialHeaders(DEFAULT_CREDENTIAL);
      expect((await ask(officer)).status).toBe(200);
      const kept = await ask(officer);
      expect(kept.headers.get('age')).toMatch(/^\d+$/);
      expect((await ask({})).status).toBe(401);
    } finally {
      await closed.close();
    }
  });
});
