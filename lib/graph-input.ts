import { GraphQLError } from 'graphql';
import { parsePartialDate, type PartialDate } from './partial-date.ts';
import { todayInVietnam } from './administrative-units.ts';

/** Client-input checks shared by subgraphs; each throws BAD_USER_INPUT naming the argument. */
export function badInput(argument: string, problem: string): GraphQLError {
  return new GraphQLError(`Invalid argument ${argument}: ${problem}.`, { extensions: { code: 'BAD_USER_INPUT', argument } });
}

export function assertPartialDate(value: string, argument: string): PartialDate {
  const date = parsePartialDate(value);
  if (!date) throw badInput(argument, 'expected a date as YYYY-MM-DD, YYYY-MM or YYYY');
  return date;
}

export function assertText(value: string, argument: string, maxLength: number): string {
  const text = value.trim();
  if (text.length === 0) throw badInput(argument, 'must not be empty');
  if (text.length > maxLength) throw badInput(argument, `must be at most ${maxLength} characters`);
  return text;
}

/**
 * The date an `at:` argument asks about: a full calendar date `YYYY-MM-DD`, or today in Viet Nam
 * when it is omitted (or null).
 */
export function asOfDate(value: string | null | undefined, argument = 'at'): string {
  if (value === null || value === undefined) return todayInVietnam();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !parsePartialDate(value)) throw badInput(argument, 'expected a date as YYYY-MM-DD');
  return value;
}
