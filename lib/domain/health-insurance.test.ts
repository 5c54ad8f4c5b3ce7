import { describe, expect, it } from 'vitest';
import { cardStatusOn, childCardValidTo } from './health-insurance.ts';

describe("a child's health-insurance card (Luật Bảo hiểm y tế Điều 16 khoản 3 điểm d)", () => {
  it('runs to 30 September of the year a child born by 30 September turns 6: the school year has not begun', () => {
    expect(childCardValidTo({ year: 2020, month: 3, day: 10 })).toBe('2026-09-30');
    expect(childCardValidTo({ year: 2020, month: 9, day: 30 })).toBe('2026-09-30');
    expect(childCardValidTo({ year: 2020, month: 1, day: 1 })).toBe('2026-09-30');
  });

  it('runs to the day of 72 months for a child born after 30 September', () => {
    expect(childCardValidTo({ year: 2020, month: 10, day: 1 })).toBe('2026-10-01');
    expect(childCardValidTo({ year: 2019, month: 12, day: 31 })).toBe('2025-12-31');
  });
});

describe('whether a card can be used on a day', () => {
  const card = { validFrom: '2026-01-01', validTo: '2026-12-31' };
  it('counts both its first and its last day', () => {
    expect(cardStatusOn(card, '2025-12-31')).toBe('NOT_YET_VALID');
    expect(cardStatusOn(card, '2026-01-01')).toBe('VALID');
    expect(cardStatusOn(card, '2026-12-31')).toBe('VALID');
    expect(cardStatusOn(card, '2027-01-01')).toBe('EXPIRED');
  });
});
