/**
 * What crosses the store boundary: records handed to `append` and rows read back from SQLite or
 * PostgreSQL (which anyone with access to the database may have changed) are validated here.
 */
import { z } from 'zod';
import type { ChainRow } from './chain.ts';
import { ACCESS_OUTCOMES, type AccessLogFilter, type AccessRecord, type StoredAccessRecord } from './types.ts';

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;

/** `at` as the gateway writes it (`Date#toISOString()`): one format, so that text order is time order. */
const timestamp = z.iso.datetime({ precision: 3 });

export const accessRecordSchema = z.object({
  at: timestamp,
  requestId: z.string(),
  agency: z.string(),
  officer: z.string(),
  purpose: z.string(),
  caseNumber: z.string(),
  personalId: z.string(),
  fields: z.array(z.string()),
  deniedFields: z.array(z.string()),
  outcome: z.enum(ACCESS_OUTCOMES),
});

/** The record with exactly the contract's properties (no extra ones carried into the store). */
export function validAccessRecord(record: AccessRecord): AccessRecord {
  const parsed = accessRecordSchema.safeParse(record);
  if (!parsed.success) throw new Error(`Invalid access record: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** SQLite keeps the arrays as JSON text, PostgreSQL as jsonb (already parsed by `pg`). */
export const stringArray = z
  .union([
    z.string().transform((text, context): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        context.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    }),
    z.array(z.unknown()),
  ])
  .pipe(z.array(z.string()));

/** `pg` returns bigint as a string. */
export const seqColumn = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number), z.bigint().transform(Number)])
  .pipe(z.number().int().nonnegative().refine(Number.isSafeInteger, 'beyond the safe integer range'));

const hashColumn = z.string();

const rowSchema = z.object({
  seq: seqColumn,
  at: z.string(),
  request_id: z.string(),
  agency: z.string(),
  officer: z.string(),
  purpose: z.string(),
  case_number: z.string(),
  personal_id: z.string(),
  fields: stringArray,
  denied_fields: stringArray,
  outcome: z.enum(ACCESS_OUTCOMES),
  prev_hash: hashColumn,
  hash: hashColumn,
});

/** The columns, in table order, as selected by both stores. */
export const COLUMNS = 'seq, at, request_id, agency, officer, purpose, case_number, personal_id, fields, denied_fields, outcome, prev_hash, hash';

/** A record's values in `COLUMNS` order, its lists as JSON text, as both stores insert them. */
export function columnValues(row: StoredAccessRecord): (string | number)[] {
  return [
    row.seq,
    row.at,
    row.requestId,
    row.agency,
    row.officer,
    row.purpose,
    row.caseNumber,
    row.personalId,
    JSON.stringify(row.fields),
    JSON.stringify(row.deniedFields),
    row.outcome,
    row.prevHash,
    row.hash,
  ];
}

function readSeq(raw: unknown): number {
  const seq = seqColumn.safeParse(typeof raw === 'object' && raw !== null && 'seq' in raw ? raw.seq : undefined);
  if (!seq.success) throw new Error(`access_log row with an unreadable seq: ${z.prettifyError(seq.error)}`);
  return seq.data;
}

/** A row as the chain verifier takes it: a record, or what could be read of a damaged row. */
export function chainRowFrom(raw: unknown): ChainRow {
  const parsed = rowSchema.safeParse(raw);
  if (parsed.success) {
    const row = parsed.data;
    return {
      seq: row.seq,
      at: row.at,
      requestId: row.request_id,
      agency: row.agency,
      officer: row.officer,
      purpose: row.purpose,
      caseNumber: row.case_number,
      personalId: row.personal_id,
      fields: row.fields,
      deniedFields: row.denied_fields,
      outcome: row.outcome,
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }
  const hash = hashColumn.safeParse(typeof raw === 'object' && raw !== null && 'hash' in raw ? raw.hash : undefined);
  return {
    seq: readSeq(raw),
    unreadable: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'row'}: ${issue.message}`).join('; '),
    hash: hash.success ? hash.data : null,
  };
}

/** For `query`: a damaged row is an error, not a record. */
export function storedRecordFrom(raw: unknown): StoredAccessRecord {
  const row = chainRowFrom(raw);
  if ('unreadable' in row) throw new Error(`access_log row seq ${row.seq} cannot be read: ${row.unreadable}`);
  return row;
}

/**
 * `from`/`to` as compared with the stored `at` text: a date (`2025-03-01`) as given, a date-time
 * converted to the stored UTC format so that text order is time order.
 */
function boundary(name: 'from' | 'to', value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new Error(`Invalid "${name}": expected an ISO 8601 date or date-time, got "${value}"`);
  }
  return new Date(time).toISOString();
}

export interface NormalisedFilter {
  agency?: string;
  purpose?: string;
  personalId?: string;
  from?: string;
  to?: string;
  beforeSeq?: number;
  limit: number;
}

export function normaliseFilter(filter: AccessLogFilter): NormalisedFilter {
  const limit = filter.limit ?? DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`Invalid "limit": ${limit}`);
  if (filter.beforeSeq !== undefined && !Number.isSafeInteger(filter.beforeSeq)) {
    throw new Error(`Invalid "beforeSeq": ${filter.beforeSeq}`);
  }
  return {
    agency: filter.agency,
    purpose: filter.purpose,
    personalId: filter.personalId,
    from: filter.from === undefined ? undefined : boundary('from', filter.from),
    to: filter.to === undefined ? undefined : boundary('to', filter.to),
    beforeSeq: filter.beforeSeq,
    limit: Math.min(limit, MAX_QUERY_LIMIT),
  };
}

/**
 * The WHERE clause of `query`, with `placeholder(n)` for the n-th parameter (`?` or `$n`): values
 * only ever travel as parameters.
 */
export function whereClause(filter: NormalisedFilter, placeholder: (n: number) => string): { sql: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  const add = (condition: (p: string) => string, value: string | number) => {
    params.push(value);
    conditions.push(condition(placeholder(params.length)));
  };
  if (filter.agency !== undefined) add((p) => `agency = ${p}`, filter.agency);
  if (filter.purpose !== undefined) add((p) => `purpose = ${p}`, filter.purpose);
  if (filter.personalId !== undefined) add((p) => `personal_id = ${p}`, filter.personalId);
  if (filter.from !== undefined) add((p) => `at >= ${p}`, filter.from);
  if (filter.to !== undefined) add((p) => `at < ${p}`, filter.to);
  if (filter.beforeSeq !== undefined) add((p) => `seq < ${p}`, filter.beforeSeq);
  return { sql: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}
