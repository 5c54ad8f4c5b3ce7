/**
 * The access log store the gateway writes to: PostgreSQL when `DATABASE_URL` is set (several
 * gateway instances share it), otherwise one SQLite file.
 */
import { envString } from '../config.ts';
import { resolve } from 'node:path';
import { PostgresAccessLog } from './postgres-store.ts';
import { SqliteAccessLog } from './sqlite-store.ts';
import type { AccessLogStore } from './types.ts';
import type { BatchObserver } from '../metrics.ts';

export type * from './types.ts';
export { toCsv } from './csv.ts';
export { AccessLogTimeoutError, AccessLogUnavailableError } from './group-commit.ts';
export { verifyChain, chainHash, GENESIS_HASH } from './chain.ts';
export { PostgresAccessLog, SqliteAccessLog };

export const DEFAULT_ACCESS_LOG_PATH = 'var/access-log.sqlite';
export const MIN_CHAIN_KEY_LENGTH = 32;

export interface AccessLogConfig {
  /** PostgreSQL connection string; when set, the SQLite file is not used. */
  databaseUrl?: string;
  /** Absolute path of the SQLite file. */
  sqlitePath: string;
  /** The HMAC key of the hash chain: whoever holds it can rewrite the log undetected. */
  chainKey: string;
}

export function accessLogConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AccessLogConfig {
  const chainKey = envString('ACCESS_LOG_KEY', '', env);
  if (chainKey.length === 0) {
    throw new Error(
      `ACCESS_LOG_KEY is not set: the access log's chain key (a secret of at least ${MIN_CHAIN_KEY_LENGTH} characters, e.g. \`openssl rand -hex 32\`) is required.`,
    );
  }
  if (chainKey.length < MIN_CHAIN_KEY_LENGTH) {
    throw new Error(`ACCESS_LOG_KEY is too short: the chain key must be at least ${MIN_CHAIN_KEY_LENGTH} characters (it has ${chainKey.length}).`);
  }
  const databaseUrl = envString('DATABASE_URL', '', env).trim() || undefined;
  const sqlitePath = resolve(envString('ACCESS_LOG_PATH', DEFAULT_ACCESS_LOG_PATH, env).trim() || DEFAULT_ACCESS_LOG_PATH);
  return databaseUrl === undefined ? { sqlitePath, chainKey } : { databaseUrl, sqlitePath, chainKey };
}

export interface OpenAccessLogOptions {
  /** For audits: create nothing (a missing SQLite file or table is an error). */
  readOnly?: boolean;
  /** Told each batch's size, write time and outcome (lib/metrics.ts). */
  batchObserver?: BatchObserver;
}

/**
 * Opens the configured store. SQLite opens (and creates its file) at once; PostgreSQL connects and
 * creates its table on first use, so an unreachable database fails the first append, not the start.
 */
export function openAccessLog(config: AccessLogConfig, options: OpenAccessLogOptions = {}): AccessLogStore {
  return config.databaseUrl !== undefined
    ? new PostgresAccessLog(config.databaseUrl, config.chainKey, options)
    : new SqliteAccessLog(config.sqlitePath, config.chainKey, options);
}
