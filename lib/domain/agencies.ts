import { readFileSync } from 'node:fs';
import { LEGAL_ACTS, PROVINCIAL_UNITS, type LegalAct } from './administrative-units.ts';
import { existedOn, withSuccessors, type DatedEntry } from './dated-history.ts';

/**
 * Viet Nam's state agencies as they were on any date (data/agencies.json): the ministries,
 * ministerial-level and government agencies with the dates they existed and the acts that formed
 * and ended them, and one provincial People's Committee (Ủy ban nhân dân) per provincial-level unit
 * of lib/domain/administrative-units.ts, with that unit's dates and acts.
 *
 * Ids follow the administrative units: the code for an agency older than the registry's first
 * recorded change, the code and the day it was formed for a later one. A ministry that kept its
 * name through a merger is a new agency with the same code (BTC until 2025-02-28, BTC-2025-03-01
 * from 2025-03-01), so a code names an agency only together with a date. `validFrom`/`validTo` are
 * inclusive, null when outside the registry's recorded history.
 */

/** Kinds of agency as the registry (and the public-services backend) writes them. */
export const AGENCY_KIND_CODES = ['BO', 'CO_QUAN_NGANG_BO', 'CO_QUAN_THUOC_CHINH_PHU', 'DON_VI_THUOC_BO', 'UBND_TINH'] as const;
export type AgencyKindCode = (typeof AGENCY_KIND_CODES)[number];

/** An agency with the dates it existed and the acts that formed and ended it, as the units have them. */
export interface AgencyEntry extends DatedEntry {
  /** Stable id: the code, or the code and the day it was formed (BNNMT-2025-03-01). */
  id: string;
  /** Registry code (BCA, BNNMT, UBND-001); reused by a later agency, so it names one only with a date. */
  code: string;
  name: string;
  englishName: string;
  kind: AgencyKindCode;
  /** Registry id of the provincial-level unit, for a People's Committee; null otherwise. */
  provinceId: string | null;
  /** Ids of the agencies it was formed from (or took a function from). */
  predecessors: readonly string[];
  /** Ids of the agencies formed from it (derived from the predecessors of the others). */
  successors: readonly string[];
  /** What is known of its formation or end beyond the act; null when nothing. */
  note: string | null;
  /** The public reports of its formation or end (URLs), besides the act's own source. */
  reports: readonly string[];
}

type FileAgency = Omit<AgencyEntry, 'provinceId' | 'successors'>;
interface RegistryFile {
  about: string;
  acts: Record<string, Omit<LegalAct, 'id'>>;
  agencies: FileAgency[];
}

const registry = JSON.parse(readFileSync(new URL('../../data/agencies.json', import.meta.url), 'utf8')) as RegistryFile;

/** The acts that formed or ended an agency: those of data/agencies.json and of the administrative units. */
const actsById = new Map<string, LegalAct>([
  ...LEGAL_ACTS.map((act) => [act.id, act] as const),
  ...Object.entries(registry.acts).map(([id, act]) => [id, { id, ...act }] as const),
]);

/** "Thành phố Hà Nội" → "Ủy ban nhân dân thành phố Hà Nội". */
export const committeeName = (officialName: string) => `Ủy ban nhân dân ${officialName.charAt(0).toLocaleLowerCase('vi')}${officialName.slice(1)}`;

const committeeId = (unitId: string) => `UBND-${unitId}`;

const committees: (FileAgency & { provinceId: string })[] = [...PROVINCIAL_UNITS]
  .sort((a, b) => a.code.localeCompare(b.code) || (a.validFrom ?? '').localeCompare(b.validFrom ?? ''))
  .map((unit) => ({
    id: committeeId(unit.id),
    code: `UBND-${unit.code}`,
    name: committeeName(unit.officialName),
    englishName: `${unit.asciiName} People's Committee`,
    kind: 'UBND_TINH' as const,
    provinceId: unit.id,
    validFrom: unit.validFrom,
    validTo: unit.validTo,
    establishedBy: unit.establishedBy,
    endedBy: unit.endedBy,
    predecessors: unit.predecessors.map(committeeId),
    note: null,
    reports: [],
  }));

const listed: (FileAgency & { provinceId: string | null })[] = [...registry.agencies.map((a) => ({ ...a, provinceId: null })), ...committees];

/** Every agency the registry records, in registry order: the Government's agencies, then the committees by code and date. */
export const AGENCIES: readonly AgencyEntry[] = withSuccessors(listed, new Set(actsById.keys()), 'data/agencies.json');
const byId = new Map(AGENCIES.map((a) => [a.id, a]));

export function agencyById(id: string): AgencyEntry | undefined {
  return byId.get(id);
}

/** The agencies that existed on `date` (`YYYY-MM-DD`), in registry order. */
export function agenciesOn(date: string): AgencyEntry[] {
  return AGENCIES.filter((a) => existedOn(a, date));
}

/** The agency that had `code` on `date`; codes are reused by later agencies, so the date decides. */
export function agencyByCode(code: string, date: string): AgencyEntry | undefined {
  return AGENCIES.find((a) => a.code === code && existedOn(a, date));
}

/** The act an agency cites, from this registry or the administrative units'. */
export function agencyActById(id: string): LegalAct | undefined {
  return actsById.get(id);
}
