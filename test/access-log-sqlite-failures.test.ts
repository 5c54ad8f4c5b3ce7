/**
 * The SQLite access log failing under the real gateway, on a real file with the real driver: a lock
 * held by another process, and the kernel refusing to grow the file. Health and public data keep
 * answering (the database waits happen in the store's worker thread, not on the event loop),
 * personal data is refused with 503 ACCESS_LOG_UNAVAILABLE at the request's own deadline, and
 * personal answers resume by themselves afterwards, every one of them in one intact chain. The
 * lock is held until the test lets it go, so every answer asserted during it came while it was held,
 * and an answer that waited for the lock would never come (the test would time out): no duration is measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { TEST_CHAIN_KEY } from '../lib/devkit/test-credentials.ts';
import { holdSqliteLock } from './support/sqlite-lock.ts';
import { startSystem, type GraphQLBody, type RunningSystem } from '../lib/devkit/in-process-system.ts';

const REQUEST_TIMEOUT_MS = 5000;
/** How long personal answers are awaited before the test gives up: a bound, not a measurement. */
const GIVE_UP_MS = 30_000;

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

/** A personal query for a citizen not asked before (one access record each). */
async function personal() {
  const id = encodePersonalId('079', 'FEMALE', 1980, 300_000 + citizen++);
  const response = await system.query('query($id: ID!) { citizen(personalId: $id) { fullName } }', { id });
  const fullName = (response.body.data?.citizen as { fullName?: unknown } | null | undefined)?.fullName;
  if (response.status === 200 && typeof fullName === 'string') personalAnswers += 1;
  return { ...response, fullName };
}

const health = async () => ({ status: (await fetch(`${system.gateway.url}/health`)).status });
const publicQuery = () => system.query('{ provinces { code name } }', {}, { as: null });

function expectRefused(response: { status: number; body: GraphQLBody; fullName: unknown }) {
  expect(response.status).toBe(503);
  expect(response.body.data ?? null).toBeNull();
  expect(response.fullName).toBeUndefined();
  expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['ACCESS_LOG_UNAVAILABLE']);
  expect(JSON.stringify(response.body)).not.toContain(path);
}

/** Asks for personal data until it is answered again (the store's circuit lets a trial through every second). */
async function personalResumes(): Promise<void> {
  const started = Date.now();
  for (;;) {
    const response = await personal();
    if (response.status === 200 && typeof response.fullName === 'string') return;
    if (Date.now() - started > GIVE_UP_MS) throw new Error(`personal answers did not resume within ${GIVE_UP_MS} ms: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function expectChainHoldsEveryAnswer() {
  const verification = await system.gateway.accessLog!.verify();
  expect(verification).toMatchObject({ intact: true, problems: [] });
  expect(verification.records).toBeGreaterThanOrEqual(personalAnswers);
}

describe('SQLite access log under failure, through the gateway', () => {
  it('answers health and public data while another process holds the lock; personal data gets 503, then resumes', async () => {
    // Warm (the first query is planned, the worker loaded) and answering before the lock.
    await personalResumes();
    const lock = await holdSqliteLock(path);
    try {
      // Personal requests wait on the lock in the worker meanwhile.
      const refused = Promise.all([personal(), personal(), personal()]);
      for (let round = 0; round < 3; round++) {
        const [alive, provinces] = await Promise.all([health(), publicQuery()]);
        expect(alive.status).toBe(200);
        expect(provinces.status).toBe(200);
        expect((provinces.body.data?.provinces as unknown[]).length).toBe(34);
      }
      for (const response of await refused) expectRefused(response);
      expectRefused(await personal());
      await lock.release();
    } finally {
      lock.kill();
    }
    await personalResumes();
    await expectChainHoldsEveryAnswer();
  }, 90_000);

  it('refuses personal data with 503 while the kernel refuses to grow the log file (I/O error), and recovers', async () => {
    await personalResumes();
    // RLIMIT_FSIZE of this process, as a full disk would: the next write past the log's current end fails.
    const limit = Math.max(statSync(path).size, statSync(`${path}-wal`).size);
    const setLimit = (value: string) => execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${value}:`]);
    setLimit(String(limit));
    try {
      expectRefused(await personal());
      const [alive, provinces] = await Promise.all([health(), publicQuery()]);
      expect(alive.status).toBe(200);
      expect(provinces.status).toBe(200);
      expectRefused(await personal());
      const reason = system.gateway.accessLog!.health().lastFailure?.reason;
      expect(reason).toMatch(/^SQLITE_IOERR/);
    } finally {
      setLimit('unlimited');
    }
    await personalResumes();
    await expectChainHoldsEveryAnswer();
  }, 90_000);
});
