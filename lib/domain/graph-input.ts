import { GraphQLError } from 'graphql';
import { todayInVietnam } from './administrative-units.ts';
import { parsePartialDate, type PartialDate } from './partial-date.ts';

/** Client-input checks shared by subgraphs; each throws BAD_USER_INPUT naming the argument. */
export function badInput(argument: string, problem: string): GraphQLError {
  return new GraphQLError(`Invalid argument ${argument}: ${problem}.`, { extensions: { code: 'BAD_USER_INPUT', argument } });
}

export function assertPartialDate(value: string, argument: string): PartialDate {
  const date = parsePartialDate(value);
  if (!date) throw badInput(argument, 'expected a date as YYYY-MM-DD, YYYY-MM or YYYY');
  return date;
}

/** An "as of" day argument: a real `YYYY-MM-DD`, or today in Viet Nam when it is omitted. */
export function asOfDay(value: string | null | undefined, argument = 'at'): string {
  if (value === null || value === undefined) return todayInVietnam();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? parsePartialDate(value) : undefined;
  if (!date) throw badInput(argument, 'expected a day as YYYY-MM-DD');
  return value;
}

export function assertText(value: string, argument: string, maxLength: number): string {
  const text = value.trim();
  if (text.length === 0) throw badInput(argument, 'must not be empty');
  if (text.length > maxLength) throw badInput(argument, `must be at most ${maxLength} characters`);
  return text;
}
