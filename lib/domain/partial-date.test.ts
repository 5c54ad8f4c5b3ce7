import { describe, expect, it } from 'vitest';
import { formatPartialDate, parsePartialDate, partialDateForGraph } from './partial-date.ts';

describe('partial dates', () => {
  it('keeps only the recorded parts', () => {
    expect(partialDateForGraph({ year: 1938 })).toEqual({ year: 1938, month: null, day: null, precision: 'YEAR', text: '1938' });
    expect(partialDateForGraph({ year: 1958, month: 4 })).toMatchObject({ precision: 'MONTH', text: '1958-04', day: null });
    expect(formatPartialDate({ year: 1985, month: 3, day: 12 })).toBe('1985-03-12');
  });

  it('parses reduced-precision ISO dates and rejects impossible ones', () => {
    expect(parsePartialDate('1938')).toEqual({ year: 1938 });
    expect(parsePartialDate('1938-05')).toEqual({ year: 1938, month: 5 });
    expect(parsePartialDate('2016-02-29')).toEqual({ year: 2016, month: 2, day: 29 });
    for (const bad of ['2015-02-29', '1938-13', '38', '1938-5-1', '1938-05-00', 'yesterday']) {
      expect(parsePartialDate(bad), bad).toBeUndefined();
    }
  });
});
