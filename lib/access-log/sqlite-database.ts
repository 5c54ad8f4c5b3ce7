/**
 * The SQLite access log's database work, synchronous (better-sqlite3): opening the file, the batch
 * write transaction and the reads. The gateway runs it in a worker thread (sqlite-worker.ts) so that
 * a lock held by another process never blocks its event loop; an audit (read-only) runs it in place.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { extendChain } from './chain.ts';
import { COLUMNS, columnValues, whereClause, type NormalisedFilter } from './rows.ts';
import type { AccessRecord } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS access_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  request_id TEXT NOT NULL,
  agency TEXT NOT NULL,
  officer TEXT NOT NULL,
  purpose TEXT NOT NULL,
  case_number TEXT NOT NULL,
  personal_id TEXT NOT NULL,
  fields TEXT NOT NULL,
  denied_fields TEXT NOT NULL,
  outcome TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_personal_id ON access_log (personal_id, seq);
CREATE INDEX IF NOT EXISTS access_log_agency ON access_log (agency, seq);
CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at);
`;

const headRow = z.object({ seq: z.number().int(), hash: z.string() }).optional();

/** A store failure with a stable code: SQLite's own (`SQLITE_BUSY`, `SQLITE_FULL`…) or one of ours. */
export class AccessLogStoreError extends Error {
  override readonly name = 'AccessLogStoreError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Another connection holds the lock (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT…): worth trying again. */
export function isBusy(error: unknown): boolean {
  const code = errorCode(error);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

export function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'ACCESS_LOG_STORE_ERROR';
}

export interface SqliteOpenOptions {
  /** For audits: change nothing. Otherwise the file must exist (the store creates it, owner-only). */
  readOnly: boolean;
  /** How long one statement waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs: number;
}

/** One better-sqlite3 connection to the access log file, with its statements prepared once. */
export class SqliteDatabase {
  private readonly db: Database.Database;
  private readonly writeTransaction?: Database.Transaction<(records: AccessRecord[]) => void>;
  private readonly firstPage: Database.Statement;
  private readonly nextPage: Database.Statement;
  /** The file this connection opened, to notice it being deleted or replaced under it. */
  private readonly file: { dev: number; ino: number };
  private busyTimeoutMs = -1;

  constructor(
    readonly path: string,
    private readonly chainKey: string,
    options: SqliteOpenOptions,
  ) {
    this.db = new Database(path, { readonly: options.readOnly, fileMustExist: true });
    try {
      this.setBusyTimeout(options.busyTimeoutMs);
      if (!options.readOnly) {
        this.db.pragma('journal_mode = WAL');
        // FULL: a commit is on disk (WAL fsynced) before append resolves and the data is released.
        this.db.pragma('synchronous = FULL');
        this.db.exec(SCHEMA);
        const readHead = this.db.prepare('SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1');
        const insert = this.db.prepare(`INSERT INTO access_log (${COLUMNS}) VALUES (${Array(COLUMNS.split(',').length).fill('?').join(', ')})`);
        this.writeTransaction = this.db.transaction((records: AccessRecord[]) => {
          for (const row of extendChain(this.chainKey, headRow.parse(readHead.get()), records)) insert.run(...columnValues(row));
        });
      }
      this.firstPage = this.db.prepare(`SELECT ${COLUMNS} FROM access_log ORDER BY seq LIMIT ?`);
      this.nextPage = this.db.prepare(`SELECT ${COLUMNS} FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?`);
      const { dev, ino } = statSync(path);
      this.file = { dev, ino };
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  setBusyTimeout(ms: number): void {
    const bounded = Math.max(0, Math.floor(ms));
    if (bounded === this.busyTimeoutMs) return;
    this.db.pragma(`busy_timeout = ${bounded}`);
    this.busyTimeoutMs = bounded;
  }

  /**
   * Whether the path still names the file this connection opened. A file deleted (or its folder)
   * while open stays writable through the connection: records would go nowhere anyone can read.
   */
  stillOpenOnItsFile(): boolean {
    try {
      const { dev, ino } = statSync(this.path);
      return dev === this.file.dev && ino === this.file.ino;
    } catch {
      return false;
    }
  }

  /** Appends the records to the chain in one `BEGIN IMMEDIATE` transaction (head read inside it). */
  write(records: AccessRecord[]): void {
    if (!this.writeTransaction) throw new AccessLogStoreError('ACCESS_LOG_READ_ONLY', 'The access log is open read-only');
    this.writeTransaction.immediate(records);
  }

  /** Raw rows matching the filter, newest first (validated by the caller). */
  query(filter: NormalisedFilter): unknown[] {
    const where = whereClause(filter, () => '?');
    return this.db.prepare(`SELECT ${COLUMNS} FROM access_log ${where.sql} ORDER BY seq DESC LIMIT ?`).all(...where.params, filter.limit);
  }

  /** Up to `limit` raw rows after `afterSeq` (from the start: null), in seq order. */
  page(afterSeq: number | null, limit: number): unknown[] {
    return afterSeq === null ? this.firstPage.all(limit) : this.nextPage.all(afterSeq, limit);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
