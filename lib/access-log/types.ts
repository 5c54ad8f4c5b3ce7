/**
 * The access log: one record for every access to a citizen's personal data, kept hash-chained so
 * that an edited, inserted or deleted record is detected (`npm run audit:verify`).
 */

import type { ReuseGroup, ReuseQuery } from './reuse.ts';

export const ACCESS_OUTCOMES = ['RETURNED', 'PARTIALLY_DENIED', 'DENIED'] as const;
/**
 * RETURNED: every field asked for was allowed. PARTIALLY_DENIED: some fields were refused by the
 * policy, the others answered. DENIED: every personal field asked for was refused.
 */
export type AccessOutcome = (typeof ACCESS_OUTCOMES)[number];

/** What the gateway writes before it answers. */
export interface AccessRecord {
  /** When the access happened, ISO 8601 UTC with milliseconds. */
  at: string;
  /** The request id (`x-request-id`) that travels to subgraphs and backends. */
  requestId: string;
  agency: string;
  officer: string;
  /** Administrative-procedure code. */
  purpose: string;
  caseNumber: string;
  /** The citizen whose data was accessed. */
  personalId: string;
  /** Fields returned, as paths under the citizen (`fullName`, `landParcels.area`), sorted, unique. */
  fields: string[];
  /** Fields the policy refused, as schema coordinates (`Citizen.landParcels`), sorted, unique. */
  deniedFields: string[];
  outcome: AccessOutcome;
}

/** A record as stored: its place in the chain and the chain's hashes. */
export interface StoredAccessRecord extends AccessRecord {
  /** 1, 2, 3 … without gaps. */
  seq: number;
  /** `hash` of the record before (64 zeros for the first). */
  prevHash: string;
  /** HMAC-SHA256 (hex) under the log's chain key of this record's content, `seq` and `prevHash`. */
  hash: string;
}

export interface AccessLogFilter {
  agency?: string;
  purpose?: string;
  personalId?: string;
  /** Inclusive lower bound on `at` (ISO 8601). */
  from?: string;
  /** Exclusive upper bound on `at` (ISO 8601). */
  to?: string;
  /** Newest first; at most this many (default 100, the store caps at 10 000). */
  limit?: number;
  /** Only records with a `seq` below this one (for paging, newest first). */
  beforeSeq?: number;
}

export type ChainProblemKind =
  /** A record's content does not match its hash: edited. */
  | 'EDITED'
  /** A record's `prevHash` is not the hash of the record before it: inserted, replaced or reordered. */
  | 'BROKEN_LINK'
  /** `seq` jumps: records deleted. */
  | 'MISSING';

export interface ChainProblem {
  seq: number;
  kind: ChainProblemKind;
  /** In words, for people. */
  detail: string;
}

export interface ChainVerification {
  intact: boolean;
  records: number;
  /** The last record's seq and hash: keep them elsewhere to detect a later truncation of the tail. */
  head: { seq: number; hash: string } | null;
  problems: ChainProblem[];
}

export interface AppendOptions {
  /**
   * When the caller stops waiting (ms since epoch, the request's own deadline). Records still
   * queued then are dropped; records already in a transaction may still be committed (a record
   * without an answer is safe; an answer without a record never happens).
   */
  deadlineAt?: number;
}

export interface AccessLogStore {
  /** Which store this is, for logs and `/ready`. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Appends records to the chain. Resolves only once they are durably written (committed); rejects
   * if they are not, so the caller can withhold the data (fail closed). Concurrent calls are
   * written together in one transaction (group commit), in call order. With `deadlineAt`, rejects
   * with an AccessLogTimeoutError once it passes, whatever the store is doing.
   */
  append(records: readonly AccessRecord[], options?: AppendOptions): Promise<void>;
  /** Records matching the filter, newest first. */
  query(filter: AccessLogFilter): Promise<StoredAccessRecord[]>;
  /** Recomputes the whole chain. */
  verify(): Promise<ChainVerification>;
  /** The reuse counters over whole months, grouped (lib/access-log/reuse.ts): kept with every append, read without scanning the log. */
  reuseStatistics(query: ReuseQuery): Promise<ReuseGroup[]>;
  /** How the last writes went, from memory (never touches the store): for `/ready`. */
  health(): AccessLogHealth;
  close(): Promise<void>;
}

/**
 * The access log's state in the gateway's `/ready`. DOWN while the circuit over the store is open
 * or half-open, or when the last write failed: personal data is then refused (503
 * ACCESS_LOG_UNAVAILABLE), public data is still answered.
 */
export interface AccessLogHealth {
  store: 'sqlite' | 'postgres';
  status: 'UP' | 'DOWN';
  /** CLOSED: writes go to the store. OPEN: refused at once. HALF_OPEN: one trial write is under way. */
  circuit: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  /** The last committed write (null: none since start). */
  lastSuccessAt: string | null;
  /** The last failed write, with a short cause (an error code or fixed phrase, never a connection string). */
  lastFailure: { at: string; reason: string } | null;
  /** Appends refused without trying because the circuit was open or a trial write was under way. */
  refusedWhileOpen: number;
  /** Batches given up because the store did not answer before every caller's deadline. */
  abandonedBatches: number;
}
