import { z } from 'zod';

/**
 * A date as civil records hold it: often only a year, or a year and month. Never completed with
 * an invented day or month.
 */
export interface PartialDate {
  year: number;
  month?: number | undefined;
  day?: number | undefined;
}

export const partialDateSchema = z
  .object({
    year: z.number().int().min(1800).max(2200),
    month: z.number().int().min(1).max(12).optional(),
    day: z.number().int().min(1).max(31).optional(),
  })
  .refine((d) => d.day === undefined || d.month !== undefined, 'a day needs a month')
  .refine((d) => d.day === undefined || d.month === undefined || isCalendarDate(d.year, d.month, d.day), 'no such day in that month');

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** ISO 8601 reduced precision: "1938", "1938-05" or "1938-05-17". */
export function formatPartialDate(date: PartialDate): string {
  const parts = [String(date.year).padStart(4, '0')];
  if (date.month !== undefined) parts.push(String(date.month).padStart(2, '0'));
  if (date.month !== undefined && date.day !== undefined) parts.push(String(date.day).padStart(2, '0'));
  return parts.join('-');
}

export function partialDatePrecision(date: PartialDate): 'YEAR' | 'MONTH' | 'DAY' {
  if (date.month === undefined) return 'YEAR';
  return date.day === undefined ? 'MONTH' : 'DAY';
}

/** Parses the reduced-precision ISO form; returns undefined for anything else. */
export function parsePartialDate(text: string): PartialDate | undefined {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text.trim());
  if (!match) return undefined;
  const date: PartialDate = { year: Number(match[1]) };
  if (match[2] !== undefined) date.month = Number(match[2]);
  if (match[3] !== undefined) date.day = Number(match[3]);
  return partialDateSchema.safeParse(date).success ? date : undefined;
}

/** The GraphQL shape of `PartialDate` shared by every subgraph that serves civil dates. */
export function partialDateForGraph(date: PartialDate) {
  return {
    year: date.year,
    month: date.month ?? null,
    day: date.day ?? null,
    precision: partialDatePrecision(date),
    text: formatPartialDate(date),
  };
}

/*
 * Calendar arithmetic on ISO days (`YYYY-MM-DD`, compared as text) and on partial dates. Every sum
 * goes through UTC, so no time zone moves a day.
 */
const DAY_MS = 86_400_000;

function dayOfMs(ms: number): string {
  const d = new Date(ms);
  return formatPartialDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

/** The ISO day `days` after `day` (before it when negative). */
export function addDays(day: string, days: number): string {
  return dayOfMs(Date.parse(day) + days * DAY_MS);
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
}

/** The first day a partial date can be. */
export function firstDayOf(date: PartialDate): string {
  return formatPartialDate({ year: date.year, month: date.month ?? 1, day: date.day ?? 1 });
}

/** The first day certainly after a partial date: the next day, month or year. */
export function firstDayAfter(date: PartialDate): string {
  if (date.month === undefined) return firstDayOf({ year: date.year + 1 });
  if (date.day === undefined) return date.month === 12 ? firstDayOf({ year: date.year + 1 }) : firstDayOf({ year: date.year, month: date.month + 1 });
  return addDays(firstDayOf(date), 1);
}

/**
 * The last day a date published to year, month or day precision covers ("2024-09" → 2024-09-30,
 * "2024" → 2024-12-31): a figure published for a month speaks of what existed at its end.
 */
export function lastDayOf(published: string): string {
  const date = parsePartialDate(published);
  if (!date) throw new RangeError(`not a date of day, month or year precision: ${published}`);
  return addDays(firstDayAfter(date), -1);
}

/**
 * The day a person born on `birth` turns `age`, or for a birth recorded only as a year or month the
 * first day on which they have certainly turned it. (29 February births are not handled.)
 */
export function birthday(birth: PartialDate, age: number): string {
  return birth.month !== undefined && birth.day !== undefined
    ? formatPartialDate({ year: birth.year + age, month: birth.month, day: birth.day })
    : firstDayAfter({ ...birth, year: birth.year + age });
}

/** Completed years on `day` (for a partial birth date, the years the person has certainly completed). */
export function ageOn(birth: PartialDate, day: string): number {
  let age = Number(day.slice(0, 4)) - birth.year;
  while (age > 0 && birthday(birth, age) > day) age--;
  return age;
}
