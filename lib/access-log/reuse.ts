/**
 * Once-only reuse measured from the access log: the monthly counters both stores keep up to date in
 * the transaction that appends the records (sqlite-database.ts, postgres-store.ts), so that a report
 * over any months reads a small table however long the log. The measures are defined in the README
 * ("Reuse statistics").
 *
 * A data item is one leaf field path returned about one citizen (`landParcels.area` of one citizen is
 * one item, however many parcels; `dateOfBirth` is not an item beside `dateOfBirth.text`). Its sector is the system that resolves the citizen's top-level field
 * in the supergraph (`landParcels` → land). It is reused when the agency that took it did not own
 * that system on the day of the access: it came from another sector's system instead of from the
 * citizen. A case is a dossier: one agency's case number under one purpose (procedure). It is
 * counted once, in the month and province of its first access, and counts as reusing from the
 * first access that took a reused item.
 */
import { readFileSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { parse, Kind, type ConstDirectiveNode, type DefinitionNode } from 'graphql';
import { todayInVietnam } from '../domain/administrative-units.ts';
import { agencyByCode } from '../domain/agencies.ts';
import type { SectorItems } from '../runtime/metrics.ts';
import { DEFAULT_SUPERGRAPH_PATH } from '../runtime/settings.ts';
import { systemOwnerOn, SYSTEMS, type SystemId } from '../runtime/systems.ts';
import { seqColumn, stringArray } from './rows.ts';
import type { AccessRecord } from './types.ts';

/** The counters of all sectors together: cases are distinct across sectors, so they are kept apart. */
export const ALL_SECTORS = '*';
/**
 * The citizen's key (`personalId`): the caller sent it to ask, every subgraph has it. It names whose
 * data was returned and is not itself an item taken from a sector.
 */
export const CITIZEN_KEY = '(key)';
/** Fields the supergraph does not place in any sector system (none today). */
export const UNKNOWN_SECTOR = 'unknown';

/** LOCAL: a provincial People's Committee; CENTRAL: a ministry or other central agency; UNKNOWN: a code the registry did not have that day. */
export const AGENCY_LEVELS = ['LOCAL', 'CENTRAL', 'UNKNOWN'] as const;
export type AgencyLevel = (typeof AGENCY_LEVELS)[number];

export const REUSE_DIMENSIONS = ['MONTH', 'AGENCY', 'PURPOSE', 'SECTOR', 'PROVINCE', 'LEVEL'] as const;
export type ReuseDimension = (typeof REUSE_DIMENSIONS)[number];

/** One row of the monthly counters (key and counts). `province` is the registry id of the agency's province, '' for none. */
export interface ReuseCounters {
  month: string;
  agency: string;
  purpose: string;
  province: string;
  level: AgencyLevel;
  sector: string;
  items: number;
  reusedItems: number;
  cases: number;
  casesWithReuse: number;
}

/** What is remembered of a case to count it once: where it was first counted, which sectors it used and reused. */
export interface ReuseCase {
  month: string;
  province: string;
  level: AgencyLevel;
  sectors: string[];
  reusedSectors: string[];
}

/** A case as the counters keep it: whose it is, and what was counted of it. */
export type CountedCase = { agency: string; purpose: string; caseNumber: string } & ReuseCase;

export interface ReuseChanges {
  /** Counters to add to the monthly table, one per key. */
  counters: ReuseCounters[];
  /** Cases to insert or replace, by `caseKey`. */
  cases: Map<string, CountedCase>;
}

export interface ReuseQuery {
  /** First month, `YYYY-MM`, inclusive. */
  from: string;
  /** Last month, `YYYY-MM`, inclusive. */
  to: string;
  groupBy: readonly ReuseDimension[];
}

/** A group of the report: the dimensions asked for are set, the others null. */
export interface ReuseGroup {
  month: string | null;
  agency: string | null;
  purpose: string | null;
  sector: string | null;
  province: string | null;
  level: AgencyLevel | null;
  items: number;
  reusedItems: number;
  cases: number;
  casesWithReuse: number;
}

/** What the counters read of an access record. */
export type ReuseSource = Pick<AccessRecord, 'at' | 'agency' | 'purpose' | 'caseNumber' | 'fields'>;

/** Which system each top-level field of `Citizen` comes from. */
export type FieldSectors = Readonly<Record<string, string>>;

const caseKeyOf = (agency: string, purpose: string, caseNumber: string) => JSON.stringify([agency, purpose, caseNumber]);
const countersKey = (c: Pick<ReuseCounters, 'month' | 'agency' | 'purpose' | 'province' | 'level' | 'sector'>) =>
  JSON.stringify([c.month, c.agency, c.purpose, c.province, c.level, c.sector]);

/**
 * The sector of each top-level field of `Citizen`, read from a supergraph: the subgraph named by its
 * `@join__field(graph:)`, or the type's only `@join__type` graph when the field names none.
 */
export function citizenFieldSectors(supergraphSdl: string): Record<string, string> {
  const definitions = parse(supergraphSdl, { noLocation: true }).definitions;
  const graphNames = new Map<string, string>();
  for (const definition of definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const name = stringArgument(value.directives, 'join__graph', 'name');
      if (name) graphNames.set(value.name.value, name);
    }
  }
  const sectors: Record<string, string> = {};
  const citizen = definitions.find((d: DefinitionNode) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Citizen');
  if (citizen?.kind !== Kind.OBJECT_TYPE_DEFINITION) return sectors;
  const typeJoins = (citizen.directives ?? []).filter((d) => d.name.value === 'join__type');
  const typeGraphs = typeJoins.map((d) => enumArgument(d, 'graph'));
  const keys = new Set(typeJoins.flatMap((d) => (stringArgument([d], 'join__type', 'key') ?? '').split(/\s+/).filter(Boolean)));
  for (const field of citizen.fields ?? []) {
    const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field' && !booleanArgument(d, 'external'));
    const graphs = joins.length > 0 ? joins.map((d) => enumArgument(d, 'graph')) : typeGraphs;
    const owners = [...new Set(graphs.filter((g): g is string => g !== undefined).map((g) => graphNames.get(g) ?? g))];
    if (keys.has(field.name.value)) sectors[field.name.value] = CITIZEN_KEY;
    else if (owners.length === 1) sectors[field.name.value] = owners[0]!;
  }
  return sectors;
}

let repositorySectors: Record<string, string> | undefined;
/** The sectors of this repository's own supergraph, for a store opened without the gateway's. */
export function defaultFieldSectors(): FieldSectors {
  repositorySectors ??= citizenFieldSectors(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8'));
  return repositorySectors;
}

function stringArgument(directives: readonly ConstDirectiveNode[] | undefined, directive: string, argument: string): string | undefined {
  const value = directives?.find((d) => d.name.value === directive)?.arguments?.find((a) => a.name.value === argument)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}
function enumArgument(directive: ConstDirectiveNode, argument: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === argument)?.value;
  return value?.kind === Kind.ENUM ? value.value : undefined;
}
function booleanArgument(directive: ConstDirectiveNode, argument: string): boolean {
  const value = directive.arguments?.find((a) => a.name.value === argument)?.value;
  return value?.kind === Kind.BOOLEAN && value.value;
}

/** The paths no other path of the list extends: `dateOfBirth.text`, not `dateOfBirth` beside it. */
export function leafPaths(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((path, index) => !sorted[index + 1]?.startsWith(`${path}.`));
}

/** The items of one record as the counters see them: its month, its agency and the agency's place, its items by sector. */
export interface RecordItems {
  readonly month: string;
  readonly agency: string;
  readonly province: string;
  readonly level: AgencyLevel;
  /** Per sector: items returned and items reused. */
  readonly bySector: ReadonlyMap<string, { readonly items: number; readonly reused: number }>;
}

/**
 * Kinds of record (agency, day and fields returned) whose items are remembered, the least recently
 * met forgotten first: a batch of one answer's records, or of one portal's, repeats a few kinds, and a
 * kind's items are the same however many records have it.
 */
const REMEMBERED_KINDS = 4096;

/**
 * Classifies records: sectors from the supergraph's fields, owners and places from the registries on
 * the day of the access (in Viet Nam). Keeps what it looked up per agency code and day, and the items
 * of each kind of record it met.
 */
export class ReuseClassifier {
  private readonly agencies = new Map<string, { id: string | null; province: string; level: AgencyLevel }>();
  private readonly owners = new Map<string, string | null>();
  private readonly kinds = new LRUCache<string, RecordItems>({ max: REMEMBERED_KINDS });

  constructor(private readonly fieldSectors: FieldSectors) {}

  /** The record's items; records of one agency, day and fields share one answer, which must not be changed. */
  itemsOf(record: ReuseSource): RecordItems {
    const day = todayInVietnam(new Date(record.at));
    const kind = JSON.stringify([record.agency, day, record.fields]);
    let items = this.kinds.get(kind);
    if (!items) this.kinds.set(kind, (items = this.classifyKind(record.agency, day, record.fields)));
    return items;
  }

  private classifyKind(code: string, day: string, fields: readonly string[]): RecordItems {
    const agency = this.agencyOn(code, day);
    const bySector = new Map<string, { items: number; reused: number }>();
    for (const field of leafPaths(fields)) {
      const top = field.split('.', 1)[0]!;
      const sector = this.fieldSectors[top] ?? UNKNOWN_SECTOR;
      if (sector === CITIZEN_KEY) continue;
      const reused = agency.id === null || this.ownerOn(sector, day) !== agency.id;
      const counts = bySector.get(sector) ?? { items: 0, reused: 0 };
      counts.items += 1;
      if (reused) counts.reused += 1;
      bySector.set(sector, counts);
    }
    return { month: day.slice(0, 7), agency: code, province: agency.province, level: agency.level, bySector };
  }

  private agencyOn(code: string, day: string) {
    const key = `${code}|${day}`;
    let found = this.agencies.get(key);
    if (!found) {
      const entry = agencyByCode(code, day);
      found = entry ? { id: entry.id, province: entry.provinceId ?? '', level: entry.kind === 'UBND_TINH' ? 'LOCAL' : 'CENTRAL' } : { id: null, province: '', level: 'UNKNOWN' };
      this.agencies.set(key, found);
    }
    return found;
  }

  /** The registry id of the agency that owned the sector's system on `day`; null when none is reported or the sector is no system. */
  private ownerOn(sector: string, day: string): string | null {
    const key = `${sector}|${day}`;
    if (!this.owners.has(key)) this.owners.set(key, sector in SYSTEMS ? (systemOwnerOn(sector as SystemId, day)?.id ?? null) : null);
    return this.owners.get(key)!;
  }
}

/** The items of `records` summed by sector and agency level, one entry per pair: what `lien_thong_data_items_total` counts. */
export function sectorItems(records: readonly ReuseSource[], classifier: ReuseClassifier): SectorItems[] {
  const sums = new Map<string, SectorItems>();
  for (const record of records) {
    const { level, bySector } = classifier.itemsOf(record);
    for (const [sector, { items, reused }] of bySector) {
      const key = `${level}\n${sector}`;
      const sum = sums.get(key);
      if (sum) {
        sum.items += items;
        sum.reused += reused;
      } else sums.set(key, { sector, level, items, reused });
    }
  }
  return [...sums.values()];
}

/**
 * What appending `records` adds to the counters, given the cases already counted (`knownCase`, by
 * `caseKey`). Records are taken in order, so a case seen twice in one batch is counted once.
 */
export function reuseChanges(
  records: readonly ReuseSource[],
  classifier: ReuseClassifier,
  knownCase: (agency: string, purpose: string, caseNumber: string) => ReuseCase | undefined,
): ReuseChanges {
  const counters = new Map<string, ReuseCounters>();
  const cases: ReuseChanges['cases'] = new Map();
  /** Every case of the batch as counted so far, changed or not: each is looked up once per batch, and copied once. */
  const current = new Map<string, CountedCase>();
  /** How many records of each kind (shared items) under each purpose: their items are added once per kind and purpose. */
  const recordsByKind = new Map<RecordItems, Map<string, number>>();
  const add = (
    key: Omit<ReuseCounters, 'items' | 'reusedItems' | 'cases' | 'casesWithReuse'>,
    counts: Partial<Pick<ReuseCounters, 'items' | 'reusedItems' | 'cases' | 'casesWithReuse'>>,
  ) => {
    const id = countersKey(key);
    let row = counters.get(id);
    if (!row) counters.set(id, (row = { ...key, items: 0, reusedItems: 0, cases: 0, casesWithReuse: 0 }));
    row.items += counts.items ?? 0;
    row.reusedItems += counts.reusedItems ?? 0;
    row.cases += counts.cases ?? 0;
    row.casesWithReuse += counts.casesWithReuse ?? 0;
  };
  for (const record of records) {
    const items = classifier.itemsOf(record);
    if (items.bySector.size === 0) continue;
    let byPurpose = recordsByKind.get(items);
    if (!byPurpose) recordsByKind.set(items, (byPurpose = new Map()));
    byPurpose.set(record.purpose, (byPurpose.get(record.purpose) ?? 0) + 1);

    const key = caseKeyOf(record.agency, record.purpose, record.caseNumber);
    let counted = current.get(key);
    if (!counted) {
      const known = knownCase(record.agency, record.purpose, record.caseNumber);
      counted = known
        ? { ...identityOf(record), month: known.month, province: known.province, level: known.level, sectors: [...known.sectors], reusedSectors: [...known.reusedSectors] }
        : { ...identityOf(record), month: items.month, province: items.province, level: items.level, sectors: [], reusedSectors: [] };
      current.set(key, counted);
      if (!known) {
        add({ ...caseWhere(counted), sector: ALL_SECTORS }, { cases: 1 });
        cases.set(key, counted);
      }
    }
    const reusedBefore = counted.reusedSectors.length > 0;
    for (const [sector, counts] of items.bySector) {
      if (!counted.sectors.includes(sector)) {
        counted.sectors.push(sector);
        add({ ...caseWhere(counted), sector }, { cases: 1 });
        cases.set(key, counted);
      }
      if (counts.reused > 0 && !counted.reusedSectors.includes(sector)) {
        counted.reusedSectors.push(sector);
        add({ ...caseWhere(counted), sector }, { casesWithReuse: 1 });
        cases.set(key, counted);
      }
    }
    if (!reusedBefore && counted.reusedSectors.length > 0) add({ ...caseWhere(counted), sector: ALL_SECTORS }, { casesWithReuse: 1 });
  }
  for (const [items, byPurpose] of recordsByKind) {
    for (const [purpose, times] of byPurpose) {
      const at = { month: items.month, agency: items.agency, purpose, province: items.province, level: items.level };
      let all = 0;
      let reused = 0;
      for (const [sector, counts] of items.bySector) {
        add({ ...at, sector }, { items: counts.items * times, reusedItems: counts.reused * times });
        all += counts.items;
        reused += counts.reused;
      }
      add({ ...at, sector: ALL_SECTORS }, { items: all * times, reusedItems: reused * times });
    }
  }
  return { counters: [...counters.values()], cases };
}

const identityOf = (record: ReuseSource) => ({ agency: record.agency, purpose: record.purpose, caseNumber: record.caseNumber });
/** Where a case's own counters go: the month and place it was first counted in. */
const caseWhere = ({ month, agency, purpose, province, level }: CountedCase) => ({ month, agency, purpose, province, level });

export { caseKeyOf as reuseCaseKey };

const sourceRow = z.object({ at: z.string(), agency: z.string(), purpose: z.string(), case_number: z.string(), fields: stringArray });
/** The columns the counters read of a stored access record (either store). */
export function reuseSourceFrom(row: unknown): ReuseSource {
  const { case_number: caseNumber, ...source } = sourceRow.parse(row);
  return { ...source, caseNumber };
}

const caseRow = z.object({ month: z.string(), province: z.string(), level: z.enum(AGENCY_LEVELS).catch('UNKNOWN'), sectors: stringArray, reused_sectors: stringArray });
/** A stored case row (either store) as the counters remember it. */
export function reuseCaseFrom(row: unknown): ReuseCase {
  const { reused_sectors: reusedSectors, ...rest } = caseRow.parse(row);
  return { ...rest, reusedSectors };
}

/** `YYYY-MM` of a real month. */
export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The report's SELECT list and GROUP BY for the dimensions asked, and whether it reads the per-sector rows. */
export function reuseGrouping(groupBy: readonly ReuseDimension[]): { columns: string[]; perSector: boolean } {
  const column: Record<ReuseDimension, string> = { MONTH: 'month', AGENCY: 'agency', PURPOSE: 'purpose', SECTOR: 'sector', PROVINCE: 'province', LEVEL: 'level' };
  const unique = REUSE_DIMENSIONS.filter((d) => groupBy.includes(d));
  return { columns: unique.map((d) => column[d]), perSector: unique.includes('SECTOR') };
}

/** A report row as the stores read it (SQLite and pg give numbers or numeric strings) to a group. */
export function reuseGroupFrom(row: Record<string, unknown>): ReuseGroup {
  const text = (key: string) => (typeof row[key] === 'string' ? (row[key] as string) : null);
  // SUM over no rows is NULL: a count of nothing.
  const count = (key: string) => seqColumn.parse(row[key] ?? 0);
  const level = text('level');
  return {
    month: text('month'),
    agency: text('agency'),
    purpose: text('purpose'),
    sector: text('sector'),
    province: text('province'),
    level: level === null ? null : AGENCY_LEVELS.includes(level as AgencyLevel) ? (level as AgencyLevel) : 'UNKNOWN',
    items: count('items'),
    reusedItems: count('reused_items'),
    cases: count('cases'),
    casesWithReuse: count('cases_with_reuse'),
  };
}

/** The SQL of a report, for either store: `placeholder(n)` writes the n-th parameter (1-based). */
export function reuseReportSql(query: ReuseQuery, placeholder: (n: number) => string): { sql: string; params: string[] } {
  const { columns, perSector } = reuseGrouping(query.groupBy);
  const select = [...columns, 'SUM(items) AS items', 'SUM(reused_items) AS reused_items', 'SUM(cases) AS cases', 'SUM(cases_with_reuse) AS cases_with_reuse'];
  const sql =
    `SELECT ${select.join(', ')} FROM reuse_monthly WHERE month >= ${placeholder(1)} AND month <= ${placeholder(2)} AND sector ${perSector ? '<>' : '='} ${placeholder(3)}` +
    (columns.length > 0 ? ` GROUP BY ${columns.join(', ')} ORDER BY ${columns.join(', ')}` : '');
  return { sql, params: [query.from, query.to, ALL_SECTORS] };
}
