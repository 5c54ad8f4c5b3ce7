import type { PartialDate } from '../partial-date.ts';
import type { SeededRandom } from './random.ts';

/**
 * Calendar arithmetic on ISO dates (`YYYY-MM-DD`) for the synthetic population. Dates compare as
 * strings; every sum goes through UTC so no time zone moves a day.
 */
const DAY_MS = 86_400_000;

export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function toMs(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

function fromMs(ms: number): string {
  const d = new Date(ms);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

export function addDays(date: string, days: number): string {
  return fromMs(toMs(date) + days * DAY_MS);
}

export const laterOf = (a: string, b: string): string => (a > b ? a : b);
export const earlierOf = (a: string, b: string): string => (a < b ? a : b);

/** A uniformly chosen day in [from, to] (both included); from must not be after to. */
export function dayBetween(random: SeededRandom, from: string, to: string): string {
  return addDays(from, random.int(0, Math.round((toMs(to) - toMs(from)) / DAY_MS)));
}

/** The first day a partial date can be. */
export function firstDayOf(date: PartialDate): string {
  return isoDate(date.year, date.month ?? 1, date.day ?? 1);
}

/** The first day certainly after a partial date: the next day, month or year. */
export function firstDayAfter(date: PartialDate): string {
  if (date.month === undefined) return isoDate(date.year + 1, 1, 1);
  if (date.day === undefined) return date.month === 12 ? isoDate(date.year + 1, 1, 1) : isoDate(date.year, date.month + 1, 1);
  return addDays(firstDayOf(date), 1);
}

export function toPartialDate(date: string): PartialDate {
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

/**
 * The day the person born on `birth` turns `age`, or for a birth recorded only as a year or month
 * the first day on which they have certainly turned it. (Synthetic births never fall on 29 February.)
 */
export function birthday(birth: PartialDate, age: number): string {
  return birth.month !== undefined && birth.day !== undefined
    ? isoDate(birth.year + age, birth.month, birth.day)
    : firstDayAfter({ ...birth, year: birth.year + age });
}

/** Completed years on `date` (for a partial birth date, the years the person has certainly completed). */
export function ageOn(birth: PartialDate, date: string): number {
  let age = Number(date.slice(0, 4)) - birth.year;
  while (age > 0 && birthday(birth, age) > date) age--;
  return age;
}
