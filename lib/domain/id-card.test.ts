import { describe, expect, it } from 'vitest';
import { idCardExpiry, idCardKindOn } from './id-card.ts';

describe('identity cards by the law of their issue date', () => {
  const birth = { year: 2000, month: 5, day: 10 };

  it('names the chip card before 2024-07-01 and the thẻ căn cước from that day', () => {
    expect(idCardKindOn('2021-01-01')).toBe('CHIP_CITIZEN_ID');
    expect(idCardKindOn('2024-06-30')).toBe('CHIP_CITIZEN_ID');
    expect(idCardKindOn('2024-07-01')).toBe('IDENTITY_CARD');
  });

  it('expires on the birthday of the next renewal age, counted from exact dates', () => {
    expect(idCardExpiry(birth, '2021-03-01')).toBe('2025-05-10');
    // The day before the 23rd birthday is more than two years before 25; the birthday itself is within.
    expect(idCardExpiry(birth, '2023-05-09')).toBe('2025-05-10');
    expect(idCardExpiry(birth, '2023-05-10')).toBe('2040-05-10');
    expect(idCardExpiry({ year: 1985, month: 3, day: 12 }, '2025-02-20')).toBe('2045-03-12');
    expect(idCardExpiry({ year: 1970, month: 1, day: 2 }, '2027-12-31')).toBe('2030-01-02');
  });

  it('never expires when issued from 58', () => {
    expect(idCardExpiry({ year: 1966, month: 8, day: 1 }, '2024-08-01')).toBeUndefined();
    expect(idCardExpiry({ year: 1966, month: 8, day: 1 }, '2024-07-31')).toBe('2026-08-01');
    expect(idCardExpiry({ year: 1938 }, '2021-05-10')).toBeUndefined();
  });
});
