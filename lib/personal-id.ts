import { badInput } from './graph-input.ts';
import { unitOfLegacyCode, type ProvincialUnit } from './administrative-units.ts';

/**
 * The 12-digit personal identification number (số định danh cá nhân), Decree 137/2015 and
 * Circular 07/2016/TT-BCA: 3 digits province of birth registration, 1 digit sex and century,
 * 2 digits year of birth, 6 random digits.
 */
export type Sex = 'MALE' | 'FEMALE';

export interface DecodedPersonalId {
  personalId: string;
  provinceCode: string;
  /** Undefined for codes outside the 63 provinces (e.g. births registered abroad). */
  province: ProvincialUnit | undefined;
  sex: Sex;
  birthYear: number;
  serial: string;
}

export const MAX_IDS_PER_REQUEST = 100;

const TWELVE_DIGITS = /^[0-9]{12}$/;

/** Returns a description of what is wrong with the ID, or undefined when it is valid. */
export function personalIdProblem(value: string, now: Date = new Date()): string | undefined {
  if (!TWELVE_DIGITS.test(value)) {
    if (value.length !== 12) {
      return `personal ID must be exactly 12 digits, got ${value.length} character${value.length === 1 ? '' : 's'}`;
    }
    return 'personal ID must contain only the ASCII digits 0-9';
  }
  const { birthYear } = decodeDigits(value);
  if (birthYear > now.getUTCFullYear()) {
    return `personal ID encodes birth year ${birthYear}, which is in the future`;
  }
  return undefined;
}

function decodeDigits(value: string): { sex: Sex; birthYear: number } {
  const centuryDigit = Number(value[3]);
  const century = 1900 + Math.floor(centuryDigit / 2) * 100;
  return { sex: centuryDigit % 2 === 0 ? 'MALE' : 'FEMALE', birthYear: century + Number(value.slice(4, 6)) };
}

export function decodePersonalId(personalId: string): DecodedPersonalId {
  const problem = personalIdProblem(personalId);
  if (problem) throw new Error(problem);
  const provinceCode = personalId.slice(0, 3);
  return {
    personalId,
    provinceCode,
    province: unitOfLegacyCode(provinceCode),
    ...decodeDigits(personalId),
    serial: personalId.slice(6),
  };
}

/** Builds a personal ID from its parts; the inverse of decodePersonalId. */
export function encodePersonalId(provinceCode: string, sex: Sex, birthYear: number, serial: number): string {
  const centuryIndex = Math.floor((birthYear - 1900) / 100);
  if (centuryIndex < 0 || centuryIndex > 4) throw new RangeError(`no century code for birth year ${birthYear}`);
  const digit = centuryIndex * 2 + (sex === 'FEMALE' ? 1 : 0);
  return `${provinceCode}${digit}${String(birthYear % 100).padStart(2, '0')}${String(serial % 1_000_000).padStart(6, '0')}`;
}

/** Validates one ID argument, throwing BAD_USER_INPUT before any backend is asked. */
export function assertPersonalId(value: string, argument = 'personalId'): string {
  const problem = personalIdProblem(value);
  if (problem) throw badInput(argument, problem);
  return value;
}

export function assertPersonalIdList(values: readonly string[], argument = 'personalIds'): readonly string[] {
  if (values.length > MAX_IDS_PER_REQUEST) {
    throw badInput(argument, `at most ${MAX_IDS_PER_REQUEST} personal IDs per request, got ${values.length}`);
  }
  values.forEach((value, index) => assertPersonalId(value, `${argument}[${index}]`));
  return values;
}
