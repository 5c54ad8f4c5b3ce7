import { z } from 'zod';
import { parsePartialDate } from '../domain/partial-date.ts';
import { MAX_IDS_PER_REQUEST } from '../domain/personal-id.ts';

/** Pieces every backend contract shares; each adapter's wire.ts builds its answers from these. */

/** Keys per call on every batch endpoint. */
export const MAX_BATCH = MAX_IDS_PER_REQUEST;

export const personalIdSchema = z.string().regex(/^\d{12}$/);
export const provinceCodeSchema = z.string().regex(/^\d{3}$/);

/** A full calendar date, `YYYY-MM-DD`, that exists (no 2015-02-29, no 2024-13-45). */
export const isoDateSchema = z.string().refine((text) => /^\d{4}-\d{2}-\d{2}$/.test(text) && parsePartialDate(text) !== undefined, 'expected a real date YYYY-MM-DD');

/** A date as published, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, served as written (so no surrounding space). */
export const publishedDateSchema = z.string().refine((text) => text === text.trim() && parsePartialDate(text) !== undefined, 'expected YYYY, YYYY-MM or YYYY-MM-DD');

/** A count served as a GraphQL `Int`: a whole number from 0 to 2^31 - 1. */
export const countSchema = z.number().int().min(0).max(2_147_483_647);

/** `GET /v1/health`: every backend answers it when it is up. */
export const healthResponse = z.object({ status: z.literal('ok') });

/**
 * A zod refinement for a record with a status: one whose status no published report gives (one of
 * `unreported`) carries none of `fields` and cites no source.
 */
export const carriesNothingUnreported =
  <F extends string>(unreported: readonly string[], fields: readonly F[]) =>
  (record: { status: string; sourceIds: readonly string[] } & { readonly [K in F]?: unknown }): boolean =>
    !unreported.includes(record.status) || (fields.every((field) => (record[field] ?? null) === null) && record.sourceIds.length === 0);
