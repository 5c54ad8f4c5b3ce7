import { afterAll, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from './support/metrics-text.ts';
import { startSystem } from '../lib/devkit/in-process-system.ts';

/**
 * Reference data from public-services' HTTP cache, end to end: the subgraph keeps the backend's
 * cacheable answers (its mock sends `Cache-Control: public, max-age=60` and an ETag), so a second
 * query within max-age reaches no backend, and an outage of the backend meanwhile costs no reference
 * field. The probes behind `/ready` and the connection board bypass the cache and tell the truth.
 */
const system = await startSystem({ probeIntervalMs: 200, liveStatus: { slowMs: 5000 } });
afterAll(() => system.close());

const PROVINCES = '{ provinces { code name } }';
const cacheAnswers = async () => {
  const text = await (await fetch(system.subgraphs['public-services'].metricsUrl)).text();
  return sampleValue(text, 'lien_thong_backend_cache_answers_total', { system: 'public-services' }) ?? 0;
};
/** Requests a mock served on one route since its counters were reset (the board's health probes are on another). */
const served = (id: 'population' | 'public-services', route: string) => system.mocks[id].stats().byRoute[route] ?? 0;
const board = async () => {
  const { body } = await system.query('{ connections { systemId status } }');
  return Object.fromEntries((body.data as { connections: { systemId: string; status: string }[] }).connections.map((c) => [c.systemId, c.status]));
};

describe('the reference-data cache of the public-services subgraph', () => {
  it('answers a repeated reference query without a backend call, counted as a cache answer', async () => {
    const first = await system.query(PROVINCES, undefined, { as: null });
    expect(first.body.errors).toBeUndefined();
    const before = await cacheAnswers();
    system.resetCounters();
    const second = await system.query(PROVINCES, undefined, { as: null });
    expect(second.body).toEqual(first.body);
    expect(served('public-services', 'GET /v1/provinces')).toBe(0);
    expect(await cacheAnswers()).toBe(before + 1);
    const metrics = parseSamples(await (await fetch(system.subgraphs['public-services'].metricsUrl)).text());
    expect(metrics.some((sample) => sample.name === 'lien_thong_backend_cache_answers_total')).toBe(true);
  });

  it('keeps answering fresh reference data while the backend is down, and /ready and the board say it is down', async () => {
    const warm = await system.query(PROVINCES, undefined, { as: null });
    system.mocks['public-services'].setFault({ mode: 'down' });
    try {
      const during = await system.query(PROVINCES, undefined, { as: null });
      expect(during.body).toEqual(warm.body);
      const ready = await fetch(`${system.subgraphs['public-services'].url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ backend: 'DOWN', error: { code: 'SYSTEM_UNAVAILABLE' } });
      await expect.poll(async () => (await board())['public-services'], { timeout: 10_000, interval: 100 }).toBe('DOWN');
    } finally {
      system.mocks['public-services'].setFault({ mode: 'ok' });
    }
    await expect.poll(async () => (await board())['public-services'], { timeout: 10_000, interval: 100 }).toBe('UP');
  });

  it('never caches personal data: the population backend is asked on every query', async () => {
    const query = '{ citizen(personalId: "001085012345") { fullName } }';
    system.resetCounters();
    await system.query(query);
    await system.query(query);
    expect(served('population', 'POST /v1/citizens/batch-get')).toBe(2);
  });
});
