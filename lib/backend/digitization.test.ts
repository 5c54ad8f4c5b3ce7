import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { digitizationAnswer, digitizationRecordWith } from './digitization.ts';
import { countSchema } from './wire.ts';

const record = digitizationRecordWith({ recordsCounted: countSchema.nullable() });
const NOT_REPORTED = {
  provinceCode: '002',
  status: 'CHUA_BAO_CAO',
  recordsCounted: null,
  statement: null,
  asOf: null,
  sourceIds: [],
};
// A seed document whose article was not found: no outlet, title, address or language is invented.
const S2 = { id: 'S2', document: '002_96e2c9ccc16d0af5.txt', outlet: null, title: null, published: '2024-11', url: null, language: null, summary: 'Conference' };

describe('province digitisation wire', () => {
  it("refuses a not-reported province that carries one of the system's figures, a statement, a date or a source", () => {
    expect(record.safeParse(NOT_REPORTED).success).toBe(true);
    for (const broken of [{ recordsCounted: 1 }, { statement: 'x' }, { asOf: '2024-11-11' }, { sourceIds: ['S2'] }]) {
      const result = record.safeParse({ ...NOT_REPORTED, ...broken });
      expect(
        result.error?.issues.map((i) => i.message),
        JSON.stringify(broken),
      ).toEqual(['status CHUA_BAO_CAO carries no figure, statement, asOf or source']);
    }
    expect(record.safeParse({ ...NOT_REPORTED, status: 'DANG_THUC_HIEN', recordsCounted: 1 }).success).toBe(true);
  });

  it('requires what a contract adds to the answer, and every cited source', () => {
    const bare = digitizationAnswer(record);
    const withNotFound = digitizationAnswer(record, { notFound: z.array(z.string()) });
    const answer = { provinces: [NOT_REPORTED], sources: [] };
    expect(bare.safeParse(answer).success).toBe(true);
    expect(withNotFound.safeParse(answer).success).toBe(false);
    expect(withNotFound.safeParse({ ...answer, notFound: [] }).success).toBe(true);
    const cited = { ...NOT_REPORTED, status: 'HOAN_THANH', asOf: '2024-11-11', sourceIds: ['S2'] };
    expect(bare.safeParse({ provinces: [cited], sources: [] }).success).toBe(false);
    expect(bare.safeParse({ provinces: [cited], sources: [S2] }).success).toBe(true);
  });
});
