/**
 * Group commit: appends that arrive while a transaction is being written wait, and are then written
 * together in the next one. One writer at a time, in call order. The chain head is not kept here:
 * each batch reads it inside its own transaction, so a failed batch leaves nothing stale behind.
 */
import { validAccessRecord } from './rows.ts';
import type { AccessRecord, AppendOptions } from './types.ts';

/** Records per transaction, so that one transaction stays small. A single call is never split. */
export const MAX_BATCH_RECORDS = 500;

/** Writes the records in one transaction; resolves once committed, rejects (rolled back) otherwise. */
export type WriteBatch = (records: AccessRecord[]) => Promise<void> | void;

/** The append did not complete before the caller's deadline. */
export class AccessLogTimeoutError extends Error {
  override readonly name = 'AccessLogTimeoutError';
  readonly code = 'ACCESS_LOG_TIMEOUT';
  constructor(readonly waitedMs: number) {
    super(`the access log did not confirm the write within ${waitedMs} ms`);
  }
}

interface Pending {
  records: readonly AccessRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly writeBatch: WriteBatch,
    private readonly maxBatchRecords = MAX_BATCH_RECORDS,
  ) {}

  /** Validates the records (a bad one rejects only its own call), then queues them for the next batch. */
  append(records: readonly AccessRecord[], options: AppendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The access log is closed'));
    if (records.length === 0) return Promise.resolve();
    try {
      records = records.map(validAccessRecord);
    } catch (error) {
      return Promise.reject(error);
    }
    const { deadlineAt } = options;
    const waitMs = deadlineAt === undefined ? undefined : Math.max(0, deadlineAt - Date.now());
    if (waitMs === 0) return Promise.reject(new AccessLogTimeoutError(0));
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (finish: () => void) => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        finish();
      };
      const pending: Pending = {
        records,
        resolve: () => settle(resolve),
        reject: (error) => settle(() => reject(error)),
      };
      if (waitMs !== undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          // Not yet taken into a transaction: never written. Taken: the transaction decides.
          const queued = this.queue.indexOf(pending);
          if (queued >= 0) this.queue.splice(queued, 1);
          reject(new AccessLogTimeoutError(waitMs));
        }, waitMs);
        timer.unref();
      }
      this.queue.push(pending);
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Let the calls made in this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.writeBatch(batch.flatMap((pending) => pending.records));
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          continue;
        }
        for (const pending of batch) pending.resolve();
      }
    } finally {
      this.writing = null;
    }
  }

  private takeBatch(): Pending[] {
    let count = 0;
    let take = 0;
    for (const pending of this.queue) {
      if (take > 0 && count + pending.records.length > this.maxBatchRecords) break;
      count += pending.records.length;
      take += 1;
    }
    return this.queue.splice(0, take);
  }

  /** Refuses further appends and waits until those already accepted are written (or have failed). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing !== null) await this.writing;
  }
}
