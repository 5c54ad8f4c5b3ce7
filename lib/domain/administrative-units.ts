import { readFileSync } from 'node:fs';
import { existedOn, holdersOn, withSuccessors, type DatedEntry } from './dated-history.ts';

/**
 * Viet Nam's provincial-level administrative units (tỉnh, thành phố trực thuộc trung ương) as they
 * were on any date: each unit with the dates it existed and the legal acts that formed and ended it
 * (data/administrative-units.json). A unit that was merged keeps its own record; the unit formed from
 * it names it among its predecessors. Dates are calendar dates in Viet Nam (`YYYY-MM-DD`), and
 * `validFrom`/`validTo` are both inclusive.
 */
export type Region = 'NORTHERN_MIDLANDS_AND_MOUNTAINS' | 'RED_RIVER_DELTA' | 'NORTH_CENTRAL_AND_CENTRAL_COAST' | 'CENTRAL_HIGHLANDS' | 'SOUTHEAST' | 'MEKONG_DELTA';

export type ProvincialUnitKind = 'PROVINCE' | 'MUNICIPALITY';

export interface LegalAct {
  /** Registry id, e.g. NQ-202-2025-QH15. */
  id: string;
  /** The act's number as published, e.g. 202/2025/QH15. */
  number: string;
  /** Its title in Vietnamese, as published. */
  title: string;
  /** Who adopted or issued it, e.g. Quốc hội. */
  issuer: string;
  /** The day it was adopted or signed; null when the sources read do not give it. */
  adoptedOn: string | null;
  /** The day it took effect. */
  effectiveFrom: string;
  /** The last day it was in force; null while it is. */
  effectiveTo: string | null;
  /** What of it this registry relies on, in a sentence. */
  summary: string;
  /** Where its text or its report was read (an official gazette or a news report of it). */
  sourceUrl: string;
}

export interface ProvincialUnit extends DatedEntry {
  /**
   * Stable id: the code for a unit that existed before the registry's first change, the code and the
   * day it was formed for a later one (008 is Tuyên Quang before 2025-07-01, 008-2025-07-01 after).
   */
  id: string;
  /** Three-digit code, as in the first digits of a personal identification number; reused by later units. */
  code: string;
  name: string;
  officialName: string;
  /** The name without diacritics, as some reports spell it. */
  asciiName: string;
  kind: ProvincialUnitKind;
  /** Socio-economic region; null for a unit formed from units of two regions, which no act here assigns. */
  region: Region | null;
  /** Ids of the units formed from it (derived from the predecessors of the others). */
  successors: readonly string[];
}

interface RegistryFile {
  about: string;
  acts: Record<string, Omit<LegalAct, 'id'>>;
  units: Omit<ProvincialUnit, 'successors'>[];
}

const file = new URL('../../data/administrative-units.json', import.meta.url);
const registry = JSON.parse(readFileSync(file, 'utf8')) as RegistryFile;

export const LEGAL_ACTS: readonly LegalAct[] = Object.entries(registry.acts).map(([id, act]) => ({ id, ...act }));
const actsById = new Map(LEGAL_ACTS.map((a) => [a.id, a]));

export const PROVINCIAL_UNITS: readonly ProvincialUnit[] = withSuccessors(registry.units, new Set(actsById.keys()), 'data/administrative-units.json');
const unitsById = new Map(PROVINCIAL_UNITS.map((u) => [u.id, u]));

// Made once: a formatter costs far more to build than to use, and "today" is asked on every request.
const vietnamDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * Since 1976 Viet Nam keeps one offset, UTC+7, a whole number of minutes: every instant of a UTC
 * minute after this falls on the same Vietnamese day, so the day can be kept for that minute.
 */
const WHOLE_MINUTE_OFFSET_SINCE_MS = Date.UTC(1976, 0, 1);
let dayOfMinute: { minute: number; day: string } | undefined;

/**
 * Today's date in Viet Nam (UTC+7), `YYYY-MM-DD`: the default date of every "as of" question. Asked
 * on every request (the access policy's date), so the formatted day is kept for the current minute:
 * formatting took 1.3 % of a subgraph's CPU when profiled.
 */
export function todayInVietnam(now: Date = new Date()): string {
  const ms = now.getTime();
  if (!(ms >= WHOLE_MINUTE_OFFSET_SINCE_MS)) return vietnamDay.format(now);
  const minute = Math.floor(ms / 60_000);
  if (dayOfMinute?.minute !== minute) dayOfMinute = { minute, day: vietnamDay.format(now) };
  return dayOfMinute.day;
}

const byCodeOrder = (a: ProvincialUnit, b: ProvincialUnit) => a.code.localeCompare(b.code);

/** The provincial-level units that existed on `date`, in code order. */
export function provincialUnitsOn(date: string): ProvincialUnit[] {
  return PROVINCIAL_UNITS.filter((u) => existedOn(u, date)).sort(byCodeOrder);
}

export function provincialUnitById(id: string): ProvincialUnit | undefined {
  return unitsById.get(id);
}

/** The unit that had `code` on `date`; codes are reused by later units, so the date decides. */
export function provincialUnitByCode(code: string, date: string): ProvincialUnit | undefined {
  return PROVINCIAL_UNITS.find((u) => u.code === code && existedOn(u, date));
}

/** Reports may name units without diacritics ("Soc Trang"); the unit of that name on `date`. */
export function provincialUnitByAsciiName(name: string, date: string): ProvincialUnit | undefined {
  const wanted = name.trim().toLowerCase();
  return PROVINCIAL_UNITS.find((u) => u.asciiName.toLowerCase() === wanted && existedOn(u, date));
}

/**
 * The first day of the two-level local government (Luật Tổ chức chính quyền địa phương số
 * 72/2025/QH15): district-level units (huyện, quận, thị xã, thành phố thuộc tỉnh) end, and an address
 * names its commune and provincial unit only.
 */
export const TWO_LEVEL_GOVERNMENT_FROM = '2025-07-01';

/**
 * The day the 63-unit code table describes: the table of the personal identification number's first
 * three digits (Circular 07/2016/TT-BCA) and of the 2024 reports and records, keyed by those codes.
 * On that day Thừa Thiên Huế was still a province (046).
 */
export const LEGACY_CODE_TABLE_DATE = '2024-12-31';

/** The unit a code of the 63-unit table names (see LEGACY_CODE_TABLE_DATE); its id is that code. */
export function unitOfLegacyCode(code: string): ProvincialUnit | undefined {
  return provincialUnitByCode(code, LEGACY_CODE_TABLE_DATE);
}

/** The 63 units of the legacy code table, in code order. */
export const LEGACY_PROVINCES: readonly ProvincialUnit[] = provincialUnitsOn(LEGACY_CODE_TABLE_DATE);

/** A unit of the legacy code table by the name a 2024 report gives it without diacritics ("Soc Trang"). */
export function legacyProvinceByAsciiName(name: string): ProvincialUnit | undefined {
  return provincialUnitByAsciiName(name, LEGACY_CODE_TABLE_DATE);
}

/** The units that hold the territory of `unit` on `date` (`holdersOn` over this registry's units). */
export function successorsOn(unit: ProvincialUnit, date: string): ProvincialUnit[] {
  return holdersOn(unit, date, (u) => u.successors.map((id) => unitsById.get(id)!));
}

/** The one unit that holds the territory of `unit` on `date`; undefined before the unit, or when its territory is split. */
export function soleSuccessorOn(unit: ProvincialUnit, date: string): ProvincialUnit | undefined {
  const holders = successorsOn(unit, date);
  return holders.length === 1 ? holders[0] : undefined;
}

/**
 * The unit that holds, on `date`, the territory a code of the 63-unit table names: where a place
 * recorded under that code (a 2024 record, a personal ID's prefix) lay on that day.
 */
export function legacyUnitOn(code: string, date: string): ProvincialUnit | undefined {
  const unit = unitOfLegacyCode(code);
  return unit && soleSuccessorOn(unit, date);
}
