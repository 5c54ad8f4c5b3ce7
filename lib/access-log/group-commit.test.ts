import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessLogTimeoutError, AccessLogUnavailableError, failureReason, GroupCommit } from './group-commit.ts';
import type { AccessRecord } from './types.ts';
import { accessRecord as record } from '../devkit/test-credentials.ts';

/** A store whose next write does what the test says: hang until abandoned, fail, or succeed. */
function scriptedStore() {
  const modes: ('hang' | 'fail' | 'ok')[] = [];
  const written: AccessRecord[][] = [];
  let calls = 0;
  let aborted = 0;
  const write = (records: AccessRecord[], signal: AbortSignal) => {
    calls += 1;
    const mode = modes.shift() ?? 'ok';
    if (mode === 'ok') {
      written.push(records);
      return Promise.resolve();
    }
    if (mode === 'fail') {
      return Promise.reject(Object.assign(new Error('connect ECONNREFUSED postgres://gateway:s3cret@db.internal:5432/log'), { code: 'ECONNREFUSED' }));
    }
    return new Promise<void>((_, reject) => signal.addEventListener('abort', () => (aborted++, reject(new Error('socket destroyed'))), { once: true }));
  };
  return { modes, written, write, calls: () => calls, aborted: () => aborted };
}

describe('GroupCommit when the store fails', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports a store failure that arrives after the caller's deadline as the caller's timeout, whichever timer ran first", async () => {
    const deadlineAt = Date.now() + 30;
    // A store that gives up at that same deadline (a lock still held) and says so before the
    // caller's own timer has had its turn: the failure arrives once the deadline has passed.
    const giveUpAtTheDeadline = () => {
      while (Date.now() <= deadlineAt) {
        // Waiting synchronously, as a store's busy timeout blocks its thread.
      }
      return Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    };
    const commits = new GroupCommit(giveUpAtTheDeadline, { halfOpenAfterMs: 60_000 });
    await expect(commits.append([record(1)], { deadlineAt })).rejects.toBeInstanceOf(AccessLogTimeoutError);
    // Before the deadline, the store's own failure is the caller's answer.
    const early = new GroupCommit(() => Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })));
    await expect(early.append([record(2)], { deadlineAt: Date.now() + 60_000 })).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    await commits.close();
    await early.close();
  });

  it('abandons a hung batch once every caller has given up, then opens the circuit, and a trial write closes it', async () => {
    // The circuit's clock (cockatiel reads Date) moves only when the test moves it; the callers' deadlines are real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = scriptedStore();
    store.modes.push('hang');
    const commits = new GroupCommit(store.write, { halfOpenAfterMs: 200 });
    const hung = await Promise.allSettled([commits.append([record(1)], { deadlineAt: Date.now() + 100 }), commits.append([record(2)], { deadlineAt: Date.now() + 150 })]);
    expect(hung.map((result) => result.status === 'rejected' && result.reason instanceof AccessLogTimeoutError)).toEqual([true, true]);
    // The writer gave the batch up (its signal aborted): it is not stuck on it.
    await expect.poll(() => store.aborted()).toBe(1);
    await expect.poll(() => commits.health('postgres').circuit).toBe('OPEN');
    expect(commits.health('postgres')).toMatchObject({
      status: 'DOWN',
      abandonedBatches: 1,
      lastSuccessAt: null,
      lastFailure: { reason: 'timeout: the store did not answer in time' },
    });

    // Open: refused at once, without reaching the store.
    const callsBefore = store.calls();
    await expect(commits.append([record(3)], { deadlineAt: Date.now() + 5000 })).rejects.toMatchObject({ code: 'ACCESS_LOG_UNAVAILABLE' });
    expect(store.calls()).toBe(callsBefore);

    // After halfOpenAfterMs one trial write goes through; it succeeds and closes the circuit.
    vi.setSystemTime(Date.now() + 200);
    await commits.append([record(4)], { deadlineAt: Date.now() + 5000 });
    expect(store.written.flat().map((r) => r.requestId)).toEqual(['req-4']);
    expect(commits.health('postgres')).toMatchObject({ status: 'UP', circuit: 'CLOSED', refusedWhileOpen: 1 });
    expect(commits.health('postgres').lastSuccessAt).not.toBeNull();
    await commits.close();
  });

  it('refuses appends while a trial write is under way, instead of queueing them behind it', async () => {
    const store = scriptedStore();
    store.modes.push('fail', 'hang');
    // The circuit's clock and the trial's deadline move only when the test moves them.
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const commits = new GroupCommit(store.write, { breakerFailures: 1, halfOpenAfterMs: 50 });
    await expect(commits.append([record(1)])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    vi.setSystemTime(Date.now() + 50);
    const trial = commits.append([record(2)], { deadlineAt: Date.now() + 300 });
    const trialSettled = expect(trial).rejects.toBeInstanceOf(AccessLogTimeoutError);
    await expect.poll(() => commits.health('sqlite').circuit).toBe('HALF_OPEN');
    await expect(commits.append([record(3)], { deadlineAt: Date.now() + 5000 })).rejects.toBeInstanceOf(AccessLogUnavailableError);
    await vi.advanceTimersByTimeAsync(300);
    await trialSettled;
    await expect.poll(() => commits.health('sqlite').circuit).toBe('OPEN');
    await commits.close();
  });

  it('opens after consecutive failures, and reports a short cause that names no host or password', async () => {
    const store = scriptedStore();
    store.modes.push('fail', 'fail', 'fail');
    const commits = new GroupCommit(store.write, { halfOpenAfterMs: 60_000 });
    for (let i = 0; i < 3; i++) await expect(commits.append([record(i)])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const health = commits.health('postgres');
    expect(health).toMatchObject({ status: 'DOWN', circuit: 'OPEN', lastFailure: { reason: 'ECONNREFUSED' } });
    expect(JSON.stringify(health)).not.toMatch(/s3cret|db\.internal|postgres:\/\//);
    await expect(commits.append([record(9)])).rejects.toMatchObject({ code: 'ACCESS_LOG_UNAVAILABLE' });
    expect(store.calls()).toBe(3);
    await commits.close();
  });

  it('names server errors by SQLSTATE and pg errors by a fixed phrase', () => {
    expect(failureReason(Object.assign(new Error('could not extend file "base/5/16384": No space left on device'), { code: '53100' }))).toBe('SQLSTATE 53100 disk_full');
    expect(failureReason(new Error('Query read timeout'))).toBe('query_timeout: no answer from the server');
    expect(failureReason(new Error('Connection terminated unexpectedly'))).toBe('connection lost');
    expect(failureReason(new Error('password authentication failed for user "gateway" at db.internal'))).toBe('store error');
    expect(failureReason(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe('SQLITE_BUSY');
  });
});
