/**
 * The worker thread that owns the gateway's SQLite connection (started by sqlite-store.ts): every
 * statement, and every wait for another process's lock, happens here, never on the gateway's event
 * loop. Writes come one batch at a time (group commit); a write that meets a lock tries again in
 * short attempts until `giveUpAt`, answering reads in between.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AccessLogStoreError, errorCode, isBusy, SqliteDatabase } from './sqlite-database.ts';
import { workerRequestSchema, workerSettingsSchema, type WorkerReply, type WorkerRequest } from './sqlite-worker-protocol.ts';
import type { AccessRecord } from './types.ts';

export const WRITE_CANCELLED = 'ACCESS_LOG_WRITE_CANCELLED';

/** Pause between two write attempts that met a lock (the busy handler has already waited). */
const BUSY_PAUSE_MS = 5;

const port = parentPort;
if (port === null) throw new Error('sqlite-worker.ts runs as a worker thread (see sqlite-store.ts)');
const settings = workerSettingsSchema.parse(workerData);

let database: SqliteDatabase | undefined;
let writes: Promise<void> = Promise.resolve();
/** Writes queued or under way, and those of them whose callers all gave up. */
const activeWrites = new Set<number>();
const cancelledWrites = new Set<number>();

/** The connection, (re)opened when needed: after a failed open, or once its file was replaced. */
function connection(): SqliteDatabase {
  if (database !== undefined && !database.stillOpenOnItsFile()) {
    database.close();
    database = undefined;
  }
  database ??= new SqliteDatabase(settings.path, settings.chainKey, { readOnly: false, busyTimeoutMs: settings.busyAttemptMs, fieldSectors: settings.fieldSectors });
  return database;
}

async function write(id: number, records: AccessRecord[], giveUpAt: number): Promise<void> {
  for (;;) {
    if (cancelledWrites.has(id)) throw new AccessLogStoreError(WRITE_CANCELLED, 'every caller gave up before the lock was free');
    try {
      const db = connection();
      db.setBusyTimeout(Math.min(settings.busyAttemptMs, giveUpAt - Date.now()));
      db.write(records);
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= giveUpAt) throw error;
    }
    // Reads queued meanwhile are answered before the next attempt.
    await sleep(BUSY_PAUSE_MS);
  }
}

async function handle(request: WorkerRequest): Promise<unknown[]> {
  switch (request.op) {
    case 'write': {
      activeWrites.add(request.id);
      const done = writes.then(() => write(request.id, request.records, request.giveUpAt));
      writes = done.catch(() => undefined);
      try {
        await done;
      } finally {
        activeWrites.delete(request.id);
        cancelledWrites.delete(request.id);
      }
      return [];
    }
    case 'cancel': {
      if (activeWrites.has(request.target)) cancelledWrites.add(request.target);
      return [];
    }
    case 'query':
      return connection().query(request.filter);
    case 'page':
      return connection().page(request.afterSeq, request.limit);
    case 'reuse':
      return connection().reuse(request.query);
    case 'reuse-lag':
      return [{ behind: connection().reuseLag() }];
    case 'close':
      await writes;
      database?.close();
      database = undefined;
      return [];
  }
}

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

port.on('message', (raw: unknown) => {
  const parsed = workerRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = z.object({ id: z.number().int() }).safeParse(raw);
    if (id.success) reply({ id: id.data.id, ok: false, error: { code: 'ACCESS_LOG_BAD_REQUEST', message: z.prettifyError(parsed.error) } });
    return;
  }
  const request = parsed.data;
  const replied = request.op !== 'cancel';
  handle(request).then(
    (rows) => {
      if (replied) reply({ id: request.id, ok: true, rows });
      // Closed: with its port closed, the thread has nothing left to run and ends.
      if (request.op === 'close') port.close();
    },
    (error: unknown) =>
      replied &&
      reply({
        id: request.id,
        ok: false,
        error: { code: errorCode(error), message: error instanceof Error ? error.message : String(error) },
      }),
  );
});
