/**
 * The main thread's side of the SQLite worker (sqlite-worker.ts): numbers requests, validates the
 * replies, and makes sure no caller waits forever. A worker that exits or crashes fails the requests
 * it held (the gateway answers 503) and is started again by the next request, at most once per
 * `RESTART_PAUSE_MS`; one that does not answer in time is terminated.
 */
import type { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { startWorker } from '../runtime/worker-thread.ts';
import { AccessLogStoreError } from './sqlite-database.ts';
import { workerReplySchema, type WorkerCall, type WorkerSettings } from './sqlite-worker-protocol.ts';

/** After a worker died, requests fail at once for this long before one is started again. */
export const RESTART_PAUSE_MS = 1000;
/** How long `close` lets the worker finish its write and close the database before terminating it. */
const CLOSE_GRACE_MS = 5000;

export const WORKER_EXITED = 'ACCESS_LOG_WORKER_EXITED';
export const WORKER_STUCK = 'ACCESS_LOG_WORKER_STUCK';
export const STORE_CLOSED = 'ACCESS_LOG_CLOSED';

interface Pending {
  resolve(rows: unknown[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class SqliteWorkerClient {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private diedAt = -Infinity;
  private closed = false;
  /** Workers started so far (the first included), for tests and logs. */
  starts = 0;

  /** The running worker thread, if any (for tests). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /**
   * Starts the worker at once, so that the first append does not wait for it to load. `onStopped` is
   * told why a worker stopped unasked (its error, its exit code, or that it stopped answering): the
   * writes it took fail with only a code, and an operator needs the cause once.
   */
  constructor(
    private readonly settings: WorkerSettings,
    private readonly onStopped?: (reason: string) => void,
  ) {
    this.running();
  }

  /**
   * Sends one request; rejects with an AccessLogStoreError on the worker's error, its exit, or no
   * answer by `answerBy` (ms since epoch; the worker is then terminated). When `signal` aborts, the
   * worker is told to stop trying (a write waiting for a lock then rejects).
   */
  request(call: WorkerCall, answerBy: number, signal?: AbortSignal): Promise<unknown[]> {
    if (this.closed && call.op !== 'close') return Promise.reject(new AccessLogStoreError(STORE_CLOSED, 'The access log is closed'));
    let worker: Worker;
    try {
      worker = this.running();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          if (this.settle(id)) reject(new AccessLogStoreError(WORKER_STUCK, `the access log worker did not answer (${call.op}) in time`));
          if (this.worker === worker) this.abandon(worker);
        },
        Math.max(0, answerBy - Date.now()),
      );
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ ...call, id });
      signal?.addEventListener('abort', () => this.pending.has(id) && worker.postMessage({ op: 'cancel', id: this.nextId++, target: id }), { once: true });
    });
  }

  /** The running worker, started if there is none (unless one died moments ago). */
  private running(): Worker {
    if (this.worker !== undefined) return this.worker;
    if (Date.now() - this.diedAt < RESTART_PAUSE_MS) throw new AccessLogStoreError(WORKER_EXITED, 'the access log worker stopped; restarting shortly');
    const worker = startWorker(import.meta.url, 'sqlite-worker', this.settings);
    this.starts += 1;
    // Idle, the worker does not keep the process alive; `request` refs it while answers are due.
    worker.unref();
    worker.on('message', (raw: unknown) => this.receive(raw));
    worker.on('error', (error) => this.died(worker, error.message));
    worker.on('exit', (code) => this.died(worker, `exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private receive(raw: unknown): void {
    const parsed = workerReplySchema.safeParse(raw);
    if (!parsed.success) {
      // A reply that cannot be matched to its request: its caller times out, the worker is not trusted.
      const id = z.object({ id: z.number() }).safeParse(raw);
      const pending = id.success ? this.take(id.data.id) : undefined;
      pending?.reject(new AccessLogStoreError('ACCESS_LOG_BAD_REPLY', 'the access log worker sent an unreadable reply'));
      return;
    }
    const reply = parsed.data;
    const pending = this.take(reply.id);
    if (pending === undefined) return;
    if (reply.ok) pending.resolve(reply.rows);
    else pending.reject(new AccessLogStoreError(reply.error.code, reply.error.message));
  }

  private take(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (pending === undefined) return undefined;
    this.settle(id);
    return pending;
  }

  /** Forgets a request (true if it was still due). */
  private settle(id: number): boolean {
    const pending = this.pending.get(id);
    if (pending === undefined) return false;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    return true;
  }

  /**
   * Leaves a worker stuck in a call (a stalled disk): its callers fail now, the next request starts a
   * new one. It is not terminated: ending a thread inside a better-sqlite3 call aborts the whole
   * process. Told to close, it ends by itself once the call returns.
   */
  private abandon(worker: Worker): void {
    this.died(worker, 'not answering');
    worker.postMessage({ op: 'close', id: this.nextId++ });
    worker.unref();
  }

  private died(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (!this.closed) {
      this.diedAt = Date.now();
      this.onStopped?.(why);
    }
    const error = new AccessLogStoreError(WORKER_EXITED, `the access log worker stopped (${why})`);
    for (const [id, pending] of [...this.pending]) {
      this.settle(id);
      pending.reject(error);
    }
  }

  /**
   * Lets the worker finish its write, close its connection and end. One that does not answer is
   * left to end by itself (see `abandon`), never terminated inside a call.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    try {
      await this.request({ op: 'close' }, Date.now() + CLOSE_GRACE_MS);
    } catch {
      worker.unref();
      return;
    }
    // Its connection closed, the worker has nothing left to run: it ends; idle, it is safe to terminate if slow.
    const late = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(late);
  }
}
