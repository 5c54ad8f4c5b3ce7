/**
 * The hash chain of the access log: each record's hash is an HMAC under the log's chain key of its
 * content, its `seq` and the hash of the record before, so that an edited, inserted, deleted or
 * reordered record no longer verifies. One verifier for both stores.
 */
import { createHmac } from 'node:crypto';
import type { AccessRecord, ChainProblem, ChainVerification, StoredAccessRecord } from './types.ts';

/** `prevHash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Beyond this many, further problems are counted in `intact: false` but not listed. */
export const MAX_LISTED_PROBLEMS = 1000;

/**
 * The bytes that are hashed: JSON with a fixed field order, so that a store that returns columns in
 * another order, or a record object with extra properties, hashes the same.
 */
export function canonicalRecord(seq: number, prevHash: string, record: AccessRecord): string {
  return JSON.stringify([
    seq,
    prevHash,
    record.at,
    record.requestId,
    record.agency,
    record.officer,
    record.purpose,
    record.caseNumber,
    record.personalId,
    record.fields,
    record.deniedFields,
    record.outcome,
  ]);
}

export function chainHash(key: string, seq: number, prevHash: string, record: AccessRecord): string {
  return createHmac('sha256', key)
    .update(canonicalRecord(seq, prevHash, record))
    .digest('hex');
}

/** The records as the next links of a chain whose last record is `head` (none: a new chain). */
export function extendChain(key: string, head: { seq: number; hash: string } | undefined, records: readonly AccessRecord[]): StoredAccessRecord[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return records.map((record) => {
    seq += 1;
    const stored = { ...record, seq, prevHash, hash: chainHash(key, seq, prevHash, record) };
    prevHash = stored.hash;
    return stored;
  });
}

/** A row the store could not read back as a record (a column of the wrong type, invalid JSON…). */
export interface UnreadableRow {
  seq: number;
  unreadable: string;
  /** The stored hash if it could be read, so the next record's link can still be checked. */
  hash: string | null;
}

export type ChainRow = StoredAccessRecord | UnreadableRow;

const isUnreadable = (row: ChainRow): row is UnreadableRow => 'unreadable' in row;

/** Checks rows one at a time, in the order given (which must be `seq` order): nothing is kept but the last hash. */
class ChainVerifier {
  private records = 0;
  private readonly problems: ChainProblem[] = [];
  private problemCount = 0;
  private last: { seq: number; hash: string | null } | null = null;

  constructor(private readonly key: string) {}

  private report(problem: ChainProblem): void {
    this.problemCount += 1;
    if (this.problems.length < MAX_LISTED_PROBLEMS) this.problems.push(problem);
  }

  check(row: ChainRow): void {
    this.records += 1;
    const { seq } = row;
    const expectedSeq = this.last === null ? 1 : this.last.seq + 1;
    let linkCheckable = true;
    if (seq > expectedSeq) {
      const count = seq - expectedSeq;
      this.report({
        seq,
        kind: 'MISSING',
        detail: count === 1 ? `record ${expectedSeq} is missing (deleted)` : `records ${expectedSeq} to ${seq - 1} are missing (${count} deleted)`,
      });
      // The record this one links to is gone: there is nothing to compare its prevHash with.
      linkCheckable = false;
    } else if (seq < expectedSeq) {
      this.report({
        seq,
        kind: 'BROKEN_LINK',
        detail: this.last === null ? `record ${seq} is numbered before the first record, 1` : `record ${seq} comes after record ${this.last.seq} (duplicated or out of order)`,
      });
      linkCheckable = false;
    }

    if (isUnreadable(row)) {
      this.report({ seq, kind: 'EDITED', detail: `the stored row cannot be read as a record: ${row.unreadable}` });
    } else {
      if (linkCheckable) {
        const previousHash = this.last === null ? GENESIS_HASH : this.last.hash;
        if (row.prevHash !== previousHash) {
          this.report({
            seq,
            kind: 'BROKEN_LINK',
            detail:
              this.last === null
                ? 'the first record does not start the chain (prevHash is not the genesis hash)'
                : `prevHash is not the hash of record ${this.last.seq} (a record was inserted, replaced or reordered)`,
          });
        }
      }
      if (chainHash(this.key, seq, row.prevHash, row) !== row.hash) {
        this.report({
          seq,
          kind: 'EDITED',
          detail: 'the content does not match its hash (edited, or hashed with another key)',
        });
      }
    }
    if (this.last === null || seq > this.last.seq) this.last = { seq, hash: row.hash };
  }

  result(): ChainVerification {
    const { last } = this;
    return {
      intact: this.problemCount === 0,
      records: this.records,
      head: last === null || last.hash === null ? null : { seq: last.seq, hash: last.hash },
      problems: this.problems,
    };
  }
}

/**
 * Recomputes the chain over rows in `seq` order. Streams: a synchronous iterable is walked without
 * yielding to the event loop, an asynchronous one as it arrives; only the last row is kept.
 */
export async function verifyChain(rows: Iterable<ChainRow> | AsyncIterable<ChainRow>, key: string): Promise<ChainVerification> {
  const verifier = new ChainVerifier(key);
  if (Symbol.asyncIterator in rows) {
    for await (const row of rows) verifier.check(row);
  } else {
    for (const row of rows) verifier.check(row);
  }
  return verifier.result();
}
