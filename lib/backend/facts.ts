import { readFileSync } from 'node:fs';
import { provincialUnitByAsciiName } from '../domain/administrative-units.ts';
import { lastDayOf } from '../domain/partial-date.ts';
import type { SourceRecord } from './sources.ts';

/**
 * The published Project 06 figures (data/programme-06-facts.json, the project's own copy).
 * The mock backends serve them exactly; nothing here derives or rounds a figure.
 */

/** The word a report puts before a number (hơn/trên, khoảng, gần, ít nhất); a number without one is printed bare. */
export type FactQualifier = 'MORE_THAN' | 'ABOUT' | 'NEARLY' | 'AT_LEAST';

/** How a fact's `asOf` is known: the report dates the figure, gives only its own date, or was not found. */
export type AsOfBasis = 'STATED' | 'PUBLICATION' | 'RECORDED';

export interface Fact {
  id: string;
  /** The date the figure describes at the precision given: YYYY, YYYY-MM or YYYY-MM-DD. */
  asOf: string;
  asOfBasis: AsOfBasis;
  /** The sentence as published; null where the article was not found (`statement` is then a paraphrase). */
  quotation: string | null;
  /** The value as the publication writes it (e.g. "more than 46 million"), where recorded. */
  valueAsPublished?: string;
  /** The qualifier of each qualified number, by field name (`value`, `rate` or a named figure). */
  qualifiers?: Record<string, FactQualifier>;
  /** One source id, or several joined by commas ("S0,S2"). */
  source: string;
  statement: string;
  value?: number | boolean;
  unit?: string;
  of?: number;
  rate?: number;
  note?: string;
  /** Named localities (ASCII spelling), or a count of localities. */
  localities?: string[] | number;
  [figure: string]: unknown;
}

interface FactsFile {
  about: string;
  sources: Record<string, Omit<SourceRecord, 'id'>>;
  facts: Fact[];
  interconnectedServiceGroups: { source: string; quotation: string | null; note: string; groups: string[][] };
}

const file = new URL('../../data/programme-06-facts.json', import.meta.url);
const facts = JSON.parse(readFileSync(file, 'utf8')) as FactsFile;

export const FACTS: readonly Fact[] = facts.facts;
export const FACT_SOURCES: readonly SourceRecord[] = Object.entries(facts.sources).map(([id, s]) => ({ id, ...s }));
export const INTERCONNECTED_SERVICE_GROUPS = facts.interconnectedServiceGroups;

export function factById(id: string): Fact {
  const fact = FACTS.find((f) => f.id === id);
  if (!fact) throw new Error(`no published fact ${id} in data/programme-06-facts.json`);
  return fact;
}

export function sourceIdsOf(fact: Fact): string[] {
  return fact.source.split(',').map((s) => s.trim());
}

export function sourcesOf(fact: Fact): SourceRecord[] {
  return sourceIdsOf(fact).map((id) => {
    const source = FACT_SOURCES.find((s) => s.id === id);
    if (!source) throw new Error(`fact ${fact.id} names unknown source ${id}`);
    return source;
  });
}

/**
 * Registry ids of the provincial units a fact names, as they were on the fact's date (for the 2024
 * figures, the codes of the 63-unit table); throws if a name is not a unit of that date.
 */
export function localityCodesOf(fact: Fact): string[] {
  if (!Array.isArray(fact.localities)) return [];
  const date = lastDayOf(fact.asOf);
  return fact.localities.map((name) => {
    const unit = provincialUnitByAsciiName(name, date);
    if (!unit) throw new Error(`fact ${fact.id} names ${name}, which is not a provincial unit on ${date}`);
    return unit.id;
  });
}
