import { request } from 'node:http';
import { connect } from 'node:net';
import { errors as undiciErrors, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { healthHandler, startMockBackend, type RunningMock } from './mock-server.ts';
import { cacheableAnswer, route } from './mock-routes.ts';

let mock: RunningMock;
beforeAll(async () => {
  mock = await startMockBackend('land', [
    healthHandler('land'),
    route.post('/v1/echo', (request) => ({ status: 200, json: JSON.parse(request.body.toString('utf8')) })),
    route.get('/v1/parcels/:parcelId/owners/:personalId', ({ params, query }) => ({ status: 200, json: { params, at: query.get('at') } })),
    route.get('/v1/nothing', () => ({ status: 200 })),
    route.get('/v1/list', cacheableAnswer({ list: ['Hà Nội'] }, 60)),
  ]);
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.setFault({ mode: 'ok' });
  mock.resetStats();
});

const admin = (method: string, path: string, body?: string) => fetch(`${mock.url}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });

interface RawExchange {
  head: string;
  body: Buffer;
  /** How the connection ended: `FIN` for an orderly close, else the socket error's code. */
  ending: string;
}

/** One GET over a bare TCP socket: exactly what the mock put on the wire, and how it ended. */
function rawGet(path: string, headerLines = ''): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ending = 'FIN';
    const socket = connect(mock.port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headerLines}\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (ending = error.code ?? error.message));
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      resolve({ head: raw.subarray(0, split).toString('latin1'), body: raw.subarray(split + 4), ending });
    });
  });
}

const contentLength = (head: string) => Number(/^content-length: (\d+)$/im.exec(head)?.[1]);

/** Reads a whole answer with undici, as the adapters do; resolves with the error that cut it short. */
async function undiciFailure(path: string): Promise<unknown> {
  const response = await undiciRequest(`${mock.url}${path}`);
  expect(response.statusCode).toBe(200);
  return response.body.text().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('mock backend server', () => {
  it('serves its route table over real HTTP and counts it, but not admin calls', async () => {
    const echoed = await fetch(`${mock.url}/v1/echo`, { method: 'POST', body: JSON.stringify({ a: 'Hà Nội' }) });
    expect(echoed.headers.get('content-type')).toBe('application/json');
    expect(await echoed.json()).toEqual({ a: 'Hà Nội' });
    const unknown = await fetch(`${mock.url}/v1/unknown`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await unknown.json()).toEqual({ error: 'no such route: GET /v1/unknown' });
    const stats = await (await admin('GET', '/_mock/stats')).json();
    expect(stats).toEqual({ system: 'land', requests: 2, byRoute: { 'POST /v1/echo': 1, 'GET /v1/unknown': 1 }, recentRequestIds: [], fault: { mode: 'ok' } });
    await admin('DELETE', '/_mock/stats');
    expect(mock.stats().requests).toBe(0);
  });

  it('gives a route its path parameters (decoded) and query, under any path prefix', async () => {
    const answer = await fetch(`${mock.url}/api/v1/parcels/TD-001%2F7/owners/001085012345/?at=2024-01-01`);
    expect(await answer.json()).toEqual({ params: { parcelId: 'TD-001/7', personalId: '001085012345' }, at: '2024-01-01' });
    expect(mock.stats().byRoute).toEqual({ 'GET /api/v1/parcels/TD-001%2F7/owners/001085012345/': 1 });
  });

  it('sends an answer without json as an empty JSON body, with its length', async () => {
    const empty = await fetch(`${mock.url}/v1/nothing`);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-length')).toBe('0');
    expect(await empty.text()).toBe('');
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
    const unknownMode = await admin('PUT', '/_mock/fault', '{"mode":"exploded"}');
    expect(unknownMode.status).toBe(400);
    expect((await unknownMode.json()).error).toContain('"truncated"|"reset"');
    const notJson = await admin('PUT', '/_mock/fault', 'not json');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toContain('ok|slow|error|malformed|truncated|reset|down');
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

  it('in truncated mode promises the full Content-Length, sends half the body and closes: the client sees the answer cut short', async () => {
    const whole = await fetch(`${mock.url}/v1/health`);
    const full = Buffer.from(await whole.arrayBuffer());
    mock.setFault({ mode: 'truncated' });
    const raw = await rawGet('/v1/health');
    expect(raw.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(contentLength(raw.head)).toBe(full.length);
    expect(raw.body).toEqual(full.subarray(0, Math.floor(full.length / 2)));
    expect(raw.ending).toBe('FIN');
    const failure = await undiciFailure('/v1/health');
    expect(failure).toBeInstanceOf(undiciErrors.SocketError);
    expect((failure as Error).message).toBe('other side closed');
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/health': 3 });
  });

  it('in reset mode sends the headers and half the body, then resets the connection: the client sees ECONNRESET', async () => {
    const full = Buffer.from(await (await fetch(`${mock.url}/v1/health`)).arrayBuffer());
    await admin('PUT', '/_mock/fault', '{"mode":"reset"}');
    const raw = await rawGet('/v1/health');
    expect(raw.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(contentLength(raw.head)).toBe(full.length);
    expect(raw.body).toEqual(full.subarray(0, Math.floor(full.length / 2)));
    expect(raw.ending).toBe('ECONNRESET');
    const failure = await undiciFailure('/v1/health');
    expect((failure as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/health': 3 });
  });

  it('in truncated and reset mode a 304, which has no body, still sends its headers before the connection ends', async () => {
    const etag = (await fetch(`${mock.url}/v1/list`)).headers.get('etag');
    for (const [mode, ending] of [
      ['truncated', 'FIN'],
      ['reset', 'ECONNRESET'],
    ] as const) {
      mock.setFault({ mode });
      const raw = await rawGet('/v1/list', `if-none-match: ${etag}\r\n`);
      expect(raw.head).toMatch(/^HTTP\/1\.1 304 Not Modified\r\n/);
      expect(raw.head).toContain(`etag: ${etag}`);
      expect(raw.body.length).toBe(0);
      expect(raw.ending).toBe(ending);
    }
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
