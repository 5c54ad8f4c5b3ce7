/**
 * The access log in PostgreSQL (`DATABASE_URL`), for several gateway instances: each batch takes one
 * fixed transaction-level advisory lock before it reads the head, so instances append one after the
 * other and never fork the chain.
 *
 * No failure of the server may crash or wedge the gateway: every checked-out client has an 'error'
 * listener (a socket that dies while a client is checked out would otherwise end the process), a
 * client that failed other than with a server error is discarded (`release(error)`), connecting
 * and waiting for a pooled client are bounded (`connectionTimeoutMillis`), every query is bounded
 * on the client (`query_timeout`, for a server that does not answer at all) and on the server
 * (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`, so that a gateway
 * that vanished mid-batch does not hold the append lock), and a batch whose callers have all given
 * up is abandoned: its client is ended, which destroys the socket of a query still waiting.
 */
import pg from 'pg';
import { z } from 'zod';
import { extendChain, verifyChain, type ChainRow } from './chain.ts';
import { GroupCommit } from './group-commit.ts';
import type { BatchObserver } from '../runtime/metrics.ts';
import {
  defaultFieldSectors,
  reuseCaseFrom,
  reuseCaseKey,
  reuseChanges,
  reuseGroupFrom,
  reuseReportSql,
  ReuseClassifier,
  reuseSourceFrom,
  type FieldSectors,
  type ReuseCase,
  type ReuseGroup,
  type ReuseQuery,
  type ReuseSource,
} from './reuse.ts';
import { COLUMNS, seqColumn, chainRowFrom, columnValues, normaliseFilter, storedRecordFrom, whereClause } from './rows.ts';
import type { AccessLogFilter, AccessLogHealth, AccessLogStore, AccessRecord, AppendOptions, ChainVerification, StoredAccessRecord } from './types.ts';

/** Advisory lock keys (arbitrary, fixed: every instance must use the same ones). */
const SETUP_LOCK_KEY = 7_306_001;
const APPEND_LOCK_KEY = 7_306_002;
const VERIFY_PAGE_ROWS = 1000;
/** 13 parameters a row; PostgreSQL allows 65 535 parameters in one statement. */
const INSERT_CHUNK_ROWS = 1000;
const COLUMN_COUNT = 13;

// `at` is text, exactly as hashed; the arrays are jsonb, which keeps the order and the strings as given.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS access_log (
  seq bigint PRIMARY KEY,
  at text NOT NULL,
  request_id text NOT NULL,
  agency text NOT NULL,
  officer text NOT NULL,
  purpose text NOT NULL,
  case_number text NOT NULL,
  personal_id text NOT NULL,
  fields jsonb NOT NULL,
  denied_fields jsonb NOT NULL,
  outcome text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_personal_id ON access_log (personal_id, seq);
CREATE INDEX IF NOT EXISTS access_log_agency ON access_log (agency, seq);
CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at);
CREATE TABLE IF NOT EXISTS reuse_monthly (
  month text NOT NULL,
  agency text NOT NULL,
  purpose text NOT NULL,
  province text NOT NULL,
  level text NOT NULL,
  sector text NOT NULL,
  items bigint NOT NULL,
  reused_items bigint NOT NULL,
  cases bigint NOT NULL,
  cases_with_reuse bigint NOT NULL,
  PRIMARY KEY (month, agency, purpose, province, level, sector)
);
CREATE TABLE IF NOT EXISTS reuse_cases (
  agency text NOT NULL,
  purpose text NOT NULL,
  case_number text NOT NULL,
  month text NOT NULL,
  province text NOT NULL,
  level text NOT NULL,
  sectors jsonb NOT NULL,
  reused_sectors jsonb NOT NULL,
  PRIMARY KEY (agency, purpose, case_number)
);
CREATE TABLE IF NOT EXISTS reuse_progress (
  id int PRIMARY KEY CHECK (id = 1),
  through_seq bigint NOT NULL
);
INSERT INTO reuse_progress (id, through_seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
`;

/** Records read per transaction when the reuse counters catch up with an older log. */
const REUSE_CATCH_UP_ROWS = 10_000;

const headRow = z.object({ seq: z.union([z.string().regex(/^-?\d+$/), z.number()]).transform(Number), hash: z.string() }).optional();

export interface PostgresAccessLogOptions {
  /** For audits: create nothing, use the table as it is. */
  readOnly?: boolean;
  /** Connections in the pool (default 4: appends are one writer at a time anyway). */
  maxConnections?: number;
  /** Bounds on the server's answers (defaults: POSTGRES_TIMEOUTS). */
  timeouts?: Partial<PostgresTimeouts>;
  /** Told each batch's size, write time and outcome (lib/runtime/metrics.ts). */
  batchObserver?: BatchObserver;
  /** The sector of each top-level field of `Citizen` for the reuse counters (default: this repository's supergraph). */
  fieldSectors?: FieldSectors;
}

export interface PostgresTimeouts {
  /** Connecting, and waiting for a free pooled client (pg's `connectionTimeoutMillis`). */
  connectMs: number;
  /** Server side: one statement (`statement_timeout`) and one lock wait, the append lock's included (`lock_timeout`). */
  statementMs: number;
  /** Server side: a transaction left open by a client that stopped talking (`idle_in_transaction_session_timeout`). */
  idleInTransactionMs: number;
  /** Client side: no answer at all to one query (pg's `query_timeout`), e.g. a server that is stopped or unreachable. */
  queryMs: number;
}

/**
 * A batch of 500 records commits in tens of milliseconds; these bounds only catch a server that is
 * failing. The request's own deadline (REQUEST_TIMEOUT_MS) abandons a batch earlier still.
 */
export const POSTGRES_TIMEOUTS: PostgresTimeouts = { connectMs: 5000, statementMs: 10_000, idleInTransactionMs: 15_000, queryMs: 15_000 };

export class PostgresAccessLog implements AccessLogStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly commits: GroupCommit;
  private readonly readOnly: boolean;
  private setupDone: Promise<void> | null = null;
  private readonly classifier: ReuseClassifier;

  constructor(
    connectionString: string,
    private readonly chainKey: string,
    options: PostgresAccessLogOptions = {},
  ) {
    this.readOnly = options.readOnly ?? false;
    this.classifier = new ReuseClassifier(options.fieldSectors ?? defaultFieldSectors());
    const timeouts = { ...POSTGRES_TIMEOUTS, ...options.timeouts };
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: timeouts.connectMs,
      query_timeout: timeouts.queryMs,
      statement_timeout: timeouts.statementMs,
      lock_timeout: timeouts.statementMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
      // TCP keep-alive finds a connection to a server that vanished without a word.
      keepAlive: true,
    });
    // An idle connection that drops is discarded by the pool; without a listener the error would end the process.
    this.pool.on('error', () => {});
    this.commits = new GroupCommit((records, signal) => this.writeBatch(records, signal), { observer: options.batchObserver });
  }

  /**
   * A pooled client with an 'error' listener for as long as it is checked out: a socket that dies
   * between two queries (server stopped, killed, restarted) fails the work instead of the process.
   * `release` discards the client unless it ended cleanly.
   */
  private async checkOut(signal?: AbortSignal): Promise<{ client: pg.PoolClient; failed: () => unknown; release: (error?: unknown) => void }> {
    const connecting = this.pool.connect();
    const client = await (signal ? untilAborted(connecting, signal, (late) => late.release(true)) : connecting);
    let failure: unknown;
    const onError = (error: unknown) => {
      failure ??= error;
    };
    client.on('error', onError);
    let released = false;
    return {
      client,
      failed: () => failure,
      release: (error) => {
        if (released) return;
        released = true;
        const broken = error !== undefined || failure !== undefined;
        // pg-pool puts its own idle listener back on release; ours goes after it is there.
        client.release(broken ? ((error ?? failure ?? true) as Error | boolean) : undefined);
        client.off('error', onError);
      },
    };
  }

  /** Creates the table once; retried on the next call if the database was not reachable. */
  private ready(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    this.setupDone ??= this.createSchema().catch((error: unknown) => {
      this.setupDone = null;
      throw error;
    });
    return this.setupDone;
  }

  private async createSchema(): Promise<void> {
    const { client, release } = await this.checkOut();
    let failure: unknown;
    try {
      // CREATE … IF NOT EXISTS is not safe against itself when several instances start at once.
      // The session lock goes with the connection if anything fails: the client is then discarded.
      await client.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK_KEY]);
      await client.query(SCHEMA);
      await client.query('SELECT pg_advisory_unlock($1)', [SETUP_LOCK_KEY]);
      await this.catchUpReuse(client);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      release(failure);
    }
  }

  private async writeBatch(records: AccessRecord[], signal: AbortSignal): Promise<void> {
    await untilAborted(this.ready(), signal);
    const { client, failed, release } = await this.checkOut(signal);
    // Every caller gave up: end the client, which destroys the socket of a query still waiting.
    const abandon = () => void client.end().catch(() => {});
    signal.addEventListener('abort', abandon, { once: true });
    let broken: unknown;
    try {
      // One round trip for the four statements that open the batch. Under READ COMMITTED each takes
      // its own snapshot, so the head is read after the lock is held.
      const opened = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = on; SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY}); SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1`,
      )) as unknown as pg.QueryResult[];
      const head = headRow.parse(opened.at(-1)?.rows[0]);
      const stored = extendChain(this.chainKey, head, records);
      const rows = stored.map(columnValues);
      for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
        const chunk = rows.slice(start, start + INSERT_CHUNK_ROWS);
        const values = chunk.map((_, index) => {
          const p = (column: number) => `$${index * COLUMN_COUNT + column}`;
          return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}::jsonb, ${p(10)}::jsonb, ${p(11)}, ${p(12)}, ${p(13)})`;
        });
        await client.query(`INSERT INTO access_log (${COLUMNS}) VALUES ${values.join(', ')}`, chunk.flat());
      }
      await this.countReuse(client, stored.at(-1)!.seq, records);
      await client.query('COMMIT');
    } catch (error) {
      // A server error (it answered) leaves the connection usable once rolled back; anything else
      // (timeout, lost socket, abandoned) leaves it in an unknown state: discard it, no ROLLBACK.
      if (error instanceof pg.DatabaseError && !signal.aborted && failed() === undefined) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError;
        }
      } else {
        broken = error;
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', abandon);
      release(broken ?? (signal.aborted ? signal.reason : undefined));
    }
  }

  /**
   * Adds records to the reuse counters in the transaction under way (the append lock held), with
   * every record the counters have not seen before them (a log written before they existed).
   */
  private async countReuse(client: pg.PoolClient, throughSeq: number, records: readonly ReuseSource[]): Promise<void> {
    const progress = await client.query('SELECT through_seq FROM reuse_progress WHERE id = 1');
    const counted = seqColumn.parse(progress.rows[0]?.through_seq);
    const firstNew = throughSeq - records.length + 1;
    const sources: ReuseSource[] = [];
    if (counted < firstNew - 1) {
      const unseen = await client.query('SELECT at, agency, purpose, case_number, fields FROM access_log WHERE seq > $1 AND seq <= $2 ORDER BY seq', [counted, firstNew - 1]);
      sources.push(...unseen.rows.map(reuseSourceFrom));
    }
    sources.push(...records.slice(Math.max(0, counted - firstNew + 1)));
    const distinctCases = [...new Map(sources.map((r) => [reuseCaseKey(r.agency, r.purpose, r.caseNumber), r])).values()];
    const known = new Map<string, ReuseCase>();
    if (distinctCases.length > 0) {
      const found = await client.query(
        `SELECT c.agency, c.purpose, c.case_number, c.month, c.province, c.level, c.sectors, c.reused_sectors
         FROM reuse_cases c JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(agency, purpose, case_number) USING (agency, purpose, case_number)`,
        unnestColumns(distinctCases, ['agency', 'purpose', 'caseNumber']),
      );
      for (const row of found.rows as Record<string, unknown>[]) known.set(reuseCaseKey(String(row.agency), String(row.purpose), String(row.case_number)), reuseCaseFrom(row));
    }
    const changes = reuseChanges(sources, this.classifier, (agency, purpose, caseNumber) => known.get(reuseCaseKey(agency, purpose, caseNumber)));
    const cases = [...changes.cases.values()].map((c) => ({ ...c, sectors: JSON.stringify(c.sectors), reusedSectors: JSON.stringify(c.reusedSectors) }));
    if (cases.length > 0)
      await client.query(
        `INSERT INTO reuse_cases (agency, purpose, case_number, month, province, level, sectors, reused_sectors)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])
         ON CONFLICT (agency, purpose, case_number) DO UPDATE SET sectors = excluded.sectors, reused_sectors = excluded.reused_sectors`,
        unnestColumns(cases, ['agency', 'purpose', 'caseNumber', 'month', 'province', 'level', 'sectors', 'reusedSectors']),
      );
    if (changes.counters.length > 0)
      await client.query(
        `INSERT INTO reuse_monthly AS m (month, agency, purpose, province, level, sector, items, reused_items, cases, cases_with_reuse)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
         ON CONFLICT (month, agency, purpose, province, level, sector) DO UPDATE SET items = m.items + excluded.items,
           reused_items = m.reused_items + excluded.reused_items, cases = m.cases + excluded.cases, cases_with_reuse = m.cases_with_reuse + excluded.cases_with_reuse`,
        unnestColumns(changes.counters, ['month', 'agency', 'purpose', 'province', 'level', 'sector', 'items', 'reusedItems', 'cases', 'casesWithReuse']),
      );
    await client.query('UPDATE reuse_progress SET through_seq = $1 WHERE id = 1', [Math.max(counted, throughSeq)]);
  }

  /** Brings the reuse counters up to the log's last record at setup, a bounded number of records per transaction. */
  private async catchUpReuse(client: pg.PoolClient): Promise<void> {
    for (;;) {
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY})`);
      try {
        const state = await client.query('SELECT (SELECT through_seq FROM reuse_progress WHERE id = 1) AS counted, (SELECT COALESCE(MAX(seq), 0) FROM access_log) AS last');
        const counted = seqColumn.parse(state.rows[0]?.counted);
        const through = Math.min(seqColumn.parse(state.rows[0]?.last), counted + REUSE_CATCH_UP_ROWS);
        if (through > counted) await this.countReuse(client, through, []);
        await client.query('COMMIT');
        if (through <= counted) return;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    }
  }

  async reuseStatistics(query: ReuseQuery): Promise<ReuseGroup[]> {
    await this.ready();
    const { sql, params } = reuseReportSql(query, (n) => `$${n}`);
    const result = await this.pool.query(sql, params);
    return (result.rows as Record<string, unknown>[]).map(reuseGroupFrom);
  }

  health(): AccessLogHealth {
    return this.commits.health(this.kind);
  }

  append(records: readonly AccessRecord[], options?: AppendOptions): Promise<void> {
    return this.commits.append(records, options);
  }

  async query(filter: AccessLogFilter): Promise<StoredAccessRecord[]> {
    const normalised = normaliseFilter(filter);
    await this.ready();
    const where = whereClause(normalised, (n) => `$${n}`);
    const result = await this.pool.query(`SELECT ${COLUMNS} FROM access_log ${where.sql} ORDER BY seq DESC LIMIT $${where.params.length + 1}`, [...where.params, normalised.limit]);
    return result.rows.map(storedRecordFrom);
  }

  /** Keyset pages by seq: memory stays at one page however long the log. */
  private async *rows(): AsyncGenerator<ChainRow> {
    await this.ready();
    let after: number | null = null;
    for (;;) {
      const result: pg.QueryResult = await this.pool.query(
        after === null ? `SELECT ${COLUMNS} FROM access_log ORDER BY seq LIMIT $1` : `SELECT ${COLUMNS} FROM access_log WHERE seq > $2 ORDER BY seq LIMIT $1`,
        after === null ? [VERIFY_PAGE_ROWS] : [VERIFY_PAGE_ROWS, after],
      );
      const rows = result.rows.map(chainRowFrom);
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < VERIFY_PAGE_ROWS) return;
      after = last.seq;
    }
  }

  verify(): Promise<ChainVerification> {
    return verifyChain(this.rows(), this.chainKey);
  }

  async close(): Promise<void> {
    await this.commits.close();
    if (!this.pool.ended) await this.pool.end();
  }
}

/** Rows as one array per column, in `keys` order: the parameters of an `unnest` insert of many rows in one statement. */
function unnestColumns<T>(rows: readonly T[], keys: readonly (keyof T)[]): unknown[][] {
  return keys.map((key) => rows.map((row) => row[key]));
}

/** The promise, or a rejection with the signal's reason once it aborts; a result that comes after goes to `late`, once. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, late?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) late?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
