import { request } from 'node:http';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { healthHandler, startMockBackend, type RunningMock } from './mock-server.ts';

let mock: RunningMock;
beforeAll(async () => {
  mock = await startMockBackend('land', [healthHandler('land'), http.post('*/v1/echo', async ({ request }) => HttpResponse.json(await request.json()))]);
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.setFault({ mode: 'ok' });
  mock.resetStats();
});

const admin = (method: string, path: string, body?: string) =>
  fetch(`${mock.url}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });

describe('mock backend server', () => {
  it('serves its msw handlers over real HTTP and counts them, but not admin calls', async () => {
    const echoed = await fetch(`${mock.url}/v1/echo`, { method: 'POST', body: JSON.stringify({ a: 'Hà Nội' }) });
    expect(await echoed.json()).toEqual({ a: 'Hà Nội' });
    expect((await fetch(`${mock.url}/v1/unknown`)).status).toBe(404);
    const stats = await (await admin('GET', '/_mock/stats')).json();
    expect(stats).toEqual({ system: 'land', requests: 2, byRoute: { 'POST /v1/echo': 1, 'GET /v1/unknown': 1 }, recentRequestIds: [], fault: { mode: 'ok' } });
    await admin('DELETE', '/_mock/stats');
    expect(mock.stats().requests).toBe(0);
  });

  it('survives a malformed Host header and answers its own /health uncounted, whatever the fault', async () => {
    const { request: rawRequest } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = rawRequest(`${mock.url}/v1/health`, { headers: { host: 'exa mple' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    mock.setFault({ mode: 'down' });
    expect(await (await fetch(`${mock.url}/health`)).json()).toEqual({ status: 'ok' });
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/health': 1 });
  });

  it('takes a fault setting over HTTP and refuses a bad one', async () => {
    expect((await admin('PUT', '/_mock/fault', '{"mode":"exploded"}')).status).toBe(400);
    expect((await admin('PUT', '/_mock/fault', 'not json')).status).toBe(400);
    expect(await (await admin('PUT', '/_mock/fault', '{"mode":"error"}')).json()).toEqual({ mode: 'error' });
    const failed = await fetch(`${mock.url}/v1/health`);
    expect(failed.status).toBe(500);
    expect(await (await admin('GET', '/_mock/fault')).json()).toEqual({ mode: 'error' });
  });

  it('answers malformed JSON in malformed mode, and late in slow mode', async () => {
    mock.setFault({ mode: 'malformed' });
    const text = await (await fetch(`${mock.url}/v1/health`)).text();
    expect(() => JSON.parse(text)).toThrow();
    mock.setFault({ mode: 'slow', latencyMs: 2000 });
    await expect(fetch(`${mock.url}/v1/health`, { signal: AbortSignal.timeout(100) })).rejects.toThrow(/aborted|timeout/i);
    mock.setFault({ mode: 'slow', latencyMs: 50 });
    expect((await fetch(`${mock.url}/v1/health`)).status).toBe(200);
  });

  it('in down mode resets open keep-alive connections and every new request, but still answers admin calls', async () => {
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${mock.url}/v1/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get()).toBe(200);
    const [socket] = Object.values(agent.freeSockets).flat();
    const closed = new Promise<void>((resolve) => socket!.once('close', () => resolve()));
    await admin('PUT', '/_mock/fault', '{"mode":"down"}');
    await closed;
    await expect(get()).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await admin('GET', '/_mock/stats')).status).toBe(200);
    agent.destroy();
  });
});
