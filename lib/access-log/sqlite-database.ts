/**
 * The SQLite access log's database work, synchronous (better-sqlite3): opening the file, the batch
 * write transaction and the reads. The gateway runs it in a worker thread (sqlite-worker.ts) so that
 * a lock held by another process never blocks its event loop; an audit (read-only) runs it in place.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { extendChain } from './chain.ts';
import { reuseCaseFrom, reuseChanges, reuseReportSql, ReuseClassifier, reuseSourceFrom, type FieldSectors, type ReuseQuery, type ReuseSource } from './reuse.ts';
import { COLUMNS, columnValues, seqColumn, whereClause, type NormalisedFilter } from './rows.ts';
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
CREATE TABLE IF NOT EXISTS reuse_monthly (
  month TEXT NOT NULL,
  agency TEXT NOT NULL,
  purpose TEXT NOT NULL,
  province TEXT NOT NULL,
  level TEXT NOT NULL,
  sector TEXT NOT NULL,
  items INTEGER NOT NULL,
  reused_items INTEGER NOT NULL,
  cases INTEGER NOT NULL,
  cases_with_reuse INTEGER NOT NULL,
  PRIMARY KEY (month, agency, purpose, province, level, sector)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reuse_cases (
  agency TEXT NOT NULL,
  purpose TEXT NOT NULL,
  case_number TEXT NOT NULL,
  month TEXT NOT NULL,
  province TEXT NOT NULL,
  level TEXT NOT NULL,
  sectors TEXT NOT NULL,
  reused_sectors TEXT NOT NULL,
  PRIMARY KEY (agency, purpose, case_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reuse_progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  through_seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO reuse_progress (id, through_seq) VALUES (1, 0);
`;

/** Records read per transaction when the reuse counters catch up with an older log. */
const REUSE_CATCH_UP_ROWS = 10_000;
const progressRow = z.object({ through_seq: seqColumn });

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
  /** The sector of each top-level field of `Citizen`, for the reuse counters (a writer only). */
  fieldSectors?: FieldSectors;
}

/**
 * Each connection's page cache in KiB (SQLite's `cache_size`, negative for KiB). The gateway's memory
 * outside V8's heap grows by about this much while appends pass through new pages, then holds: it was
 * the largest such rise in a soak (docs/BENCHMARKS.md). Set here rather than left to the driver's build
 * (better-sqlite3 compiles in the same 16,000), so a pod's memory does not move with a driver upgrade.
 */
export const PAGE_CACHE_KIB = 16_000;

/** One better-sqlite3 connection to the access log file, with its statements prepared once. */
export class SqliteDatabase {
  private readonly db: Database.Database;
  private readonly writeTransaction?: Database.Transaction<(records: AccessRecord[]) => void>;
  private readonly firstPage: Database.Statement;
  private readonly nextPage: Database.Statement;
  /** The file this connection opened, to notice it being deleted or replaced under it. */
  private readonly file: { dev: number; ino: number };
  private busyTimeoutMs = -1;
  private readonly countReuse?: (throughSeq: number, records: readonly ReuseSource[]) => void;
  private readonly reuseBehind?: Database.Statement;

  constructor(
    readonly path: string,
    private readonly chainKey: string,
    options: SqliteOpenOptions,
  ) {
    this.db = new Database(path, { readonly: options.readOnly, fileMustExist: true });
    try {
      this.setBusyTimeout(options.busyTimeoutMs);
      this.db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
      if (!options.readOnly) {
        this.db.pragma('journal_mode = WAL');
        // FULL: a commit is on disk (WAL fsynced) before append resolves and the data is released.
        this.db.pragma('synchronous = FULL');
        this.db.exec(SCHEMA);
        const readHead = this.db.prepare('SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1');
        const insert = this.db.prepare(`INSERT INTO access_log (${COLUMNS}) VALUES (${Array(COLUMNS.split(',').length).fill('?').join(', ')})`);
        this.countReuse = this.reuseCounter(new ReuseClassifier(options.fieldSectors ?? {}));
        const countReuse = this.countReuse;
        this.writeTransaction = this.db.transaction((records: AccessRecord[]) => {
          const rows = extendChain(this.chainKey, headRow.parse(readHead.get()), records);
          for (const row of rows) insert.run(...columnValues(row));
          countReuse(rows.at(-1)!.seq, records);
        });
        this.reuseBehind = this.db.prepare('SELECT COUNT(*) AS behind FROM access_log WHERE seq > (SELECT through_seq FROM reuse_progress WHERE id = 1)');
        this.catchUpReuse();
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

  /**
   * Adds records to the reuse counters in the transaction under way, with every record the counters
   * have not seen before them (a log written before the counters existed, or by an older gateway).
   */
  private reuseCounter(classifier: ReuseClassifier): (throughSeq: number, records: readonly ReuseSource[]) => void {
    const readProgress = this.db.prepare('SELECT through_seq FROM reuse_progress WHERE id = 1');
    const setProgress = this.db.prepare('UPDATE reuse_progress SET through_seq = ? WHERE id = 1');
    const unseen = this.db.prepare('SELECT at, agency, purpose, case_number, fields FROM access_log WHERE seq > ? AND seq <= ? ORDER BY seq');
    const readCase = this.db.prepare('SELECT month, province, level, sectors, reused_sectors FROM reuse_cases WHERE agency = ? AND purpose = ? AND case_number = ?');
    const writeCase = this.db.prepare(
      'INSERT OR REPLACE INTO reuse_cases (agency, purpose, case_number, month, province, level, sectors, reused_sectors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const addCounters = this.db.prepare(
      `INSERT INTO reuse_monthly (month, agency, purpose, province, level, sector, items, reused_items, cases, cases_with_reuse) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (month, agency, purpose, province, level, sector) DO UPDATE SET items = items + excluded.items, reused_items = reused_items + excluded.reused_items,
       cases = cases + excluded.cases, cases_with_reuse = cases_with_reuse + excluded.cases_with_reuse`,
    );
    return (throughSeq, records) => {
      const counted = progressRow.parse(readProgress.get()).through_seq;
      const firstNew = throughSeq - records.length + 1;
      const sources: ReuseSource[] = [];
      if (counted < firstNew - 1) sources.push(...unseen.all(counted, firstNew - 1).map(reuseSourceFrom));
      sources.push(...records.slice(Math.max(0, counted - firstNew + 1)));
      const changes = reuseChanges(sources, classifier, (agency, purpose, caseNumber) => {
        const row = readCase.get(agency, purpose, caseNumber);
        return row === undefined ? undefined : reuseCaseFrom(row);
      });
      for (const c of changes.cases.values())
        writeCase.run(c.agency, c.purpose, c.caseNumber, c.month, c.province, c.level, JSON.stringify(c.sectors), JSON.stringify(c.reusedSectors));
      for (const c of changes.counters) addCounters.run(c.month, c.agency, c.purpose, c.province, c.level, c.sector, c.items, c.reusedItems, c.cases, c.casesWithReuse);
      setProgress.run(Math.max(counted, throughSeq));
    };
  }

  /** Brings the reuse counters up to the log's last record, a bounded number of records per transaction. */
  private catchUpReuse(): void {
    const lastSeq = this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM access_log').pluck();
    const counted = this.db.prepare('SELECT through_seq FROM reuse_progress WHERE id = 1').pluck();
    const step = this.db.transaction((through: number) => this.countReuse!(through, []));
    for (;;) {
      const from = z.number().int().parse(counted.get());
      const to = Math.min(z.number().int().parse(lastSeq.get()), from + REUSE_CATCH_UP_ROWS);
      if (to <= from) return;
      step.immediate(to);
    }
  }

  /** Records of the log the reuse counters do not include yet (0 once caught up). */
  reuseLag(): number {
    return this.reuseBehind
      ? z
          .number()
          .int()
          .parse((this.reuseBehind.get() as { behind: unknown }).behind)
      : 0;
  }

  /** The reuse report: the monthly counters summed over the months asked, grouped. */
  reuse(query: ReuseQuery): unknown[] {
    const { sql, params } = reuseReportSql(query, () => '?');
    return this.db.prepare(sql).all(...params);
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
