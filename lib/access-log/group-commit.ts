/**
 * Group commit: appends that arrive while a transaction is being written wait, and are then written
 * together in the next one. One writer at a time, in call order. The chain head is not kept here:
 * each batch reads it inside its own transaction, so a failed batch leaves nothing stale behind.
 *
 * The writer never stays stuck on a store that hangs: a batch whose callers have all given up
 * (their deadlines passed) is abandoned — its signal aborts, the store drops its connection — and
 * the next batch goes on. A circuit breaker (cockatiel) over the batches makes appends fail at once
 * while the store is known to be down, and lets one trial batch through every `halfOpenAfterMs` to
 * find it back. Every outcome is recorded for `health()` (the gateway's `/ready`).
 */
import { BrokenCircuitError, circuitBreaker, CircuitState, handleAll, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import type { BatchObserver } from '../runtime/metrics.ts';
import { runOutsideRequestContext } from '../runtime/request-context.ts';
import { validAccessRecord } from './rows.ts';
import type { AccessLogHealth, AccessRecord, AppendOptions } from './types.ts';

/** Records per transaction, so that one transaction stays small. A single call is never split. */
export const MAX_BATCH_RECORDS = 500;

/**
 * Writes the records in one transaction; resolves once committed, rejects (rolled back) otherwise.
 * When `signal` aborts, every caller has given up: stop waiting (drop the connection) and reject.
 */
export type WriteBatch = (records: AccessRecord[], signal: AbortSignal) => Promise<void> | void;

/** The append did not complete before the caller's deadline. */
export class AccessLogTimeoutError extends Error {
  override readonly name = 'AccessLogTimeoutError';
  readonly code = 'ACCESS_LOG_TIMEOUT';
  constructor(readonly waitedMs: number) {
    super(`the access log did not confirm the write within ${waitedMs} ms`);
  }
}

/** Refused without trying: the store failed recently and a trial write has not found it back yet. */
export class AccessLogUnavailableError extends Error {
  override readonly name = 'AccessLogUnavailableError';
  readonly code = 'ACCESS_LOG_UNAVAILABLE';
  constructor(readonly reason: string) {
    super(`the access log is unavailable (${reason}); a trial write will find it back`);
  }
}

/** A batch abandoned because every caller's deadline passed while the store did not answer. */
class BatchAbandonedError extends Error {
  override readonly name = 'BatchAbandonedError';
  readonly code = 'ACCESS_LOG_HUNG';
  constructor() {
    super('the access log store did not answer before every caller gave up');
  }
}

export interface GroupCommitOptions {
  maxBatchRecords?: number;
  /** Consecutive failed batches that open the circuit (a batch abandoned as hung opens it at once). Default 3. */
  breakerFailures?: number;
  /** How long an open circuit refuses appends before one trial batch goes through. Default 1000 ms. */
  halfOpenAfterMs?: number;
  /** After its signal aborts, how long an abandoned batch is still awaited before the writer moves on. Default 1000 ms. */
  abandonGraceMs?: number;
  /** Told each batch's size, write time and outcome (lib/runtime/metrics.ts). */
  observer?: BatchObserver;
}

export const DEFAULT_BREAKER_FAILURES = 3;
export const DEFAULT_HALF_OPEN_AFTER_MS = 1000;
const DEFAULT_ABANDON_GRACE_MS = 1000;

/** Opens after `threshold` consecutive failures, or at the first batch abandoned as hung. */
class StoreBreaker implements IBreaker {
  state = 0;
  /** Set by the writer just before it reports a hung batch. */
  hung = false;
  constructor(private readonly threshold: number) {}
  success(): void {
    this.state = 0;
  }
  failure(): boolean {
    this.state += 1;
    const open = this.hung || this.state >= this.threshold;
    this.hung = false;
    return open;
  }
}

/**
 * A short, stable cause for `/ready` and logs: an error code or a fixed phrase, never an error's
 * message (a driver's message may name the host, the user or the statement).
 */
export function failureReason(error: unknown): string {
  if (error instanceof AccessLogTimeoutError || error instanceof BatchAbandonedError) return 'timeout: the store did not answer in time';
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `SQLSTATE ${code}${SQLSTATE_NAMES[code] ? ` ${SQLSTATE_NAMES[code]}` : ''}`;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  for (const [pattern, reason] of KNOWN_MESSAGES) if (pattern.test(text)) return reason;
  return 'store error';
}

/** SQLSTATEs an operator may meet here (PostgreSQL appendix A). */
const SQLSTATE_NAMES: Record<string, string> = {
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '53300': 'too_many_connections',
  '57014': 'query_canceled (statement_timeout)',
  '55P03': 'lock_not_available (lock_timeout)',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  '25P03': 'idle_in_transaction_session_timeout',
  '28P01': 'invalid_password',
  '28000': 'invalid_authorization_specification',
  '3D000': 'invalid_catalog_name',
  '42P01': 'undefined_table',
  '25006': 'read_only_sql_transaction',
};

/** pg's own errors carry no code: their fixed messages, in words that name nothing. */
const KNOWN_MESSAGES: [RegExp, string][] = [
  [/^Query read timeout$/, 'query_timeout: no answer from the server'],
  [/timeout exceeded when trying to connect|Connection terminated due to connection timeout|timeout expired/i, 'connect timeout'],
  [/^Connection terminated unexpectedly$/, 'connection lost'],
  [/^Connection terminated$/, 'connection closed'],
  [/not queryable|has already been released|Client was closed/i, 'connection closed'],
  [/^The access log is open read-only$/, 'read-only'],
];

interface Pending {
  records: readonly AccessRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Set while the pending is part of a batch being written: tells it that its caller gave up. */
  gaveUp?: () => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly maxBatchRecords: number;
  private readonly abandonGraceMs: number;
  private readonly storeBreaker: StoreBreaker;
  private readonly breaker: CircuitBreakerPolicy;
  private lastSuccessAt: number | null = null;
  private lastFailure: { at: number; reason: string } | null = null;
  private refusedWhileOpen = 0;
  private abandonedBatches = 0;
  private readonly observer: BatchObserver | undefined;

  constructor(
    private readonly writeBatch: WriteBatch,
    options: GroupCommitOptions | number = {},
  ) {
    const settings = typeof options === 'number' ? { maxBatchRecords: options } : options;
    this.maxBatchRecords = settings.maxBatchRecords ?? MAX_BATCH_RECORDS;
    this.abandonGraceMs = settings.abandonGraceMs ?? DEFAULT_ABANDON_GRACE_MS;
    this.observer = settings.observer;
    this.storeBreaker = new StoreBreaker(settings.breakerFailures ?? DEFAULT_BREAKER_FAILURES);
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: settings.halfOpenAfterMs ?? DEFAULT_HALF_OPEN_AFTER_MS, breaker: this.storeBreaker });
  }

  /** Validates the records (a bad one rejects only its own call), then queues them for the next batch. */
  append(records: readonly AccessRecord[], options: AppendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The access log is closed'));
    if (records.length === 0) return Promise.resolve();
    try {
      records = records.map(validAccessRecord);
    } catch (error) {
      return Promise.reject(error);
    }
    // A trial batch is being written: wait for it would mean waiting on a store known to be failing.
    if (this.breaker.state === CircuitState.HalfOpen) return Promise.reject(this.refusal());
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
        // A failure that reaches the caller once its deadline has passed (the store gave up at that
        // same deadline, e.g. on a lock still held) is the timeout it asked for, whichever timer ran first.
        reject: (error) => settle(() => reject(deadlineAt !== undefined && Date.now() >= deadlineAt ? new AccessLogTimeoutError(waitMs!) : error)),
      };
      if (waitMs !== undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          // Not yet taken into a transaction: never written. Taken: the transaction decides.
          const queued = this.queue.indexOf(pending);
          if (queued >= 0) this.queue.splice(queued, 1);
          else pending.gaveUp?.();
          reject(new AccessLogTimeoutError(waitMs));
        }, waitMs);
        timer.unref();
      }
      this.queue.push(pending);
      // The writer serves every request whose records it takes: it runs in none of their contexts.
      this.writing ??= runOutsideRequestContext(() => this.drain());
    });
  }

  private refusal(): AccessLogUnavailableError {
    this.refusedWhileOpen += 1;
    return new AccessLogUnavailableError(this.lastFailure ? `circuit open after: ${this.lastFailure.reason}` : 'circuit open');
  }

  private async drain(): Promise<void> {
    // Let the calls made in this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.breaker.execute(() => this.writeOne(batch));
        } catch (error) {
          const refused = error instanceof BrokenCircuitError;
          const reported = refused ? this.refusal() : error;
          if (refused) this.refusedWhileOpen += batch.length - 1;
          for (const pending of batch) pending.reject(reported);
          continue;
        }
        for (const pending of batch) pending.resolve();
      }
    } finally {
      this.writing = null;
    }
  }

  /** One batch: abandoned (signal aborted) once every caller in it has given up. */
  private async writeOne(batch: Pending[]): Promise<void> {
    const controller = new AbortController();
    let waiting = batch.length;
    for (const pending of batch) {
      pending.gaveUp = () => {
        waiting -= 1;
        if (waiting === 0) controller.abort(new BatchAbandonedError());
      };
    }
    let graceTimer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        'abort',
        () => {
          // The store is told to drop the connection; if it does not settle soon, move on anyway.
          graceTimer = setTimeout(() => reject(controller.signal.reason), this.abandonGraceMs);
          graceTimer.unref();
        },
        { once: true },
      );
    });
    abandoned.catch(() => {});
    const records = batch.flatMap((pending) => pending.records);
    const started = process.hrtime.bigint();
    const report = (ok: boolean) => this.observer?.batchWritten(records.length, Number(process.hrtime.bigint() - started) / 1e9, ok);
    try {
      await Promise.race([Promise.resolve().then(() => this.writeBatch(records, controller.signal)), abandoned]);
      this.lastSuccessAt = Date.now();
      report(true);
    } catch (error) {
      report(false);
      const reported = controller.signal.aborted ? controller.signal.reason : error;
      if (controller.signal.aborted) {
        this.abandonedBatches += 1;
        this.storeBreaker.hung = true;
      }
      this.lastFailure = { at: Date.now(), reason: failureReason(reported) };
      throw reported;
    } finally {
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      for (const pending of batch) delete pending.gaveUp;
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

  /**
   * What the last writes did, without touching the store: DOWN while the circuit is open or
   * half-open, or when the last batch failed.
   */
  health(store: AccessLogHealth['store']): AccessLogHealth {
    const state = this.breaker.state;
    const circuit = state === CircuitState.Closed ? 'CLOSED' : state === CircuitState.HalfOpen ? 'HALF_OPEN' : 'OPEN';
    const failedLast = this.lastFailure !== null && (this.lastSuccessAt === null || this.lastFailure.at >= this.lastSuccessAt);
    return {
      store,
      status: circuit !== 'CLOSED' || failedLast ? 'DOWN' : 'UP',
      circuit,
      lastSuccessAt: this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
      lastFailure: this.lastFailure === null ? null : { at: new Date(this.lastFailure.at).toISOString(), reason: this.lastFailure.reason },
      refusedWhileOpen: this.refusedWhileOpen,
      abandonedBatches: this.abandonedBatches,
    };
  }

  /** Refuses further appends and waits until those already accepted are written (or have failed). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing !== null) await this.writing;
  }
}
