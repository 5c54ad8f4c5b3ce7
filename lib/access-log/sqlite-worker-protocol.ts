/**
 * The messages between the SQLite store (main thread) and its worker thread, each side validating
 * what it receives. Rows travel raw: the main thread reads them through rows.ts like any other.
 */
import { z } from 'zod';
import { MONTH, REUSE_DIMENSIONS } from './reuse.ts';
import { accessRecordSchema, MAX_QUERY_LIMIT } from './rows.ts';

export const reuseQuerySchema = z.object({ from: z.string().regex(MONTH), to: z.string().regex(MONTH), groupBy: z.array(z.enum(REUSE_DIMENSIONS)) });

export const workerSettingsSchema = z.object({
  path: z.string().min(1),
  chainKey: z.string().min(1),
  /** How long one write attempt waits for another connection's lock before trying again. */
  busyAttemptMs: z.number().int().positive(),
  /** The sector of each top-level field of `Citizen` (lib/access-log/reuse.ts). */
  fieldSectors: z.record(z.string(), z.string()),
});
export type WorkerSettings = z.infer<typeof workerSettingsSchema>;

const id = z.number().int().nonnegative();
const optionalText = z.string().optional();

export const normalisedFilterSchema = z.object({
  agency: optionalText,
  purpose: optionalText,
  personalId: optionalText,
  from: optionalText,
  to: optionalText,
  beforeSeq: z.number().int().optional(),
  limit: z.number().int().min(0).max(MAX_QUERY_LIMIT),
});

export const workerRequestSchema = z.discriminatedUnion('op', [
  /** Retries while another connection holds the lock, until `giveUpAt` (ms since epoch). */
  z.object({ id, op: z.literal('write'), records: z.array(accessRecordSchema).min(1), giveUpAt: z.number() }),
  z.object({ id, op: z.literal('query'), filter: normalisedFilterSchema }),
  z.object({ id, op: z.literal('page'), afterSeq: z.number().int().nullable(), limit: z.number().int().positive() }),
  /** The reuse report (lib/access-log/reuse.ts). */
  z.object({ id, op: z.literal('reuse'), query: reuseQuerySchema }),
  /** Records the reuse counters do not include yet: one row `{ behind }`. */
  z.object({ id, op: z.literal('reuse-lag') }),
  /** Finishes the write under way, closes the connection. */
  z.object({ id, op: z.literal('close') }),
  /** Every caller of write `target` gave up: stop trying for the lock (no reply of its own). */
  z.object({ id, op: z.literal('cancel'), target: id }),
]);
export type WorkerRequest = z.infer<typeof workerRequestSchema>;
/** A request as sent, without its id (the client numbers them). */
export type WorkerCall = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export const workerReplySchema = z.discriminatedUnion('ok', [
  z.object({ id, ok: z.literal(true), rows: z.array(z.unknown()) }),
  /** Only a stable code and SQLite's message cross: no stack. */
  z.object({ id, ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type WorkerReply = z.infer<typeof workerReplySchema>;
