import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { credentialHeaders, DEFAULT_CREDENTIAL } from '../lib/devkit/test-credentials.ts';
import { startPostgres, type TestPostgres } from './support/postgres.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * The PostgreSQL access log failing under the real gateway (a real PostgreSQL 15 server): stopped
 * abruptly with requests in flight, hung (every process SIGSTOPped), out of disk. Personal requests
 * get 503 ACCESS_LOG_UNAVAILABLE within their own deadline and never without a record; the process
 * does not crash (an uncaught exception fails this file); /health, /ready and public data keep
 * answering; personal answers resume by themselves once the server is back; the chain verifies.
 * No duration is measured: each fault lasts until the test ends it, so a refusal that arrives
 * during it did not wait for the store to come back.
 */
const REQUEST_TIMEOUT_MS = 3000;
/** How long the test waits for personal answers to resume (a trial write every second) before it gives up: a bound, not a measurement. */
const RECOVERY_BOUND_MS = 60_000;
/** Never sent by the server's trust authentication, and must appear nowhere in /ready. */
const PASSWORD = 'not-a-real-secret-7f3a';

const PERSONAL = 'query($id: ID!) { citizen(personalId: $id) { fullName } }';
let counter = 0;
const nextId = () => encodePersonalId('079', counter % 2 ? 'FEMALE' : 'MALE', 1950 + (counter % 60), 200_000 + counter++);

let postgres: TestPostgres;
let system: RunningSystem;
/** Request ids of every personal 200 answer in this file: each must have its record. */
const answered = new Set<string>();

interface Answer {
  status: number;
  code: string | undefined;
  whole: boolean;
}

async function personal(tag: string): Promise<Answer> {
  const requestId = `${tag}-${counter}`;
  const response = await fetch(system.gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...credentialHeaders(DEFAULT_CREDENTIAL) },
    body: JSON.stringify({ query: PERSONAL, variables: { id: nextId() } }),
  });
  const body = (await response.json()) as { data?: { citizen?: { fullName?: unknown } | null } | null; errors?: { extensions?: { code?: string } }[] };
  const whole = response.status === 200 && typeof body.data?.citizen?.fullName === 'string';
  if (whole) answered.add(requestId);
  return { status: response.status, code: body.errors?.[0]?.extensions?.code, whole };
}

async function publicQuery(): Promise<number> {
  const response = await fetch(system.gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ provinces { code name } }' }),
  });
  const body = (await response.json()) as { data?: { provinces?: unknown[] } };
  return response.status === 200 && body.data?.provinces?.length === 63 ? 200 : response.status;
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${system.gateway.url}${path}`);
  return { status: response.status, text: await response.text() };
}

async function readyAccessLog(): Promise<{ status: string; circuit: string; lastFailure: { reason: string } | null; lastSuccessAt: string | null }> {
  const ready = await get('/ready');
  expect(ready.status).toBe(200);
  expect(ready.text).not.toContain(PASSWORD);
  expect(ready.text).not.toContain('postgres://');
  expect(ready.text).not.toContain(String(postgres.port));
  return (JSON.parse(ready.text) as { accessLog: never }).accessLog;
}

/** A refused personal request: 503 ACCESS_LOG_UNAVAILABLE. */
function expectRefused(answer: Answer): void {
  expect(answer).toMatchObject({ status: 503, code: 'ACCESS_LOG_UNAVAILABLE', whole: false });
}

/** Asks for personal data until it is answered. */
async function untilPersonalAnswered(): Promise<void> {
  const started = performance.now();
  for (;;) {
    const answer = await personal('recover');
    if (answer.whole) return;
    expect(answer).toMatchObject({ status: 503, code: 'ACCESS_LOG_UNAVAILABLE' });
    if (performance.now() - started > RECOVERY_BOUND_MS) throw new Error(`personal answers did not resume within ${RECOVERY_BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function expectChainHolds(): Promise<void> {
  const log = system.gateway.accessLog!;
  const verification = await log.verify();
  expect(verification).toMatchObject({ intact: true, problems: [] });
  const written = await log.query({ limit: 10_000 });
  expect(written.map((record) => record.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: written.length }, (_, i) => i + 1));
  const logged = new Set(written.map((record) => record.requestId));
  expect([...answered].filter((id) => !logged.has(id))).toEqual([]);
  expect(written.length).toBeGreaterThanOrEqual(answered.size);
}

beforeAll(async () => {
  postgres = await startPostgres();
  const databaseUrl = postgres.url.replace('postgres@', `postgres:${PASSWORD}@`);
  system = await startSystem({ requestTimeoutMs: REQUEST_TIMEOUT_MS, access: { databaseUrl } });
  expect((await personal('warm-up')).whole).toBe(true);
}, 90_000);
afterAll(async () => {
  await system?.close();
  await postgres?.stop();
}, 60_000);

describe('PostgreSQL access log faults through the real gateway', () => {
  it('stopped abruptly with requests in flight: 503s, no crash; personal answers resume after a restart; the chain verifies', async () => {
    const inFlight = Array.from({ length: 40 }, () => personal('stop'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await postgres.stopImmediately();
    for (const answer of await Promise.all(inFlight)) {
      if (!answer.whole) expectRefused(answer);
    }

    // Down: personal data refused in time, everything else answered.
    for (const answer of await Promise.all(Array.from({ length: 10 }, () => personal('down')))) expectRefused(answer);
    expect(await publicQuery()).toBe(200);
    expect((await get('/health')).status).toBe(200);
    expect((await get('/status')).status).toBe(200);
    expect(await readyAccessLog()).toMatchObject({ status: 'DOWN' });

    await postgres.restart();
    await untilPersonalAnswered();
    expect(await readyAccessLog()).toMatchObject({ status: 'UP', circuit: 'CLOSED' });
    await expectChainHolds();
  }, 120_000);

  it('hung (SIGSTOP): 503 within the deadline while /health, /ready and public data answer; resumes after SIGCONT; the chain verifies', async () => {
    postgres.pause();
    try {
      const hung = personal('hung');
      // Everything else answers while the store is hung (it stays so until the test resumes it).
      expect((await get('/health')).status).toBe(200);
      expect(await publicQuery()).toBe(200);
      expect((await get('/ready')).status).toBe(200);
      const connections = await fetch(system.gateway.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ connections { system status } }' }),
      });
      expect(connections.status).toBe(200);
      expectRefused(await hung);

      // Known down now: refused at once (circuit open) or at worst by the deadline.
      for (const answer of await Promise.all(Array.from({ length: 10 }, () => personal('hung-more')))) expectRefused(answer);
      expect(await readyAccessLog()).toMatchObject({ status: 'DOWN', lastFailure: { reason: expect.stringMatching(/timeout/) } });
    } finally {
      postgres.resume();
    }
    await untilPersonalAnswered();
    expect(await readyAccessLog()).toMatchObject({ status: 'UP' });
    await expectChainHolds();
  }, 120_000);

  it('out of disk (SQLSTATE 53100): 503 with the cause in /ready; resumes once writes succeed again', async () => {
    await postgres.exec(`
      CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
      CREATE TRIGGER disk_full BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION disk_full();`);
    try {
      for (const answer of await Promise.all(Array.from({ length: 5 }, () => personal('full')))) expectRefused(answer);
      expectRefused(await personal('full'));
      expect(await readyAccessLog()).toMatchObject({ status: 'DOWN', lastFailure: { reason: 'SQLSTATE 53100 disk_full' } });
      expect(await publicQuery()).toBe(200);
    } finally {
      await postgres.exec('DROP TRIGGER disk_full ON access_log; DROP FUNCTION disk_full();');
    }
    await untilPersonalAnswered();
    await expectChainHolds();
  }, 60_000);
});
