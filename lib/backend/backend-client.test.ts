import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Registry } from 'prom-client';
import { BackendClient } from './backend-client.ts';
import { BackendCallMetrics } from '../runtime/metrics.ts';
import { listen, sendJson, type RunningServer } from '../runtime/http-server.ts';
import { DEFAULT_RESILIENCE, MEANINGFUL_BUDGET_MS } from '../runtime/resilience.ts';

/** A backend whose next answers are scripted per test: each request takes the next behaviour. */
type Behaviour = 'reset' | 'ok' | 500 | 503 | 'hang';
let script: Behaviour[] = [];
let served = 0;
let backend: RunningServer;

function answer(req: IncomingMessage, res: ServerResponse) {
  served += 1;
  const behaviour = script.shift() ?? 'ok';
  req.resume();
  if (behaviour === 'reset') return req.socket.destroy();
  if (behaviour === 'hang') return; // never answers; the client's deadline must end the call
  if (typeof behaviour === 'number') return sendJson(res, behaviour, { error: 'internal detail at db-01.internal' });
  return sendJson(res, 200, { status: 'ok', system: 'land' });
}

beforeAll(async () => {
  backend = await listen(createServer(answer), 0, '127.0.0.1');
});
afterAll(() => backend.close());
beforeEach(() => {
  script = [];
  served = 0;
});

const health = z.object({ status: z.literal('ok'), system: z.string() });
const client = (retries = 2) =>
  new BackendClient({
    system: 'land',
    baseUrl: backend.url,
    timeoutMs: 2000,
    resilience: { ...DEFAULT_RESILIENCE, retries, retryBaseDelayMs: 1, retryMaxDelayMs: 5 },
  });

describe('BackendClient resilience over HTTP', () => {
  it('retries a GET whose connection was reset, and answers', async () => {
    script = ['reset', 'ok'];
    const land = client();
    await expect(land.get('/v1/health', health)).resolves.toEqual({ status: 'ok', system: 'land' });
    expect(served).toBe(2);
    expect(land.health()).toMatchObject({ calls: 1, retries: 1, failedCalls: 0, circuit: 'CLOSED' });
    expect(land.health().recentFailures[0]).toMatchObject({ code: 'SYSTEM_UNAVAILABLE' });
    await land.close();
  });

  it('retries a POST only when the adapter marks it an idempotent read', async () => {
    const land = client();
    script = ['reset', 'ok'];
    await expect(land.post('/v1/parcels/batch-get', { parcelIds: ['x'] }, health, { idempotent: true })).resolves.toMatchObject({ status: 'ok' });
    expect(served).toBe(2);
    served = 0;
    script = ['reset', 'ok'];
    await expect(land.post('/v1/parcels/batch-get', { parcelIds: ['x'] }, health)).rejects.toMatchObject({
      extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
    });
    expect(served).toBe(1);
    await land.close();
  });

  it('retries 503 (briefly unable to answer) but not 500, and never shows the body', async () => {
    const land = client();
    script = [503, 'ok'];
    await expect(land.get('/v1/health', health)).resolves.toMatchObject({ status: 'ok' });
    expect(served).toBe(2);
    served = 0;
    script = [500, 'ok'];
    const error = await land.get('/v1/health', health).catch((e: unknown) => e);
    expect(served).toBe(1);
    expect(error).toMatchObject({ message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable.', reason: 'HTTP 500' });
    expect(JSON.stringify(error)).not.toContain('db-01');
    await land.close();
  });

  it("ends a call at the caller's deadline when it is shorter than the system's own, without counting it against the system", async () => {
    // The clock stands still: the call is left its 150 ms however long the machine takes to start it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const land = client();
      script = ['hang'];
      const error = await land.get('/v1/health', health, { deadlineAt: Date.now() + 150 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' }, callerDeadline: true, reason: 'no answer within 150 ms' });
      expect(land.health().circuit).toBe('CLOSED');
      await land.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("counts a timeout at the caller's deadline against the system when that deadline left it a second or more", async () => {
    // The clock stands still, so the call is left exactly the meaningful budget however long the machine takes to start it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const land = new BackendClient({ system: 'land', baseUrl: backend.url, timeoutMs: 3000, resilience: { ...DEFAULT_RESILIENCE, breakerFailures: 1 } });
      script = ['hang'];
      const error = await land.get('/v1/health', health, { deadlineAt: Date.now() + MEANINGFUL_BUDGET_MS }).catch((e: unknown) => e);
      expect(error).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' }, callerDeadline: false });
      expect(land.health().circuit).toBe('OPEN');
      await land.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes the budget below which a timeout is the caller's from its resilience options", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const land = new BackendClient({ system: 'land', baseUrl: backend.url, timeoutMs: 3000, resilience: { ...DEFAULT_RESILIENCE, breakerFailures: 1, meaningfulBudgetMs: 200 } });
      script = ['hang', 'hang'];
      const under = await land.get('/v1/health', health, { deadlineAt: Date.now() + 199 }).catch((e: unknown) => e);
      expect(under).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT' }, callerDeadline: true });
      expect(land.health().circuit).toBe('CLOSED');
      const at = await land.get('/v1/health', health, { deadlineAt: Date.now() + 200 }).catch((e: unknown) => e);
      expect(at).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT' }, callerDeadline: false });
      expect(land.health().circuit).toBe('OPEN');
      await land.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('probes around the circuit: a health probe reaches a backend whose circuit is open', async () => {
    const land = new BackendClient({ system: 'land', baseUrl: backend.url, timeoutMs: 2000, resilience: { ...DEFAULT_RESILIENCE, retries: 0, breakerFailures: 1 } });
    script = [503];
    await land.get('/v1/health', health).catch(() => undefined);
    expect(land.health().circuit).toBe('OPEN');
    served = 0;
    await expect(land.get('/v1/health', health, { probe: true })).resolves.toEqual({ status: 'ok', system: 'land' });
    expect(served).toBe(1);
    expect(land.health()).toMatchObject({ circuit: 'OPEN', lastProbe: { ok: true } });
    await land.close();
  });

  it('describes an answer that breaks the contract by path and rule, with no text of the answer in the reason', async () => {
    // A contract rule whose message quotes the answer, as the public-services sources check does.
    const quoting = z.object({ status: z.literal('ok'), system: z.string() }).refine((a) => a.system === 'population', {
      message: 'expected population, got land',
      path: ['system'],
    });
    const error = await client()
      .get('/v1/health', quoting)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ systemCode: 'SYSTEM_BAD_RESPONSE', reason: 'answer breaks the contract at system: expected population, got …' });
  });

  it('ends a call at its own deadline as a timeout that counts against the system', async () => {
    const land = new BackendClient({ system: 'land', baseUrl: backend.url, timeoutMs: 150, resilience: { ...DEFAULT_RESILIENCE, breakerFailures: 1 } });
    script = ['hang'];
    const error = await land.get('/v1/health', health).catch((e: unknown) => e);
    expect(error).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' }, callerDeadline: false });
    expect(land.health().circuit).toBe('OPEN');
    await land.close();
  });

  it('closes without waiting out the deadline of a call in flight: the call is cut after a short grace', async () => {
    const land = new BackendClient({ system: 'land', baseUrl: backend.url, timeoutMs: 60_000 });
    script = ['hang'];
    const inFlight = land.get('/v1/health', health).catch((e: unknown) => e);
    while (served === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await land.close();
    expect(await inFlight).toMatchObject({ extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' } });
  });
});

describe('BackendClient HTTP cache of reference data (RFC 9111)', () => {
  /** A reference-data backend: what it was asked, and the caching headers it answers with. */
  interface Asked {
    method: string;
    path: string;
    headers: IncomingMessage['headers'];
  }
  let asked: Asked[] = [];
  let cacheControl = 'public, max-age=60';
  let version = 1;
  let reference: RunningServer;
  const provinces = z.object({ version: z.number(), provinces: z.array(z.string()) });

  beforeAll(async () => {
    reference = await listen(
      createServer((req, res) => {
        asked.push({ method: req.method!, path: req.url!, headers: req.headers });
        req.resume();
        const etag = `"v${version}"`;
        res.setHeader('cache-control', req.url === '/v1/health' ? 'public, max-age=60' : cacheControl);
        res.setHeader('etag', etag);
        if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
        sendJson(res, 200, req.url === '/v1/health' ? { status: 'ok', system: 'public-services' } : { version, provinces: ['01', '79'] });
      }),
      0,
      '127.0.0.1',
    );
  });
  afterAll(() => reference.close());
  beforeEach(() => {
    asked = [];
    cacheControl = 'public, max-age=60';
    version = 1;
  });

  /** The metrics of the last client made. */
  let registry = new Registry();
  const cachingClient = (cacheEntries: number) => {
    registry = new Registry();
    return new BackendClient({ system: 'public-services', baseUrl: reference.url, timeoutMs: 2000, cacheEntries, metrics: new BackendCallMetrics(registry) });
  };
  const cachedAnswers = async () =>
    (await registry.getSingleMetric('lien_thong_backend_cache_answers_total')!.get()).values.find((v) => v.labels.system === 'public-services')?.value;
  /** How many requests two identical reads make reach the backend. */
  const backendRequestsForTwoReads = async (client: BackendClient) => {
    asked = [];
    await client.get('/v1/provinces', provinces);
    await client.get('/v1/provinces', provinces);
    await client.close();
    return asked.length;
  };

  it('answers a fresh cacheable GET from the cache, the same validated object, and counts it', async () => {
    const client = cachingClient(16);
    const first = await client.get('/v1/provinces', provinces, { requestId: 'r1' });
    const second = await client.get('/v1/provinces', provinces, { requestId: 'r2' });
    expect(second).toEqual({ version: 1, provinces: ['01', '79'] });
    expect(second).toBe(first);
    expect(asked).toHaveLength(1);
    expect(await cachedAnswers()).toBe(1);
    // The header that tells a cached answer from the backend's never leaves the subgraph.
    expect(Object.keys(asked[0]!.headers).filter((name) => name.startsWith('x-lien-thong'))).toEqual([]);
    await client.close();
  });

  it('revalidates a stale answer with its ETag, and a 304 gives back the answer already validated', async () => {
    cacheControl = 'public, max-age=0';
    const client = cachingClient(16);
    const first = await client.get('/v1/provinces', provinces);
    const second = await client.get('/v1/provinces', provinces);
    expect(asked.map((a) => a.headers['if-none-match'])).toEqual([undefined, '"v1"']);
    expect(second).toBe(first);
    version = 2;
    await expect(client.get('/v1/provinces', provinces)).resolves.toEqual({ version: 2, provinces: ['01', '79'] });
    await client.close();
  });

  it('stores nothing the backend marks no-store, and nothing without a cache', async () => {
    cacheControl = 'no-store';
    expect(await backendRequestsForTwoReads(cachingClient(16))).toBe(2);
    cacheControl = 'public, max-age=60';
    expect(await backendRequestsForTwoReads(cachingClient(0))).toBe(2);
  });

  it('never answers a health probe from the cache, so /ready tells about the backend itself', async () => {
    const client = cachingClient(16);
    await client.get('/v1/provinces', provinces);
    await client.get('/v1/health', health, { probe: true });
    await client.get('/v1/health', health, { probe: true });
    expect(asked.map((a) => [a.path, a.headers['cache-control']])).toEqual([
      ['/v1/provinces', undefined],
      ['/v1/health', 'no-store'],
      ['/v1/health', 'no-store'],
    ]);
    await client.close();
  });

  it('keeps serving fresh reference data while the backend is down, and the probe says it is down', async () => {
    const downAfter = await listen(
      createServer((req, res) => {
        req.resume();
        res.setHeader('cache-control', 'public, max-age=60');
        res.setHeader('etag', '"v1"');
        sendJson(res, 200, { version: 1, provinces: ['01'] });
      }),
      0,
      '127.0.0.1',
    );
    const client = new BackendClient({ system: 'public-services', baseUrl: downAfter.url, timeoutMs: 500, cacheEntries: 16, resilience: { ...DEFAULT_RESILIENCE, retries: 0 } });
    await client.get('/v1/provinces', provinces);
    await downAfter.close();
    await expect(client.get('/v1/provinces', provinces)).resolves.toEqual({ version: 1, provinces: ['01'] });
    await expect(client.get('/v1/health', health, { probe: true })).rejects.toMatchObject({ systemCode: 'SYSTEM_UNAVAILABLE' });
    await client.close();
  });
});
