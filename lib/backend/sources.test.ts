import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { citedSources, everyCitedSourceListed, indexSources, sourceRecordSchema } from './sources.ts';

const answerSchema = z
  .object({ records: z.array(z.object({ sourceIds: z.array(z.string()) })), sources: z.array(sourceRecordSchema) })
  .superRefine(everyCitedSourceListed((a) => a.records.flatMap((r) => r.sourceIds)));
// A seed document whose article was not found: no outlet, title, address or language is invented.
const S2 = { id: 'S2', document: '002_96e2c9ccc16d0af5.txt', outlet: null, title: null, published: '2024-11', url: null, language: null, summary: 'Conference' };

describe('sourced figures', () => {
  it('accepts an answer that lists every source it cites, and resolves them in order', () => {
    const answer = answerSchema.parse({ records: [{ sourceIds: ['S2'] }], sources: [S2] });
    expect(citedSources(['S2'], indexSources(answer.sources))).toEqual([S2]);
  });

  it('refuses an answer citing a source it does not list', () => {
    const result = answerSchema.safeParse({ records: [{ sourceIds: ['S2', 'S9'] }], sources: [S2] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['cited source S9 is not in the answer']);
  });

  it('refuses a publication date that is not a real reduced-precision date', () => {
    for (const published of ['2024-13', '2024-02-30', ' 2024', 'November 2024']) {
      expect(sourceRecordSchema.safeParse({ ...S2, published }).success, published).toBe(false);
    }
  });
});
