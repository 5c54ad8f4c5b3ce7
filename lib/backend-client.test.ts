import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BackendClient } from './backend-client.ts';
import { listen, sendJson, type RunningServer } from './http-server.ts';
import { DEFAULT_RESILIENCE } from './resilience.ts';

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
    expect(error).toMatchObject({ message: 'The land system (Bộ Tài nguyên và Môi trường) is unavailable.', reason: 'HTTP 500' });
    expect(JSON.stringify(error)).not.toContain('db-01');
    await land.close();
  });

  it("ends a call at the caller's deadline when it is shorter than the system's own, without counting it against the system", async () => {
    const land = client();
    script = ['hang'];
    const error = await land.get('/v1/health', health, { deadlineAt: Date.now() + 150 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' }, callerDeadline: true });
    expect((error as { reason: string }).reason).toMatch(/^no answer within \d+ ms$/);
    expect(land.health().circuit).toBe('CLOSED');
    await land.close();
  });

  it("counts a timeout at the caller's deadline against the system when that deadline left it a second or more", async () => {
    const land = new BackendClient({ system: 'land', baseUrl: backend.url, timeoutMs: 3000, resilience: { ...DEFAULT_RESILIENCE, breakerFailures: 1 } });
    script = ['hang'];
    const error = await land.get('/v1/health', health, { deadlineAt: Date.now() + 1500 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' }, callerDeadline: false });
    expect(land.health().circuit).toBe('OPEN');
    await land.close();
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
    const error = await client().get('/v1/health', quoting).catch((e: unknown) => e);
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
