/**
 * The SQLite store's worker thread, on a real file with the real driver: a lock held by another
 * connection never blocks this thread's event loop, a worker that dies fails its callers at once and
 * is started again, and close ends it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessRecord } from '../devkit/test-credentials.ts';
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
  const logger = { error: vi.fn() };
  const log = new SqliteAccessLog(path, KEY, { logger });
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  cleanups.push(() => log.close());
  return { log, path, logger };
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

/** Whether `promise` is still pending once this thread's event loop has turned a few times (timers, I/O checks, immediates). */
async function pendingAfterTurns(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let turn = 0; turn < 10; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return !settled;
}

describe('SQLite store worker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for a lock held elsewhere off the event loop, writes once it is released, and gives up at the deadline', async () => {
    const { log, path } = newLog();
    await log.append([accessRecord(1)]);
    let release = holdLock(path);
    // Were the append waiting on this thread, this thread could not turn until the wait had ended
    // (the deadline, a minute away), and the append would have settled by then.
    const waiting = log.append([accessRecord(2)], { deadlineAt: Date.now() + 60_000 });
    expect(await pendingAfterTurns(waiting)).toBe(true);
    release();
    await waiting;

    release = holdLock(path);
    await expect(log.append([accessRecord(3)], { deadlineAt: Date.now() + 300 })).rejects.toMatchObject({ code: 'ACCESS_LOG_TIMEOUT' });
    release();
    // The store's circuit refuses for a second after a batch abandoned as hung; then a trial goes through.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await log.append([accessRecord(4)]);
    const verification = await log.verify();
    expect(verification).toMatchObject({ intact: true, problems: [] });
    expect(verification.records).toBeGreaterThanOrEqual(3);
  });

  it('fails appends at once after its worker died, reports why once, then starts a new one', async () => {
    const { log, logger } = newLog();
    await log.append([accessRecord(1)]);
    // The client's clock stands still from here: its restart pause ends when the test moves it, not when the machine gets round to it.
    vi.useFakeTimers({ toFake: ['Date'] });
    // Ended while idle: ending a thread inside a better-sqlite3 call would abort the whole process.
    const thread = log.worker!.thread!;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    await thread.terminate();
    await exited;
    await expect(log.append([accessRecord(2)], { deadlineAt: Date.now() + 10_000 })).rejects.toMatchObject({ code: WORKER_EXITED });
    // The write failed with a code only; the log says why the worker stopped.
    expect(logger.error).toHaveBeenCalledOnce();
    expect(logger.error.mock.calls[0]![0]).toEqual({ code: WORKER_EXITED, reason: 'exit code 1' });
    expect(log.worker!.starts).toBe(1);
    vi.setSystemTime(Date.now() + RESTART_PAUSE_MS);
    await log.append([accessRecord(3)]);
    expect(log.worker!.starts).toBe(2);
    expect(await log.verify()).toMatchObject({ intact: true, records: 2, problems: [] });
  });

  it('close writes what was accepted, then ends the worker (a stop asked for, not reported)', async () => {
    const { log, logger } = newLog();
    const accepted = Promise.all([log.append([accessRecord(1)]), log.append([accessRecord(2)])]);
    const thread = log.worker!.thread!;
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    await log.close();
    await accepted;
    await exited;
    expect(log.worker!.thread).toBeUndefined();
    expect(logger.error).not.toHaveBeenCalled();
    await expect(log.append([accessRecord(3)])).rejects.toThrow(/closed/);
    const reader = new SqliteAccessLog(log.path, KEY, { readOnly: true });
    cleanups.push(() => reader.close());
    expect(await reader.verify()).toMatchObject({ intact: true, records: 2 });
  });
});
