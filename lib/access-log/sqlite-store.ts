/**
 * The access log in one SQLite file (WAL, synchronous = FULL): the default for one gateway on one
 * machine. Several processes may share the file: each batch reads the head inside its own
 * `BEGIN IMMEDIATE` transaction, which holds the file's write lock.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { extendChain, verifyChain, type ChainRow } from './chain.ts';
import { GroupCommit } from './group-commit.ts';
import { COLUMNS, chainRowFrom, columnValues, normaliseFilter, storedRecordFrom, whereClause } from './rows.ts';
import type { AccessLogFilter, AccessLogStore, AccessRecord, AppendOptions, ChainVerification, StoredAccessRecord } from './types.ts';

const BUSY_TIMEOUT_MS = 10_000;
const VERIFY_PAGE_ROWS = 5000;

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

export interface SqliteAccessLogOptions {
  /** For audits: open an existing file without creating or changing anything. */
  readOnly?: boolean;
}

export class SqliteAccessLog implements AccessLogStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly commits: GroupCommit;
  /** The batch write, prepared once (absent when read-only). */
  private writeTransaction?: Database.Transaction<(records: AccessRecord[]) => void>;

  constructor(
    readonly path: string,
    private readonly chainKey: string,
    options: SqliteAccessLogOptions = {},
  ) {
    if (options.readOnly) {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      // The log names citizens: a new file is readable by its owner only (SQLite gives its -wal and
      // -shm files the same permissions).
      if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
      this.db = new Database(path);
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
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
    this.commits = new GroupCommit((records) => this.writeBatch(records));
  }

  private writeBatch(records: AccessRecord[]): void {
    if (!this.writeTransaction) throw new Error('The access log is open read-only');
    this.writeTransaction.immediate(records);
  }

  append(records: readonly AccessRecord[], options?: AppendOptions): Promise<void> {
    return this.commits.append(records, options);
  }

  async query(filter: AccessLogFilter): Promise<StoredAccessRecord[]> {
    const normalised = normaliseFilter(filter);
    const where = whereClause(normalised, () => '?');
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM access_log ${where.sql} ORDER BY seq DESC LIMIT ?`)
      .all(...where.params, normalised.limit);
    return rows.map(storedRecordFrom);
  }

  /** Pages by seq, yielding to the event loop between pages so that appends are not held up. */
  private async *rows(): AsyncGenerator<ChainRow> {
    const firstPage = this.db.prepare(`SELECT ${COLUMNS} FROM access_log ORDER BY seq LIMIT ?`);
    const nextPage = this.db.prepare(`SELECT ${COLUMNS} FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?`);
    let after: number | null = null;
    for (;;) {
      const rows: ChainRow[] = [];
      const page = after === null ? firstPage.iterate(VERIFY_PAGE_ROWS) : nextPage.iterate(after, VERIFY_PAGE_ROWS);
      for (const raw of page) rows.push(chainRowFrom(raw));
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < VERIFY_PAGE_ROWS) return;
      after = last.seq;
      await yieldToEventLoop();
    }
  }

  verify(): Promise<ChainVerification> {
    return verifyChain(this.rows(), this.chainKey);
  }

  async close(): Promise<void> {
    await this.commits.close();
    if (this.db.open) this.db.close();
  }
}
