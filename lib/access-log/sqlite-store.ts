/**
 * The access log in one SQLite file (WAL, synchronous = FULL): the default for one gateway on one
 * machine. Several processes may share the file: each batch reads the head inside its own
 * `BEGIN IMMEDIATE` transaction, which holds the file's write lock.
 *
 * better-sqlite3 is synchronous, and another process may hold the file's lock for seconds: the
 * gateway's connection therefore lives in a worker thread (sqlite-worker.ts), so that waiting for
 * the lock never stops the event loop (health, public queries, the status page). A read-only store
 * (`npm run audit:verify`, a command with nothing else to serve) keeps its connection in place.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { verifyChain, type ChainRow } from './chain.ts';
import { GroupCommit } from './group-commit.ts';
import type { BatchObserver } from '../runtime/metrics.ts';
import { chainRowFrom, normaliseFilter, storedRecordFrom, type NormalisedFilter } from './rows.ts';
import { defaultFieldSectors, reuseGroupFrom, type FieldSectors, type ReuseGroup, type ReuseQuery } from './reuse.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { SqliteWorkerClient, WORKER_EXITED } from './sqlite-worker-client.ts';
import type { Logger } from '../runtime/logger.ts';
import type { AccessLogFilter, AccessLogHealth, AccessLogStore, AccessRecord, AppendOptions, ChainVerification, StoredAccessRecord } from './types.ts';

/** A read-only (audit) connection waits this long for a writer's lock. */
const READ_ONLY_BUSY_TIMEOUT_MS = 10_000;
/** One write attempt's wait for another connection's lock; the worker tries again until the callers' deadline. */
export const BUSY_ATTEMPT_MS = 250;
/** How long a batch keeps trying for a lock when a caller waiting for it gave no deadline. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;
/** How long a read (query, a page of verify) may take in the worker before it is considered stuck. */
const READ_ANSWER_MS = 60_000;
/** Beyond a write's own give-up time, before a worker that has not answered is considered stuck. */
const WRITE_ANSWER_GRACE_MS = 5_000;
const VERIFY_PAGE_ROWS = 5000;

export interface SqliteAccessLogOptions {
  /** For audits: open an existing file without creating or changing anything. */
  readOnly?: boolean;
  /** How long a batch keeps trying for a lock held elsewhere when a caller gave no deadline (default 10 s). */
  lockWaitMs?: number;
  /** Told each batch's size, write time and outcome (lib/runtime/metrics.ts). */
  batchObserver?: BatchObserver;
  /** Where a worker thread that stopped unasked is reported, with its cause. */
  logger?: Pick<Logger, 'error'>;
  /** The sector of each top-level field of `Citizen` for the reuse counters (default: this repository's supergraph). */
  fieldSectors?: FieldSectors;
}

/** The database work, in a worker thread or (read-only) in place. */
interface Connection {
  /** `signal` aborts when every caller of the batch gave up. */
  write(records: AccessRecord[], giveUpAt: number, signal: AbortSignal): Promise<void>;
  query(filter: NormalisedFilter): Promise<unknown[]>;
  page(afterSeq: number | null, limit: number): Promise<unknown[]>;
  reuse(query: ReuseQuery): Promise<unknown[]>;
  close(): Promise<void>;
}

function inWorker(client: SqliteWorkerClient): Connection {
  return {
    async write(records, giveUpAt, signal) {
      await client.request({ op: 'write', records, giveUpAt }, giveUpAt + BUSY_ATTEMPT_MS + WRITE_ANSWER_GRACE_MS, signal);
    },
    query: (filter) => client.request({ op: 'query', filter }, Date.now() + READ_ANSWER_MS),
    page: (afterSeq, limit) => client.request({ op: 'page', afterSeq, limit }, Date.now() + READ_ANSWER_MS),
    reuse: (query) => client.request({ op: 'reuse', query: { ...query, groupBy: [...query.groupBy] } }, Date.now() + READ_ANSWER_MS),
    close: () => client.close(),
  };
}

function inPlace(db: SqliteDatabase): Connection {
  return {
    async write(records) {
      db.write(records);
    },
    query: async (filter) => db.query(filter),
    page: async (afterSeq, limit) => db.page(afterSeq, limit),
    reuse: async (query) => db.reuse(query),
    close: async () => db.close(),
  };
}

export class SqliteAccessLog implements AccessLogStore {
  readonly kind = 'sqlite';
  private readonly connection: Connection;
  private readonly commits: GroupCommit;
  /** The worker, when writable (for tests: how many times it was started). */
  readonly worker?: SqliteWorkerClient;
  /** Deadlines of the appends not yet settled (Infinity: none given). */
  private readonly waiting = new Set<{ deadlineAt: number }>();
  private readonly lockWaitMs: number;

  constructor(
    readonly path: string,
    private readonly chainKey: string,
    options: SqliteAccessLogOptions = {},
  ) {
    this.lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
    if (options.readOnly) {
      this.connection = inPlace(new SqliteDatabase(path, chainKey, { readOnly: true, busyTimeoutMs: READ_ONLY_BUSY_TIMEOUT_MS }));
    } else {
      mkdirSync(dirname(path), { recursive: true });
      // The log names citizens: a new file is readable by its owner only (SQLite gives its -wal and
      // -shm files the same permissions). Created here, once: the worker only opens an existing file,
      // so a log deleted while the gateway runs is never silently replaced by a new, empty chain.
      if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
      const { logger } = options;
      const fieldSectors = { ...(options.fieldSectors ?? defaultFieldSectors()) };
      this.worker = new SqliteWorkerClient({ path, chainKey, busyAttemptMs: BUSY_ATTEMPT_MS, fieldSectors }, (reason) =>
        logger?.error({ code: WORKER_EXITED, reason }, 'access log worker stopped: writes fail until the next one starts'),
      );
      this.connection = inWorker(this.worker);
    }
    this.commits = new GroupCommit((records, signal) => this.connection.write(records, this.giveUpAt(), signal), { observer: options.batchObserver });
  }

  /**
   * Until when a batch keeps trying for a lock held elsewhere: the latest deadline among the callers
   * still waiting (the batch's own among them), so that the lock's release lets it commit at once;
   * no longer once nobody waits.
   */
  private giveUpAt(): number {
    const now = Date.now();
    let latest = now;
    for (const { deadlineAt } of this.waiting) latest = Math.max(latest, deadlineAt);
    return latest === Infinity ? now + this.lockWaitMs : latest;
  }

  append(records: readonly AccessRecord[], options?: AppendOptions): Promise<void> {
    const waiter = { deadlineAt: options?.deadlineAt ?? Infinity };
    this.waiting.add(waiter);
    const appended = this.commits.append(records, options);
    const settled = () => void this.waiting.delete(waiter);
    appended.then(settled, settled);
    return appended;
  }

  async query(filter: AccessLogFilter): Promise<StoredAccessRecord[]> {
    const rows = await this.connection.query(normaliseFilter(filter));
    return rows.map(storedRecordFrom);
  }

  health(): AccessLogHealth {
    return this.commits.health(this.kind);
  }

  async reuseStatistics(query: ReuseQuery): Promise<ReuseGroup[]> {
    return (await this.connection.reuse(query)).map((row) => reuseGroupFrom(row as Record<string, unknown>));
  }

  /** Pages by seq: between pages, the worker writes the batches that came meanwhile. */
  private async *rows(): AsyncGenerator<ChainRow> {
    let afterSeq: number | null = null;
    for (;;) {
      const rows: ChainRow[] = (await this.connection.page(afterSeq, VERIFY_PAGE_ROWS)).map(chainRowFrom);
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < VERIFY_PAGE_ROWS) return;
      afterSeq = last.seq;
    }
  }

  verify(): Promise<ChainVerification> {
    return verifyChain(this.rows(), this.chainKey);
  }

  async close(): Promise<void> {
    await this.commits.close();
    await this.connection.close();
  }
}
