/**
 * The SQLite store's worker thread, on a real file with the real driver: a lock held by another
 * connection never blocks this thread's event loop, a worker that dies fails its callers at once and
 * is started again, and close ends it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { accessRecord } from '../../test/support/access.ts';
import { SqliteAccessLog } from './sqlite-store.ts';
import { RESTART_PAUSE_MS, WORKER_EXITED } from './sqlite-worker-client.ts';

const KEY = 'worker-test-chain-key-0123456789abcdef';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newLog() {
  const folder = mkdtempSync(join(tmpdir(), 'lien-thong-sqlite-worker-'));
  const path = join(folder, 'access-log.sqlite');
  const log = new SqliteAccessLog(path, KEY);
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  cleanups.push(() => log.close());
  return { log, path };
}

/** Another connection in this thread holding the write lock (`BEGIN EXCLUSIVE`) until released. */
function holdLock(path: string) {
  const other = new Database(path);
  other.exec('BEGIN EXCLUSIVE');
  const release = () => {
    if (other.inTransaction) other.exec('COMMIT');
    if (other.open) other.close();
  };
  cleanups.push(release);
  return release;
}

/** The largest delay of this thread's event loop while `during` runs. */
async function maxLoopDelay(during: Promise<unknown>): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  await during.catch(() => undefined);
  clearInterval(timer);
  return worst;
}

describe('SQLite store worker', () => {
  it('waits for a lock held elsewhere off the event loop, gives up at the deadline, then writes once it is released', async () => {
    const { log, path } = newLog();
    await log.append([accessRecord(1)]);
    const release = holdLock(path);
    const blocked = log.append([accessRecord(2)], { deadlineAt: Date.now() + 1500 });
    // Far below the 1.5 s the append waits: the waiting happens in the worker.
    expect(await maxLoopDelay(blocked)).toBeLessThan(500);
    await expect(blocked).rejects.toMatchObject({ code: 'ACCESS_LOG_TIMEOUT' });
    release();
    // The store's circuit refuses for a second after a batch abandoned as hung; then a trial goes through.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await log.append([accessRecord(3)]);
    const verification = await log.verify();
    expect(verification).toMatchObject({ intact: true, problems: [] });
    expect(verification.records).toBeGreaterThanOrEqual(2);
  });

  it('fails appends at once after its worker died, then starts a new one', async () => {
    const { log } = newLog();
    await log.append([accessRecord(1)]);
    // Ended while idle: ending a thread inside a better-sqlite3 call would abort the whole process.
    const thread = log.worker!.thread!;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    await thread.terminate();
    await exited;
    const started = Date.now();
    await expect(log.append([accessRecord(2)], { deadlineAt: Date.now() + 10_000 })).rejects.toMatchObject({ code: WORKER_EXITED });
    expect(Date.now() - started).toBeLessThan(RESTART_PAUSE_MS);
    await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS + 100));
    await log.append([accessRecord(3)]);
    expect(log.worker!.starts).toBe(2);
    expect(await log.verify()).toMatchObject({ intact: true, records: 2, problems: [] });
  });

  it('close writes what was accepted, then ends the worker', async () => {
    const { log } = newLog();
    const accepted = Promise.all([log.append([accessRecord(1)]), log.append([accessRecord(2)])]);
    const thread = log.worker!.thread!;
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    await log.close();
    await accepted;
    await exited;
    expect(log.worker!.thread).toBeUndefined();
    await expect(log.append([accessRecord(3)])).rejects.toThrow(/closed/);
    const reader = new SqliteAccessLog(log.path, KEY, { readOnly: true });
    cleanups.push(() => reader.close());
    expect(await reader.verify()).toMatchObject({ intact: true, records: 2 });
  });
});
