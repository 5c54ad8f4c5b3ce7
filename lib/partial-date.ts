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
