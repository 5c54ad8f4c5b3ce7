/**
 * The SQLite access log failing under the real gateway, on a real file with the real driver: a lock
 * held by another process, and the kernel refusing to grow the file. Health and public data keep
 * answering at once (the database waits happen in the store's worker thread, not on the event loop),
 * personal data is refused with 503 ACCESS_LOG_UNAVAILABLE within the request's own deadline, and
 * personal answers resume by themselves afterwards, every one of them in one intact chain.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/personal-id.ts';
import { TEST_CHAIN_KEY } from './support/access.ts';
import { holdSqliteLock } from './support/sqlite-lock.ts';
import { startSystem, type GraphQLBody, type RunningSystem } from './support/system.ts';

const REQUEST_TIMEOUT_MS = 2000;
const LOCK_MS = 6000;
/** Health and public data while the store fails: well under the lock's duration, whatever the machine. */
const PROMPT_MS = 1000;

let system: RunningSystem;
let folder: string;
let path: string;
let personalAnswers = 0;
let citizen = 0;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'lien-thong-sqlite-failures-'));
  path = join(folder, 'access-log.sqlite');
  system = await startSystem({ requestTimeoutMs: REQUEST_TIMEOUT_MS, access: { log: { sqlitePath: path, chainKey: TEST_CHAIN_KEY } } });
});
afterAll(async () => {
  await system?.close();
  rmSync(folder, { recursive: true, force: true });
});

async function timed<T>(call: () => Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await call();
  return { ...result, ms: performance.now() - started };
}

/** A personal query for a citizen not asked before (one access record each). */
async function personal() {
  const id = encodePersonalId('079', 'FEMALE', 1980, 300_000 + citizen++);
  const response = await timed(() => system.query('query($id: ID!) { citizen(personalId: $id) { fullName } }', { id }));
  const fullName = (response.body.data?.citizen as { fullName?: unknown } | null | undefined)?.fullName;
  if (response.status === 200 && typeof fullName === 'string') personalAnswers += 1;
  return { ...response, fullName };
}

const health = () => timed(async () => ({ status: (await fetch(`${system.gateway.url}/health`)).status }));
const publicQuery = () => timed(() => system.query('{ provinces { code name } }', {}, { as: null }));

function expectRefused(response: { status: number; body: GraphQLBody; fullName: unknown; ms: number }) {
  expect(response.status).toBe(503);
  expect(response.body.data ?? null).toBeNull();
  expect(response.fullName).toBeUndefined();
  expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['ACCESS_LOG_UNAVAILABLE']);
  // Within the request's own deadline (with room for a loaded machine), never the lock's duration.
  expect(response.ms).toBeLessThan(REQUEST_TIMEOUT_MS + PROMPT_MS);
  expect(JSON.stringify(response.body)).not.toContain(path);
}

/** Asks for personal data until it is answered again (the store's circuit lets a trial through every second). */
async function personalResumes(withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const response = await personal();
    if (response.status === 200 && typeof response.fullName === 'string') return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`personal answers did not resume within ${withinMs} ms: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function expectChainHoldsEveryAnswer() {
  const verification = await system.gateway.accessLog!.verify();
  expect(verification).toMatchObject({ intact: true, problems: [] });
  expect(verification.records).toBeGreaterThanOrEqual(personalAnswers);
}

describe('SQLite access log under failure, through the gateway', () => {
  it('answers health and public data at once while another process holds the lock; personal data gets 503, then resumes', async () => {
    // Warm (the first query is planned, the worker loaded) and answering before the lock.
    await personalResumes(15_000);
    const lock = await holdSqliteLock(path, LOCK_MS);
    const lockedAt = Date.now();
    try {
      // Personal requests wait on the lock in the worker meanwhile.
      const refused = Promise.all([personal(), personal(), personal()]);
      for (let round = 0; round < 3; round++) {
        const [alive, provinces] = await Promise.all([health(), publicQuery()]);
        expect(alive.status).toBe(200);
        expect(alive.ms).toBeLessThan(PROMPT_MS);
        expect(provinces.status).toBe(200);
        expect((provinces.body.data?.provinces as unknown[]).length).toBe(34);
        expect(provinces.ms).toBeLessThan(PROMPT_MS);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      for (const response of await refused) expectRefused(response);
      expectRefused(await personal());
      // All of the above happened while the lock was held, or the test proves nothing.
      expect(Date.now() - lockedAt).toBeLessThan(LOCK_MS);
      await lock.released;
    } finally {
      lock.kill();
    }
    const resumedInMs = await personalResumes(5000);
    expect(resumedInMs).toBeLessThan(5000);
    await expectChainHoldsEveryAnswer();
  });

  it('refuses personal data with 503 while the kernel refuses to grow the log file (I/O error), and recovers', async () => {
    await personalResumes(15_000);
    // RLIMIT_FSIZE of this process, as a full disk would: the next write past the log's current end fails.
    const limit = Math.max(statSync(path).size, statSync(`${path}-wal`).size);
    const setLimit = (value: string) => execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${value}:`]);
    setLimit(String(limit));
    try {
      expectRefused(await personal());
      const [alive, provinces] = await Promise.all([health(), publicQuery()]);
      expect(alive.status).toBe(200);
      expect(provinces.status).toBe(200);
      expect(alive.ms).toBeLessThan(PROMPT_MS);
      expectRefused(await personal());
      const reason = system.gateway.accessLog!.health().lastFailure?.reason;
      expect(reason).toMatch(/^SQLITE_IOERR/);
    } finally {
      setLimit('unlimited');
    }
    await personalResumes(5000);
    await expectChainHoldsEveryAnswer();
  });
});
