import { z } from 'zod';
import { parsePartialDate, partialDateForGraph } from '../domain/partial-date.ts';
import { publishedDateSchema } from './wire.ts';

/**
 * The published reports that sourced figures are taken from. A backend that serves such figures
 * lists, in each answer's `sources`, every report its records cite by `sourceIds`.
 *
 * A publication: its outlet, title, date (at the precision known), address and language where they
 * are known, and `null` where they are not. A seed document whose article was not found keeps
 * `outlet` and `title` null and says so in `summary`; nothing about it is invented.
 */
export const sourceRecordSchema = z.object({
  id: z.string().min(1),
  document: z.string().min(1).nullable(),
  outlet: z.string().min(1).nullable(),
  title: z.string().min(1).nullable(),
  published: publishedDateSchema.nullable(),
  url: z.url({ protocol: /^https?$/ }).nullable(),
  language: z
    .string()
    .regex(/^[a-z]{2}$/, 'an ISO 639-1 code')
    .nullable(),
  summary: z.string().min(1),
});
export type SourceRecord = z.infer<typeof sourceRecordSchema>;

/** The sources one answer carries, by id. */
export type SourceIndex = ReadonlyMap<string, SourceRecord>;

export function indexSources(records: readonly SourceRecord[]): SourceIndex {
  return new Map(records.map((s) => [s.id, s]));
}

/** The sources `ids` name, in order; the answer must have passed `everyCitedSourceListed`. */
export function citedSources(ids: readonly string[], index: SourceIndex): SourceRecord[] {
  return ids.map((id) => {
    const source = index.get(id);
    if (!source) throw new Error(`cited source ${id} is not in the answer`);
    return source;
  });
}

/** A zod refinement for an answer: every source id `citationsOf` finds in it is listed in its `sources`. */
export const everyCitedSourceListed =
  <T extends { sources: readonly SourceRecord[] }>(citationsOf: (answer: T) => string[]) =>
  (answer: T, ctx: z.RefinementCtx) => {
    const listed = new Set(answer.sources.map((s) => s.id));
    for (const id of new Set(citationsOf(answer))) {
      if (!listed.has(id)) ctx.addIssue({ code: 'custom', path: ['sources'], message: `cited source ${id} is not in the answer` });
    }
  };

/** The `Source` fields every subgraph that serves sources resolves alike: its date as a `PartialDate`. */
export const sourceResolvers = {
  publishedDate: (source: SourceRecord) => {
    const date = source.published === null ? undefined : parsePartialDate(source.published);
    return date === undefined ? null : partialDateForGraph(date);
  },
};
