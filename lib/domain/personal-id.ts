import { badInput } from './graph-input.ts';
import { soleSuccessorOn, todayInVietnam, unitOfLegacyCode, type ProvincialUnit } from './administrative-units.ts';

/**
 * The 12-digit personal identification number (số định danh cá nhân), Decree 137/2015 and
 * Circular 07/2016/TT-BCA: 3 digits province of birth registration, 1 digit sex and century,
 * 2 digits year of birth, 6 random digits. The number is given at birth registration and never
 * changes ("không thay đổi trong suốt cuộc đời"), mergers of provinces included.
 *
 * The first three digits are "0" and the code, in the 63-unit table (LEGACY_CODE_TABLE_DATE), of the
 * province where the birth was registered ("3 số đầu thẻ Căn cước là mã 63 tỉnh thành phố trực thuộc
 * Trung ương nơi công dân đăng ký khai sinh",
 * https://news.thuvienphapluat.vn/tintuc/vn/ho-tro-phap-luat/tu-van-phap-luat/50225/tra-cuu-ma-63-tinh-thanh-tren-the-can-cuoc-cong-dan-3-so-dau-the-can-cuoc-cong-dan).
 * They are not the codes Decision 19/2025/QĐ-TTg gives the units formed on 2025-07-01: the new Tỉnh
 * Bắc Ninh is 24, but prefix 024 is the former Tỉnh Bắc Giang. No published rule was found for the
 * prefix of births registered after 2025-07-01, so prefixes are decoded against the 63-unit table
 * only, and a prefix outside it is unknown.
 */
export type Sex = 'MALE' | 'FEMALE';

export interface DecodedPersonalId {
  personalId: string;
  provinceCode: string;
  /**
   * The unit of the 63-unit table the prefix names, as it was then (036: Tỉnh Nam Định, which
   * ended on 2025-06-30). Undefined for a prefix outside the table (e.g. births registered abroad).
   */
  birthRegistrationProvince: ProvincialUnit | undefined;
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
    birthRegistrationProvince: unitOfLegacyCode(provinceCode),
    ...decodeDigits(personalId),
    serial: personalId.slice(6),
  };
}

/**
 * The unit that holds, on `date` (today by default), the territory of the birth-registration
 * province (036 Tỉnh Nam Định → 037-2025-07-01 Tỉnh Ninh Bình); undefined when the prefix is unknown
 * or its territory is held by more than one unit.
 */
export function currentProvinceOf(decoded: Pick<DecodedPersonalId, 'birthRegistrationProvince'>, date: string = todayInVietnam()): ProvincialUnit | undefined {
  return decoded.birthRegistrationProvince && soleSuccessorOn(decoded.birthRegistrationProvince, date);
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
