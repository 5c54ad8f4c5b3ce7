import { afterAll, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from '../lib/devkit/metrics-text.ts';
import { startSystem } from '../lib/devkit/in-process-system.ts';

/**
 * Reference data from caches, end to end. The public-services subgraph keeps the backend's cacheable
 * answers (its mock sends `Cache-Control: public, max-age=60` and an ETag), so a second query within
 * max-age reaches no backend, and an outage of the backend meanwhile costs no reference field. The
 * probes behind `/ready` and the connection board bypass the cache and tell the truth. The subgraph
 * says how long its public answers stay fresh, and the gateway keeps them that long: a province's
 * name in a citizen's address costs no call to public-services once asked. Personal data is kept by
 * neither.
 */
const system = await startSystem({ probeIntervalMs: 200, liveStatus: { slowMs: 5000 }, publicAnswerEntries: 100 });
afterAll(() => system.close());

const PROVINCES = '{ provinces { code name } }';
const publicServices = system.subgraphs['public-services'];
const metricOf = async (metricsUrl: string, name: string, labels: Record<string, string>) => sampleValue(await (await fetch(metricsUrl)).text(), name, labels) ?? 0;
const cacheAnswers = () => metricOf(publicServices.metricsUrl, 'lien_thong_backend_cache_answers_total', { system: 'public-services' });
/** GraphQL requests a subgraph has answered. */
const subgraphRequests = async (id: 'population' | 'public-services') =>
  parseSamples(await (await fetch(system.subgraphs[id].metricsUrl)).text())
    .filter((sample) => sample.name === 'lien_thong_graphql_request_duration_seconds_count')
    .reduce((sum, sample) => sum + sample.value, 0);
const gatewayKept = (subgraph: string, outcome: 'hit' | 'stored') => metricOf(system.gateway.metricsUrl, 'lien_thong_subgraph_public_answers_total', { system: subgraph, outcome });
/** Asks the public-services subgraph itself, past the gateway's cache. */
const askSubgraph = async (query: string) => {
  const response = await fetch(`${publicServices.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return { cacheControl: response.headers.get('cache-control'), body: (await response.json()) as unknown };
};
/** Requests a mock served on one route since its counters were reset (the board's health probes are on another). */
const served = (id: 'population' | 'public-services', route: string) => system.mocks[id].stats().byRoute[route] ?? 0;
const board = async () => {
  const { body } = await system.query('{ connections { systemId status } }');
  return Object.fromEntries((body.data as { connections: { systemId: string; status: string }[] }).connections.map((c) => [c.systemId, c.status]));
};

describe('the reference-data cache of the public-services subgraph', () => {
  it('answers a repeated reference query without a backend call, counted as a cache answer', async () => {
    const first = await askSubgraph(PROVINCES);
    expect(first.body).not.toHaveProperty('errors');
    const before = await cacheAnswers();
    system.resetCounters();
    const second = await askSubgraph(PROVINCES);
    expect(second.body).toEqual(first.body);
    expect(served('public-services', 'GET /v1/provinces')).toBe(0);
    expect(await cacheAnswers()).toBe(before + 1);
  });

  it('keeps answering fresh reference data while the backend is down, and /ready and the board say it is down', async () => {
    const warm = await askSubgraph(PROVINCES);
    system.mocks['public-services'].setFault({ mode: 'down' });
    try {
      const during = await askSubgraph(PROVINCES);
      expect(during.body).toEqual(warm.body);
      const ready = await fetch(`${publicServices.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ backend: 'DOWN', error: { code: 'SYSTEM_UNAVAILABLE' } });
      await expect.poll(async () => (await board())['public-services'], { timeout: 10_000, interval: 100 }).toBe('DOWN');
    } finally {
      system.mocks['public-services'].setFault({ mode: 'ok' });
    }
    await expect.poll(async () => (await board())['public-services'], { timeout: 10_000, interval: 100 }).toBe('UP');
  });

  it('says how long its public answer stays fresh: no longer than the backend answer it was built from', async () => {
    const { cacheControl } = await askSubgraph(PROVINCES);
    const maxAge = Number(/^public, max-age=(\d+)$/.exec(cacheControl ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(60);
  });
});

describe("the gateway's cache of public subgraph answers", () => {
  it('answers a repeated public query without calling public-services, counted as a hit', async () => {
    const first = await system.query('{ provinces { code officialName } }', undefined, { as: null });
    expect(first.body.errors).toBeUndefined();
    const requests = await subgraphRequests('public-services');
    const hits = await gatewayKept('public-services', 'hit');
    const second = await system.query('{ provinces { code officialName } }', undefined, { as: null });
    expect(second.body).toEqual(first.body);
    expect(await subgraphRequests('public-services')).toBe(requests);
    expect(await gatewayKept('public-services', 'hit')).toBe(hits + 1);
  });

  it("keeps the province's name in a citizen's address, and never the citizen: population is called every time", async () => {
    const query = '{ citizen(personalId: "001085012345") { fullName permanentResidence { province { name } } } }';
    const first = await system.query(query);
    expect(first.body.errors).toBeUndefined();
    const provinceCalls = await subgraphRequests('public-services');
    const citizenCalls = await subgraphRequests('population');
    system.resetCounters();
    const second = await system.query(query);
    expect(second.body).toEqual(first.body);
    expect(await subgraphRequests('public-services')).toBe(provinceCalls);
    expect(await subgraphRequests('population')).toBe(citizenCalls + 1);
    expect(served('population', 'POST /v1/citizens/batch-get')).toBe(1);
    expect(await gatewayKept('population', 'stored')).toBe(0);
    expect(await gatewayKept('population', 'hit')).toBe(0);
  });
});

describe('personal data', () => {
  it('is never cached: the population backend is asked on every query', async () => {
    const query = '{ citizen(personalId: "001085012345") { fullName } }';
    system.resetCounters();
    await system.query(query);
    await system.query(query);
    expect(served('population', 'POST /v1/citizens/batch-get')).toBe(2);
  });
});
