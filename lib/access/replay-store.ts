/**
 * Where a subgraph remembers the caller assertions it accepted, so that each is accepted at most once:
 * an assertion captured between the gateway and a subgraph must be refused by
 * every instance of that subgraph, and by an instance that restarted since, until it expires.
 *
 * - `CALLER_REPLAY_DATABASE_URL` set: a table in PostgreSQL that every instance of the subgraph
 *   shares. One `INSERT … ON CONFLICT DO NOTHING` per call decides: the instance whose insert wins
 *   answers, every other (and every later) use is a replay. Unreachable, it refuses personal data.
 * - Unset (one instance, development): this process's memory, and a rule that an assertion issued
 *   before this process started (by the gateway's clock, less `CALLER_REPLAY_CLOCK_SKEW_MS`) is
 *   refused — its memory cannot say whether it was used before the restart.
 */
import pg from 'pg';
import { urlWithoutPassword } from '../runtime/cli.ts';
import { parseSettings, REPLAY_STORE_SETTINGS, type Environment, type Settings } from '../runtime/settings.ts';
import type { Logger } from '../runtime/logger.ts';
import { AssertionReplayGuard, CLOCK_TOLERANCE_MS, type VerifiedCallerAssertion } from './caller-assertion.ts';

export interface ReplayStoreConfig {
  /** PostgreSQL shared by every instance of the subgraph; undefined: this process's memory. */
  databaseUrl?: string;
  /**
   * Largest amount by which the gateway's clock may run ahead of this subgraph's. Without a shared
   * store, an assertion issued less than this after the process started is refused too.
   */
  clockSkewMs: number;
}

export function replayStoreConfigFromEnv(env: Environment): ReplayStoreConfig {
  return replayStoreConfig(parseSettings(REPLAY_STORE_SETTINGS, env));
}

export function replayStoreConfig(settings: Settings<typeof REPLAY_STORE_SETTINGS>): ReplayStoreConfig {
  const { databaseUrl, clockSkewMs } = settings;
  return databaseUrl === undefined ? { clockSkewMs } : { databaseUrl, clockSkewMs };
}

/** `accepted`: first use; `replayed`: used before (or the memory is full of live ids); `predates-start`: see the module comment. */
export type ReplayVerdict = 'accepted' | 'replayed' | 'predates-start';

export type AssertionUse = Pick<VerifiedCallerAssertion, 'id' | 'expiresAt' | 'issuedAtMs'>;

export interface ReplayStore {
  /** `postgres`: shared by every instance that names the same database; `memory`: this process only. */
  readonly kind: 'memory' | 'postgres';
  /** Records the use of an assertion; throws ReplayStoreUnavailableError when it cannot tell. */
  accept(use: AssertionUse): Promise<ReplayVerdict>;
  close(): Promise<void>;
}

/** The replay store could not be asked: the assertion can be neither accepted nor refused as a replay. */
export class ReplayStoreUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`replay store unavailable: ${reason}`);
    this.name = 'ReplayStoreUnavailableError';
  }
}

export class MemoryReplayStore implements ReplayStore {
  readonly kind = 'memory';
  private readonly seen = new AssertionReplayGuard();

  constructor(
    /** When this process began (ms since epoch): anything issued before may have been used already. */
    private readonly startedAtMs: number,
    private readonly clockSkewMs: number,
  ) {}

  async accept(use: AssertionUse): Promise<ReplayVerdict> {
    if (use.issuedAtMs <= this.startedAtMs + this.clockSkewMs) return 'predates-start';
    return this.seen.accept(use.id, use.expiresAt) ? 'accepted' : 'replayed';
  }

  async close(): Promise<void> {}
}

const TABLE = 'caller_assertion_replay';
/** Advisory lock key of the table's creation (arbitrary, fixed: every instance uses the same). */
const SETUP_LOCK_KEY = 7_306_101;
// One simple-protocol message is one implicit transaction: the lock is held until the table exists.
const SCHEMA = `SELECT pg_advisory_xact_lock(${SETUP_LOCK_KEY});
CREATE TABLE IF NOT EXISTS ${TABLE} (jti text PRIMARY KEY, expires_at_ms bigint NOT NULL);
CREATE INDEX IF NOT EXISTS ${TABLE}_expiry ON ${TABLE} (expires_at_ms);`;
const INSERT = `INSERT INTO ${TABLE} (jti, expires_at_ms) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`;
const PRUNE = `DELETE FROM ${TABLE} WHERE expires_at_ms < $1`;

export interface PostgresReplayStoreOptions {
  /** Connections in the pool (default 8): one short insert per personal call. */
  maxConnections?: number;
  /** Longest wait for a connection, and for one statement (default 2000 ms each). */
  timeoutMs?: number;
  /** How often expired ids are deleted (default 60 s). */
  pruneIntervalMs?: number;
  logger?: Logger;
}

/** Ids stay this long past their expiry (and its tolerance), for instances whose clocks run behind. */
const PRUNE_MARGIN_MS = 60_000;

export class PostgresReplayStore implements ReplayStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly pruning: NodeJS.Timeout;
  private setupDone: Promise<void> | null = null;
  private readonly password: string;

  constructor(
    private readonly connectionString: string,
    private readonly options: PostgresReplayStoreOptions = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 2000;
    this.password = passwordOf(connectionString);
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 8,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'lien-thong-caller-replay',
    });
    // An idle connection that drops is discarded by the pool; without a listener the error would end the process.
    this.pool.on('error', (error) => this.options.logger?.warn({ store: this.where(), error: this.masked(error) }, 'caller replay store connection lost'));
    this.pruning = setInterval(() => void this.prune(), options.pruneIntervalMs ?? 60_000);
    this.pruning.unref();
  }

  /** The database, for logs: the URL without its password. */
  where(): string {
    return urlWithoutPassword(this.connectionString);
  }

  async accept(use: AssertionUse): Promise<ReplayVerdict> {
    try {
      await this.ready();
      const result = await this.pool.query(INSERT, [use.id, use.expiresAt * 1000 + CLOCK_TOLERANCE_MS]);
      return result.rowCount === 1 ? 'accepted' : 'replayed';
    } catch (error) {
      throw new ReplayStoreUnavailableError(this.masked(error));
    }
  }

  /** Deletes ids that no instance can accept any more; a failure waits for the next round. */
  async prune(now = Date.now()): Promise<number> {
    try {
      await this.ready();
      return (await this.pool.query(PRUNE, [now - PRUNE_MARGIN_MS])).rowCount ?? 0;
    } catch (error) {
      this.options.logger?.warn({ store: this.where(), error: this.masked(error) }, 'caller replay store: pruning failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pruning);
    await this.pool.end();
  }

  /** Creates the table once; retried on the next call if the database was not reachable. */
  private ready(): Promise<void> {
    this.setupDone ??= this.pool.query(SCHEMA).then(
      () => undefined,
      (error: unknown) => {
        this.setupDone = null;
        throw error;
      },
    );
    return this.setupDone;
  }

  /** What went wrong, never with the password (pg's messages do not carry it; this makes sure). */
  private masked(error: unknown): string {
    const code = (error as { code?: unknown })?.code;
    const message = error instanceof Error ? error.message : String(error);
    const text = typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
    return this.password ? text.split(this.password).join('***') : text;
  }
}

function passwordOf(connectionString: string): string {
  try {
    return decodeURIComponent(new URL(connectionString).password);
  } catch {
    return '';
  }
}

/** The store `config` asks for; `startedAtMs` is when this process began. */
export function createReplayStore(config: ReplayStoreConfig, startedAtMs: number, logger?: Logger): ReplayStore {
  return config.databaseUrl ? new PostgresReplayStore(config.databaseUrl, logger ? { logger } : {}) : new MemoryReplayStore(startedAtMs, config.clockSkewMs);
}
