import type { Region } from '../../../lib/domain/administrative-units.ts';
import { citedSources, type SourceIndex, type SourceRecord } from '../../../lib/backend/sources.ts';
import type {
  AgencyKindCode,
  AgencyRecord,
  ConnectionCode,
  ConnectionRecord,
  IndicatorRecord,
  DatedRecord,
  LegalActRecord,
  PopulationDbConnectionsResponse,
  ProvinceRecord,
  QualifierCode,
  ServiceGroupRecord,
  VneidServiceCode,
  VneidServiceRecord,
} from './wire.ts';
import { AgencyKind, ConnectionStatus, type AsOfBasis, type Qualifier, type VneidServiceStatus } from '../generated/resolvers.ts';

/** The public-services domain as the subgraph sees it, independent of the backend's wire codes. */

/** The connection statuses in the order of the schema's `ConnectionStatus` enum. */
export const CONNECTION_STATUSES: readonly ConnectionStatus[] = Object.values(ConnectionStatus);
/** The kinds of agency in the order of the schema's `AgencyKind` enum, which is the registry's order. */
export const AGENCY_KINDS: readonly AgencyKind[] = Object.values(AgencyKind);

export interface ConnectionReportModel {
  status: ConnectionStatus;
  since: string | null;
  statement: string | null;
  asOf: string | null;
  sources: SourceRecord[];
}

export interface VneidServiceReportModel {
  status: VneidServiceStatus;
  since: string | null;
  statement: string | null;
  note: string | null;
  asOf: string | null;
  sources: SourceRecord[];
}

/** The history of a unit or an agency: its days (inclusive; null outside the recorded history), acts, predecessors and successors. */
export interface DatedModel {
  validFrom: string | null;
  validTo: string | null;
  establishedBy: LegalActModel | null;
  endedBy: LegalActModel | null;
  predecessorIds: readonly string[];
  successorIds: readonly string[];
}

export interface ProvinceModel extends DatedModel {
  id: string;
  code: string;
  name: string;
  officialName: string;
  region: Region | null;
  municipality: boolean;
  populationDbConnection: ConnectionReportModel;
  criminalRecordOnVneid: VneidServiceReportModel;
  indicatorIds: string[];
}

export interface SectorDatabaseModel {
  /** The agency that keeps it: the id of the registry record it is listed under. */
  agencyId: string;
  name: string;
  englishName: string;
  populationDbConnection: ConnectionReportModel;
  /** The published figures about it (indicator ids). */
  figureIds: string[];
}

/** A legal act as served (number, dates, source); `LegalAct` in the schema. */
export type LegalActModel = LegalActRecord;

export interface AgencyModel extends DatedModel {
  /** Registry id: the code, or the code and the day it was formed (BNNMT-2025-03-01). */
  id: string;
  /** Registry code; a later agency may reuse it, so it names one only with a date. */
  code: string;
  name: string;
  englishName: string;
  kind: AgencyKind;
  /** Registry id of the provincial-level unit of a People's Committee (its own dates); null otherwise. */
  provinceId: string | null;
  note: string | null;
  reports: string[];
  populationDbConnection: ConnectionReportModel;
  sectorDatabases: SectorDatabaseModel[];
}

export interface IndicatorModel {
  id: string;
  /** This project's paraphrase of what the figure counts. */
  statement: string;
  /** The sentence as published; null where the publication was not found. */
  quotation: string | null;
  /** A numeric published value; null when the figure is a yes/no (see `flag`) or only has named figures. */
  value: number | null;
  /** The qualifier of `value`; null when there is no numeric value. */
  qualifier: Qualifier | null;
  valueAsPublished: string | null;
  flag: boolean | null;
  unit: string | null;
  of: number | null;
  rate: number | null;
  rateQualifier: Qualifier | null;
  note: string | null;
  /** YYYY, YYYY-MM or YYYY-MM-DD: the precision the report gives. */
  asOf: string;
  asOfBasis: AsOfBasis;
  sources: SourceRecord[];
  localityCodes: string[];
  localityNames: string[];
  figures: { name: string; value: number; qualifier: Qualifier }[];
}

export interface InterconnectedServiceGroupModel {
  procedures: string[];
  quotation: string | null;
  sources: SourceRecord[];
}

const CONNECTION_STATUS_OF: Record<ConnectionCode, ConnectionStatus> = {
  DA_KET_NOI: 'CONNECTED',
  CHUA_KET_NOI: 'NOT_CONNECTED',
  DON_VI_VAN_HANH: 'OPERATOR',
  CHUA_BAO_CAO: 'NOT_REPORTED',
};
const VNEID_SERVICE_STATUS_OF: Record<VneidServiceCode, VneidServiceStatus> = {
  CHINH_THUC: 'OFFICIAL',
  THI_DIEM: 'PILOT',
  CHUA_BAO_CAO: 'NOT_REPORTED',
};
const QUALIFIER_OF: Record<QualifierCode, Qualifier> = {
  HON: 'MORE_THAN',
  KHOANG: 'ABOUT',
  GAN: 'NEARLY',
  IT_NHAT: 'AT_LEAST',
};
/** A number's qualifier: the word printed before it, EXACT when none was. */
const qualifierOf = (code: QualifierCode | null): Qualifier => (code === null ? 'EXACT' : QUALIFIER_OF[code]);

const AGENCY_KIND_OF: Record<AgencyKindCode, AgencyKind> = {
  BO: 'MINISTRY',
  CO_QUAN_NGANG_BO: 'MINISTERIAL_AGENCY',
  CO_QUAN_THUOC_CHINH_PHU: 'GOVERNMENT_AGENCY',
  DON_VI_THUOC_BO: 'UNDER_MINISTRY',
  UBND_TINH: 'PROVINCE',
};

function connectionFromRecord(record: ConnectionRecord, sources: SourceIndex): ConnectionReportModel {
  return {
    status: CONNECTION_STATUS_OF[record.status],
    since: record.since,
    statement: record.statement,
    asOf: record.asOf,
    sources: citedSources(record.sourceIds, sources),
  };
}

function vneidServiceFromRecord(record: VneidServiceRecord, sources: SourceIndex): VneidServiceReportModel {
  return {
    status: VNEID_SERVICE_STATUS_OF[record.status],
    since: record.since,
    statement: record.statement,
    note: record.note,
    asOf: record.asOf,
    sources: citedSources(record.sourceIds, sources),
  };
}

/** The acts of one answer, by id: the wire schema checks that every act a record cites is there. */
export type ActIndex = ReadonlyMap<string, LegalActModel>;

export const indexActs = (acts: readonly LegalActRecord[]): ActIndex => new Map(acts.map((act) => [act.id, act]));

function historyOf(record: DatedRecord, acts: ActIndex, successorIds: readonly string[]): DatedModel {
  const act = (id: string | null) => (id === null ? null : acts.get(id)!);
  return {
    validFrom: record.validFrom,
    validTo: record.validTo,
    establishedBy: act(record.establishedBy),
    endedBy: act(record.endedBy),
    predecessorIds: record.predecessors,
    successorIds,
  };
}

/** The units of one answer, each with its acts and the units formed from it (derived from the others' predecessors). */
export function provincesFromRecords(records: readonly ProvinceRecord[], acts: ActIndex, sources: SourceIndex): ProvinceModel[] {
  return records.map((record) => ({
    id: record.id,
    code: record.code,
    name: record.name,
    officialName: record.officialName,
    ...historyOf(
      record,
      acts,
      records.filter((other) => other.predecessors.includes(record.id)).map((other) => other.id),
    ),
    region: record.region,
    municipality: record.municipality,
    populationDbConnection: connectionFromRecord(record.populationDbConnection, sources),
    criminalRecordOnVneid: vneidServiceFromRecord(record.criminalRecordOnVneid, sources),
    indicatorIds: record.indicatorIds,
  }));
}

/** An agency, with its acts and the successors the backend names. */
export function agencyFromRecord(record: AgencyRecord, sources: SourceIndex, acts: ActIndex): AgencyModel {
  return {
    id: record.id,
    code: record.code,
    name: record.name,
    englishName: record.englishName,
    kind: AGENCY_KIND_OF[record.kind],
    provinceId: record.provinceId,
    ...historyOf(record, acts, record.successors),
    note: record.note,
    reports: record.reports,
    populationDbConnection: connectionFromRecord(record.populationDbConnection, sources),
    sectorDatabases: record.sectorDatabases.map((db) => ({
      agencyId: record.id,
      name: db.name,
      englishName: db.englishName,
      populationDbConnection: connectionFromRecord(db.populationDbConnection, sources),
      figureIds: db.figureIds,
    })),
  };
}

export function indicatorFromRecord(record: IndicatorRecord, sources: SourceIndex): IndicatorModel {
  return {
    id: record.id,
    statement: record.statement,
    quotation: record.quotation,
    value: typeof record.value === 'number' ? record.value : null,
    qualifier: typeof record.value === 'number' ? qualifierOf(record.qualifier) : null,
    valueAsPublished: record.valueAsPublished,
    flag: typeof record.value === 'boolean' ? record.value : null,
    unit: record.unit,
    of: record.of,
    rate: record.rate,
    rateQualifier: record.rate === null ? null : qualifierOf(record.rateQualifier),
    note: record.note,
    asOf: record.asOf,
    asOfBasis: record.asOfBasis,
    sources: citedSources(record.sourceIds, sources),
    localityCodes: record.localityCodes,
    localityNames: record.localityNames,
    figures: record.figures.map((f) => ({ name: f.name, value: f.value, qualifier: qualifierOf(f.qualifier) })),
  };
}

export function serviceGroupFromRecord(record: ServiceGroupRecord, sources: SourceIndex): InterconnectedServiceGroupModel {
  return { procedures: record.procedures, quotation: record.quotation, sources: citedSources(record.sourceIds, sources) };
}

/**
 * The ids of the published figures about connections to the national population database, as the
 * backend classifies them; they are indicators of `GET /v1/indicators`, which carry the figures.
 */
export function connectionFigureIdsFromRecord(record: PopulationDbConnectionsResponse): string[] {
  return record.figureIds;
}
