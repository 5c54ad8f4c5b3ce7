import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FACT_SOURCES, FACTS, factById, INTERCONNECTED_SERVICE_GROUPS, localityCodesOf, sourceIdsOf, type Fact, type FactQualifier } from '../../../lib/backend/facts.ts';
import { agencyActById, AGENCIES } from '../../../lib/domain/agencies.ts';
import { healthHandler } from '../../../lib/devkit/mock-server.ts';
import { cacheableAnswer, REFERENCE_DATA_MAX_AGE_SECONDS, route, type MockRoute } from '../../../lib/devkit/mock-routes.ts';
import { lastDayOf } from '../../../lib/domain/partial-date.ts';
import { LEGAL_ACTS, legacyProvinceByAsciiName, PROVINCIAL_UNITS, provincialUnitsOn } from '../../../lib/domain/administrative-units.ts';
import type { SourceRecord } from '../../../lib/backend/sources.ts';
import { SYSTEMS } from '../../../lib/runtime/systems.ts';
import {
  type AgenciesResponse,
  type AgencyRecord,
  type ConnectionCode,
  type ConnectionRecord,
  type IndicatorRecord,
  type IndicatorsResponse,
  type LegalActRecord,
  type PopulationDbConnectionsResponse,
  type ProvincesResponse,
  type QualifierCode,
  type SectorDatabaseRecord,
  type ServiceGroupsResponse,
  type VneidServiceCode,
  type VneidServiceRecord,
} from '../adapter/wire.ts';

/**
 * The route table of the public-services backend (contract: ../adapter/CONTRACT.md). Every answer is
 * derived from the published programme facts (lib/backend/facts.ts): a status is reported only where a
 * fact states it, and an aggregate count is never spread over the agencies or provinces it counts.
 */

const sectorDatabaseRegistry = z.object({
  sectorDatabases: z.array(
    z.object({
      agencyId: z.string().min(1),
      name: z.string().min(1),
      englishName: z.string().min(1),
      connectionFact: z.string().min(1).nullable(),
      figureIds: z.array(z.string().min(1)).min(1),
    }),
  ),
});

const readRegistry = <T>(file: string, schema: z.ZodType<T>): T => schema.parse(JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')));

/** Facts about one province that do not list it among their localities: a segment of the fact id names it. */
const PROVINCE_OF_ID_SEGMENT: Record<string, string> = {
  hcmc: '079',
  'binh-duong': '074',
  'dong-nai': '075',
  'quang-nam': '049',
};

const CONNECTION_FACT_LOCALITIES = 'connections.localities.2024-07';
/** The published figures about connections to the national population database are the `connections.*` facts. */
const CONNECTION_FACTS_PREFIX = 'connections.';
const VNEID_CRIMINAL_RECORD_FACTS: [factId: string, status: VneidServiceCode][] = [
  ['criminal-record.vneid.official', 'CHINH_THUC'],
  ['criminal-record.vneid.pilot', 'THI_DIEM'],
];

const NOT_REPORTED_CONNECTION: ConnectionRecord = {
  status: 'CHUA_BAO_CAO',
  since: null,
  statement: null,
  asOf: null,
  sourceIds: [],
};
const NOT_REPORTED_VNEID_SERVICE: VneidServiceRecord = { ...NOT_REPORTED_CONNECTION, status: 'CHUA_BAO_CAO', note: null };
// Not a published figure: the Ministry of Public Security runs the national population database.
const OPERATOR_CONNECTION: ConnectionRecord = { ...NOT_REPORTED_CONNECTION, status: 'DON_VI_VAN_HANH' };

/** Fields of a fact that have their own place in an indicator record; every other number is a named figure. */
const INDICATOR_FIELDS = new Set(['id', 'asOf', 'asOfBasis', 'source', 'statement', 'quotation', 'value', 'valueAsPublished', 'qualifiers', 'unit', 'of', 'rate', 'note']);

const QUALIFIER_CODE: Record<FactQualifier, QualifierCode> = { MORE_THAN: 'HON', ABOUT: 'KHOANG', NEARLY: 'GAN', AT_LEAST: 'IT_NHAT' };

function connectionFromFact(fact: Fact, status: ConnectionCode): ConnectionRecord {
  return { status, since: null, statement: fact.statement, asOf: fact.asOf, sourceIds: sourceIdsOf(fact) };
}

/**
 * The 63/63 fact names no province, so it may be attributed to each unit of its date only because it
 * covers them all; a unit formed later is not reported (the fact says nothing of it).
 */
function provincesConnection(): { units: Set<string>; record: ConnectionRecord } {
  const fact = factById(CONNECTION_FACT_LOCALITIES);
  const units = provincialUnitsOn(lastDayOf(fact.asOf));
  if (fact.value !== units.length || fact.of !== units.length) {
    throw new Error(`fact ${fact.id} does not cover all ${units.length} provincial units of its date; no per-unit status follows from it`);
  }
  return { units: new Set(units.map((u) => u.id)), record: connectionFromFact(fact, 'DA_KET_NOI') };
}

/** A fact's note may give one named locality a start date ("Binh Phuoc official from 2024-11-01"). */
function startDateInNote(fact: Fact): { code: string; since: string } | undefined {
  if (fact.note === undefined) return undefined;
  const match = /^(.+) (?:official|pilot) from (\d{4}-\d{2}-\d{2})$/.exec(fact.note);
  const code = match?.[1] === undefined ? undefined : legacyProvinceByAsciiName(match[1])?.id;
  if (match?.[2] === undefined || code === undefined || !localityCodesOf(fact).includes(code)) {
    throw new Error(`fact ${fact.id}: cannot place note "${fact.note}" on one of its localities`);
  }
  return { code, since: match[2] };
}

function criminalRecordOnVneidByProvince(): Map<string, VneidServiceRecord> {
  const byProvince = new Map<string, VneidServiceRecord>();
  for (const [factId, status] of VNEID_CRIMINAL_RECORD_FACTS) {
    const fact = factById(factId);
    const start = startDateInNote(fact);
    for (const code of localityCodesOf(fact)) {
      const own = start?.code === code;
      byProvince.set(code, {
        status,
        since: own ? start.since : null,
        statement: fact.statement,
        note: own ? (fact.note ?? null) : null,
        asOf: fact.asOf,
        sourceIds: sourceIdsOf(fact),
      });
    }
  }
  return byProvince;
}

function provincesNamedBy(fact: Fact): Set<string> {
  const fromId = fact.id.split('.').flatMap((segment) => PROVINCE_OF_ID_SEGMENT[segment] ?? []);
  return new Set([...localityCodesOf(fact), ...fromId]);
}

function indicatorRecord(fact: Fact): IndicatorRecord {
  const qualified = new Set(Object.keys(fact.qualifiers ?? {}));
  /** The qualifier of the number named `name`; every qualifier the fact gives must find its number. */
  const qualifier = (name: string): QualifierCode | null => {
    const word = fact.qualifiers?.[name];
    qualified.delete(name);
    return word === undefined ? null : QUALIFIER_CODE[word];
  };
  const figures: IndicatorRecord['figures'] = [];
  for (const [name, value] of Object.entries(fact)) {
    if (INDICATOR_FIELDS.has(name) || (name === 'localities' && Array.isArray(value))) continue;
    if (typeof value !== 'number') throw new Error(`fact ${fact.id}: field ${name} is not a number and has no place in an indicator`);
    figures.push({ name, value, qualifier: qualifier(name) });
  }
  const record: IndicatorRecord = {
    id: fact.id,
    statement: fact.statement,
    quotation: fact.quotation,
    asOf: fact.asOf,
    asOfBasis: fact.asOfBasis,
    sourceIds: sourceIdsOf(fact),
    value: fact.value ?? null,
    qualifier: typeof fact.value === 'number' ? qualifier('value') : null,
    valueAsPublished: fact.valueAsPublished ?? null,
    unit: fact.unit ?? null,
    of: fact.of ?? null,
    rate: fact.rate ?? null,
    rateQualifier: fact.rate === undefined ? null : qualifier('rate'),
    note: fact.note ?? null,
    localityCodes: localityCodesOf(fact),
    localityNames: Array.isArray(fact.localities) ? fact.localities : [],
    figures,
  };
  if (qualified.size > 0) throw new Error(`fact ${fact.id} qualifies ${[...qualified].join(', ')}, which it does not publish as a number`);
  return record;
}

/** The sector databases the figures speak of, by the agency that keeps them, in the registry's order. */
function sectorDatabasesByAgency(): Map<string, SectorDatabaseRecord[]> {
  const byAgency = new Map<string, SectorDatabaseRecord[]>();
  for (const db of readRegistry('./sector-databases.json', sectorDatabaseRegistry).sectorDatabases) {
    for (const id of db.figureIds) factById(id);
    let connection = NOT_REPORTED_CONNECTION;
    if (db.connectionFact !== null) {
      const fact = factById(db.connectionFact);
      if (typeof fact.value !== 'boolean') throw new Error(`fact ${fact.id} is not a yes/no connection fact`);
      connection = connectionFromFact(fact, fact.value ? 'DA_KET_NOI' : 'CHUA_KET_NOI');
    }
    const record = { name: db.name, englishName: db.englishName, populationDbConnection: connection, figureIds: db.figureIds };
    byAgency.set(db.agencyId, [...(byAgency.get(db.agencyId) ?? []), record]);
  }
  return byAgency;
}

/**
 * Every agency of the registry with its dates and acts. A published status stays on the agency that
 * existed when it was published; a successor carries none of its predecessors' statuses. A People's
 * Committee has its unit's status (`connectedProvinces`: the units the 63/63 figure covers).
 */
function agencyRecords(connectedProvinces: ReturnType<typeof provincesConnection>): AgencyRecord[] {
  const sectorDatabases = sectorDatabasesByAgency();
  const unknown = [...sectorDatabases.keys()].find((id) => !AGENCIES.some((a) => a.id === id));
  if (unknown !== undefined) throw new Error(`sector-databases.json names agency ${unknown}, which the agency registry lacks`);
  const operators = new Set(SYSTEMS.population.ownerIds);
  return AGENCIES.map((a): AgencyRecord => {
    // "18 ministries and sectors completed the connection" names none of them: no per-ministry status.
    const populationDbConnection = operators.has(a.id)
      ? OPERATOR_CONNECTION
      : a.provinceId !== null && connectedProvinces.units.has(a.provinceId)
        ? connectedProvinces.record
        : NOT_REPORTED_CONNECTION;
    return {
      id: a.id,
      code: a.code,
      name: a.name,
      englishName: a.englishName,
      kind: a.kind,
      provinceId: a.provinceId,
      validFrom: a.validFrom,
      validTo: a.validTo,
      establishedBy: a.establishedBy,
      endedBy: a.endedBy,
      predecessors: [...a.predecessors],
      successors: [...a.successors],
      note: a.note,
      reports: [...a.reports],
      populationDbConnection,
      sectorDatabases: sectorDatabases.get(a.id) ?? [],
    };
  });
}

/** The acts the agencies cite, in the order they are first cited. */
function actsCited(agencies: AgencyRecord[]): LegalActRecord[] {
  const ids = new Set(agencies.flatMap((a) => [a.establishedBy, a.endedBy]).filter((id): id is string => id !== null));
  return [...ids].map((id) => agencyActById(id)!);
}

/** The sources an answer's records cite, in the order the programme facts list them. */
function sourcesCited(sourceIds: Iterable<string>): SourceRecord[] {
  const cited = new Set(sourceIds);
  return FACT_SOURCES.filter((s) => cited.has(s.id));
}

/** A reference list: the same for every caller, serialised once, and cacheable by its ETag. */
const referenceList = (path: string, answer: unknown): MockRoute => route.get(path, cacheableAnswer(answer, REFERENCE_DATA_MAX_AGE_SECONDS));

export function publicServicesHandlers(): MockRoute[] {
  const connectedProvinces = provincesConnection();
  const criminalRecordOnVneid = criminalRecordOnVneidByProvince();
  const factProvinces = FACTS.map((fact) => ({ id: fact.id, codes: provincesNamedBy(fact) }));

  const provinces = PROVINCIAL_UNITS.map((p) => ({
    id: p.id,
    code: p.code,
    name: p.name,
    officialName: p.officialName,
    validFrom: p.validFrom,
    validTo: p.validTo,
    establishedBy: p.establishedBy,
    endedBy: p.endedBy,
    predecessors: [...p.predecessors],
    region: p.region,
    municipality: p.kind === 'MUNICIPALITY',
    populationDbConnection: connectedProvinces.units.has(p.id) ? connectedProvinces.record : NOT_REPORTED_CONNECTION,
    criminalRecordOnVneid: criminalRecordOnVneid.get(p.id) ?? NOT_REPORTED_VNEID_SERVICE,
    indicatorIds: factProvinces.filter((f) => f.codes.has(p.id)).map((f) => f.id),
  }));
  const provincesAnswer: ProvincesResponse = {
    provinces,
    acts: LEGAL_ACTS.map((act) => ({ ...act })),
    sources: sourcesCited(provinces.flatMap((p) => [...p.populationDbConnection.sourceIds, ...p.criminalRecordOnVneid.sourceIds])),
  };

  const agencies = agencyRecords(connectedProvinces);
  const agenciesAnswer: AgenciesResponse = {
    agencies,
    acts: actsCited(agencies),
    sources: sourcesCited(agencies.flatMap((a) => [...a.populationDbConnection.sourceIds, ...a.sectorDatabases.flatMap((db) => db.populationDbConnection.sourceIds)])),
  };

  const indicators = FACTS.map(indicatorRecord);
  const indicatorsAnswer: IndicatorsResponse = { indicators, sources: sourcesCited(indicators.flatMap((i) => i.sourceIds)) };

  // Newest first; the sort is stable, so ties stay in the order of the programme facts.
  const connectionFiguresAnswer: PopulationDbConnectionsResponse = {
    figureIds: FACTS.filter((fact) => fact.id.startsWith(CONNECTION_FACTS_PREFIX))
      .sort((a, b) => (a.asOf === b.asOf ? 0 : a.asOf < b.asOf ? 1 : -1))
      .map((fact) => fact.id),
  };

  const groupsSourceIds = [INTERCONNECTED_SERVICE_GROUPS.source];
  const groupsAnswer: ServiceGroupsResponse = {
    groups: INTERCONNECTED_SERVICE_GROUPS.groups.map((procedures) => ({
      procedures,
      quotation: INTERCONNECTED_SERVICE_GROUPS.quotation,
      sourceIds: groupsSourceIds,
    })),
    sources: sourcesCited(groupsSourceIds),
  };

  return [
    healthHandler('public-services'),
    referenceList('/v1/provinces', provincesAnswer),
    referenceList('/v1/agencies', agenciesAnswer),
    referenceList('/v1/indicators', indicatorsAnswer),
    referenceList('/v1/population-db-connections', connectionFiguresAnswer),
    referenceList('/v1/interconnected-service-groups', groupsAnswer),
  ];
}
