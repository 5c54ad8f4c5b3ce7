import { DIGITIZATION_STATUSES, type DigitizationStatus } from '../../../lib/backend/digitization.ts';
import type { PartialDate } from '../../../lib/domain/partial-date.ts';
import { citedSources, type SourceIndex, type SourceRecord } from '../../../lib/backend/sources.ts';
import type { CivilStatusRecord, EndReasonCode, MarriageRecord, ProvinceDigitizationRecord } from './wire.ts';
import type { MaritalStatus, MarriageStatus } from '../generated/resolvers.ts';

/** The civil-status domain as the subgraph sees it, independent of the backend's wire codes. */

export interface BirthRegistrationModel {
  registrationNumber: string;
  registeredOn: PartialDate;
  registryOffice: string;
  fullName: string;
  dateOfBirth: PartialDate;
  fatherId: string | null;
  motherId: string | null;
}

export interface MarriageModel {
  registrationNumber: string;
  registeredOn: PartialDate;
  registryOffice: string;
  husbandId: string | null;
  wifeId: string | null;
  /** The other party, seen from the citizen whose record lists the marriage. */
  spouseId: string | null;
  status: MarriageStatus;
  endedOn: PartialDate | null;
}

export interface DeathRegistrationModel {
  registrationNumber: string;
  registeredOn: PartialDate;
  dateOfDeath: PartialDate;
  registryOffice: string;
}

export interface CivilStatusModel {
  personalId: string;
  birthRegistration: BirthRegistrationModel | null;
  marriages: MarriageModel[];
  maritalStatus: MaritalStatus;
  deathRegistration: DeathRegistrationModel | null;
}

export interface DigitizationModel {
  status: DigitizationStatus;
  recordsDigitized: number | null;
  digitizedShare: number | null;
  statement: string | null;
  asOf: string | null;
  sources: SourceRecord[];
}

const MARRIAGE_STATUSES: Record<EndReasonCode, MarriageStatus> = {
  LY_HON: 'ENDED_BY_DIVORCE',
  CHET: 'ENDED_BY_DEATH',
};

function comparePartialDates(a: PartialDate, b: PartialDate): number {
  return a.year - b.year || (a.month ?? 0) - (b.month ?? 0) || (a.day ?? 0) - (b.day ?? 0);
}

/** Whether `a` is surely before `b`, comparing only the parts both dates record. */
function knownBefore(a: PartialDate, b: PartialDate): boolean {
  if (a.year !== b.year) return a.year < b.year;
  if (a.month === undefined || b.month === undefined) return false;
  if (a.month !== b.month) return a.month < b.month;
  return a.day !== undefined && b.day !== undefined && a.day < b.day;
}

/**
 * Marital status (tình trạng hôn nhân) from the marriage records alone. A marriage in effect means
 * married. Otherwise the latest registered marriage decides: a new marriage can only be registered
 * once the previous one has ended, so it is also the latest to end. A marriage ends on the day a
 * spouse dies (Law on Marriage and Family 2014, art. 65): for a citizen whose death is registered,
 * a marriage ended by death was ended by their own death, leaving them married at death, unless it
 * is known to have ended before it.
 */
function maritalStatusOf(marriages: readonly MarriageModel[], dateOfDeath: PartialDate | null): MaritalStatus {
  if (marriages.some((m) => m.status === 'IN_EFFECT')) return 'MARRIED';
  const latest = marriages.reduce<MarriageModel | undefined>(
    (found, m) => (found === undefined || comparePartialDates(m.registeredOn, found.registeredOn) > 0 ? m : found),
    undefined,
  );
  if (latest === undefined) return 'NO_MARRIAGE_RECORDED';
  if (latest.status === 'ENDED_BY_DIVORCE') return 'DIVORCED';
  const widowedFirst = dateOfDeath === null || (latest.endedOn !== null && knownBefore(latest.endedOn, dateOfDeath));
  return widowedFirst ? 'WIDOWED' : 'MARRIED';
}

function marriageFromRecord(record: MarriageRecord, personalId: string): MarriageModel {
  return {
    registrationNumber: record.registrationNumber,
    registeredOn: record.registeredOn,
    registryOffice: record.registryOffice,
    husbandId: record.husbandId,
    wifeId: record.wifeId,
    spouseId: record.husbandId === personalId ? record.wifeId : record.husbandId,
    status: record.endReason ? MARRIAGE_STATUSES[record.endReason] : 'IN_EFFECT',
    endedOn: record.endedOn,
  };
}

export function civilStatusFromRecord(record: CivilStatusRecord): CivilStatusModel {
  const marriages = record.marriages.map((m) => marriageFromRecord(m, record.personalId));
  return {
    personalId: record.personalId,
    birthRegistration: record.birthRegistration,
    marriages,
    maritalStatus: maritalStatusOf(marriages, record.deathRegistration?.dateOfDeath ?? null),
    deathRegistration: record.deathRegistration,
  };
}

export function digitizationFromRecord(record: ProvinceDigitizationRecord, sources: SourceIndex): DigitizationModel {
  return {
    status: DIGITIZATION_STATUSES[record.status],
    recordsDigitized: record.recordsDigitized,
    digitizedShare: record.digitizedShare,
    statement: record.statement,
    asOf: record.asOf,
    sources: citedSources(record.sourceIds, sources),
  };
}
