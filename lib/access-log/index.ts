/**
 * The access log store the gateway writes to: PostgreSQL when `DATABASE_URL` is set (several
 * gateway instances share it), otherwise one SQLite file.
 */
import { ACCESS_LOG_SETTINGS, parseSettings, type Environment, type Settings } from '../runtime/settings.ts';
import { resolve } from 'node:path';
import { PostgresAccessLog } from './postgres-store.ts';
import { SqliteAccessLog } from './sqlite-store.ts';
import type { AccessLogStore } from './types.ts';
import type { FieldSectors } from './reuse.ts';
import type { BatchObserver } from '../runtime/metrics.ts';
import type { Logger } from '../runtime/logger.ts';

export type * from './types.ts';
export { toCsv } from './csv.ts';
export { AccessLogTimeoutError, AccessLogUnavailableError } from './group-commit.ts';
export { verifyChain, chainHash, GENESIS_HASH } from './chain.ts';
export { citizenFieldSectors } from './reuse.ts';
export { PostgresAccessLog, SqliteAccessLog };

export { DEFAULT_ACCESS_LOG_PATH, MIN_CHAIN_KEY_LENGTH } from '../runtime/settings.ts';

export interface AccessLogConfig {
  /** PostgreSQL connection string; when set, the SQLite file is not used. */
  databaseUrl?: string;
  /** Absolute path of the SQLite file. */
  sqlitePath: string;
  /** The HMAC key of the hash chain: whoever holds it can rewrite the log undetected. */
  chainKey: string;
}

/** The access log's configuration from its settings (`ACCESS_LOG_KEY` required, `DATABASE_URL`, `ACCESS_LOG_PATH`). */
export function accessLogConfig(settings: Settings<typeof ACCESS_LOG_SETTINGS>): AccessLogConfig {
  const { chainKey, databaseUrl } = settings;
  const sqlitePath = resolve(settings.sqlitePath);
  return databaseUrl === undefined ? { sqlitePath, chainKey } : { databaseUrl, sqlitePath, chainKey };
}

export function accessLogConfigFromEnv(env: Environment): AccessLogConfig {
  return accessLogConfig(parseSettings(ACCESS_LOG_SETTINGS, env));
}

export interface OpenAccessLogOptions {
  /** For audits: create nothing (a missing SQLite file or table is an error). */
  readOnly?: boolean;
  /** Told each batch's size, write time and outcome (lib/runtime/metrics.ts). */
  batchObserver?: BatchObserver;
  /** Where the SQLite store reports a worker thread that stopped unasked, with its cause. */
  logger?: Pick<Logger, 'error'>;
  /** The sector of each top-level field of `Citizen` for the reuse counters (default: this repository's supergraph). */
  fieldSectors?: FieldSectors;
}

/**
 * Opens the configured store. SQLite opens (and creates its file) at once; PostgreSQL connects and
 * creates its table on first use, so an unreachable database fails the first append, not the start.
 */
export function openAccessLog(config: AccessLogConfig, options: OpenAccessLogOptions = {}): AccessLogStore {
  return config.databaseUrl !== undefined ? new PostgresAccessLog(config.databaseUrl, config.chainKey, options) : new SqliteAccessLog(config.sqlitePath, config.chainKey, options);
}
