import type { PartialDate } from '../partial-date.ts';
import { decodePersonalId, encodePersonalId, personalIdProblem, type Sex } from '../personal-id.ts';
import { LEGACY_PROVINCES as PROVINCES, provincialUnitById, soleSuccessorOn, todayInVietnam, unitOfLegacyCode as provinceByCode } from '../administrative-units.ts';
import { communesOf, formatAddress, PROVINCES_WITH_COMMUNES } from '../communes.ts';
import {
  NAMED_BIRTHS,
  NAMED_DEATHS,
  NAMED_HOUSEHOLDS,
  NAMED_MARRIAGES,
  NAMED_PARCELS,
  NAMED_PEOPLE,
} from './named.ts';
import { LAND_USE_TYPES } from '../land-use.ts';
import { SeededRandom } from './random.ts';
import type {
  BirthRegistrationTruth,
  DeathRegistrationTruth,
  HouseholdTruth,
  MarriageTruth,
  ParcelTruth,
  PersonTruth,
  ResidenceTruth,
  VneidLevel,
} from './types.ts';

/**
 * Deterministic synthetic population. Every valid personal ID is a person, derived from the ID
 * alone, so the mocks cover the whole population without storing it:
 * - spouses are paired by an involution on the ID (flip the sex bit and the last serial bit), so
 *   both partners derive the same marriage;
 * - father and mother are a married synthetic pair chosen from the child's seed; the child carries
 *   the father's family name (a bounded walk up the generations);
 * - a married couple shares one household and co-owns its parcels; household and parcel IDs encode
 *   their owners reversibly, so any of them can be looked up from its ID alone.
 * Limits (documented for integrators): relations point up and sideways only, so a synthetic
 * household lists the person and spouse, not their children. IDs whose six serial digits are
 * 000000 are unknown to every mock, to exercise "not found".
 */

const FAMILY_NAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE = { MALE: ['Văn', 'Hữu', 'Đức', 'Minh', 'Quang', 'Thành', 'Công', 'Gia'], FEMALE: ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Mai', 'Kim', 'Bảo', 'Thùy'] };
const GIVEN = {
  MALE: ['An', 'Bảo', 'Cường', 'Dũng', 'Hải', 'Hùng', 'Khang', 'Long', 'Nam', 'Phúc', 'Quân', 'Sơn', 'Tuấn', 'Việt', 'Đạt', 'Huy'],
  FEMALE: ['Anh', 'Bích', 'Chi', 'Dung', 'Giang', 'Hà', 'Hương', 'Lan', 'Linh', 'Mai', 'Ngọc', 'Phương', 'Thảo', 'Trang', 'Yến', 'Vy'],
};
const STREETS = ['đường Lê Lợi', 'đường Trần Hưng Đạo', 'đường Nguyễn Trãi', 'đường Hùng Vương', 'đường Quang Trung', 'đường Lý Thường Kiệt', 'đường Hai Bà Trưng', 'đường Phan Chu Trinh'];
/** Old-style commune names for registry offices of past registrations only; addresses come from data/communes.json. */
const COMMUNES = ['phường 1', 'phường 3', 'phường Tân Phú', 'phường Hòa Bình', 'xã Phước Long', 'xã An Thạnh', 'phường Trung Tâm', 'xã Tân Lập'];

/** Reversible scrambling of record keys into opaque IDs (multiplication modulo the prime 2^61-1). */
const MODULUS = (1n << 61n) - 1n;
const MULTIPLIER = 1_103_515_245_019n;
const INVERSE = modPow(MULTIPLIER, MODULUS - 2n, MODULUS);

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function scramble(key: string, slot: number, prefix: string): string {
  const n = BigInt(key) * 4n + BigInt(slot);
  return `${prefix}-${((n * MULTIPLIER) % MODULUS).toString(36).toUpperCase().padStart(12, '0')}`;
}

function unscramble(id: string, prefix: string): { key: string; slot: number } | undefined {
  const match = new RegExp(`^${prefix}-([0-9A-Z]{1,13})$`).exec(id);
  if (!match?.[1]) return undefined;
  let value = 0n;
  for (const ch of match[1].toLowerCase()) value = value * 36n + BigInt(parseInt(ch, 36));
  if (value >= MODULUS) return undefined;
  const n = (value * INVERSE) % MODULUS;
  const key = n / 4n;
  if (key > 999_999_999_999n) return undefined;
  return { key: key.toString().padStart(12, '0'), slot: Number(n % 4n) };
}

export interface WorldOptions {
  /** "Today" for the synthetic population: ages, whether a marriage has happened yet. */
  now?: Date;
}

export class SyntheticWorld {
  private readonly now: Date;
  private readonly currentYear: number;
  private readonly cache = new Map<string, PersonTruth | null>();

  constructor(options: WorldOptions = {}) {
    this.now = options.now ?? new Date();
    this.currentYear = this.now.getUTCFullYear();
  }

  /** The person with this ID, or undefined for an invalid or unknown ID. */
  person(personalId: string): PersonTruth | undefined {
    const cached = this.cache.get(personalId);
    if (cached !== undefined) return cached ?? undefined;
    const person = NAMED_PEOPLE[personalId] ?? this.synthesize(personalId);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(personalId, person ?? null);
    return person;
  }

  household(householdId: string): HouseholdTruth | undefined {
    const named = NAMED_HOUSEHOLDS[householdId];
    if (named) return named;
    const decoded = unscramble(householdId, 'HO');
    if (!decoded || decoded.slot !== 3) return undefined;
    const person = this.person(decoded.key);
    if (!person || person.householdId !== householdId || NAMED_PEOPLE[decoded.key]) return undefined;
    const spouseId = this.syntheticSpouseOf(person.personalId);
    const members: HouseholdTruth['members'] = [{ personalId: person.personalId, relationship: person.relationshipToHead }];
    if (spouseId) {
      const spouse = this.person(spouseId);
      if (spouse) members.push({ personalId: spouse.personalId, relationship: spouse.relationshipToHead });
    }
    members.sort((a, b) => (a.relationship === 'HEAD' ? -1 : b.relationship === 'HEAD' ? 1 : 0));
    const head = members[0];
    if (!head) return undefined;
    return { householdId, headId: head.personalId, members, residence: person.residence };
  }

  marriagesOf(personalId: string): MarriageTruth[] {
    if (NAMED_PEOPLE[personalId]) {
      return NAMED_MARRIAGES.filter((m) => m.husbandId === personalId || m.wifeId === personalId);
    }
    const marriage = this.syntheticMarriage(personalId);
    return marriage ? [marriage] : [];
  }

  birthRegistrationOf(personalId: string): BirthRegistrationTruth | undefined {
    if (NAMED_PEOPLE[personalId]) return NAMED_BIRTHS.find((b) => b.personalId === personalId);
    const person = this.person(personalId);
    if (!person || person.birthDate.day === undefined || person.birthDate.month === undefined) return undefined;
    const random = new SeededRandom(`birth-registration:${personalId}`);
    const born = Date.UTC(person.birthDate.year, person.birthDate.month - 1, person.birthDate.day);
    const registered = new Date(Math.min(born + random.int(3, 60) * 86_400_000, this.now.getTime()));
    const province = provinceByCode(personalId.slice(0, 3)) ?? provinceByCode(person.residence.former.province);
    return {
      personalId,
      registrationNumber: `${random.int(1, 480)}/${registered.getUTCFullYear()}`,
      registeredOn: { year: registered.getUTCFullYear(), month: registered.getUTCMonth() + 1, day: registered.getUTCDate() },
      registryOffice: `UBND ${random.pick(COMMUNES)}, ${province?.officialName ?? 'Việt Nam'}`,
      fullName: person.fullName,
      birthDate: person.birthDate,
      fatherId: person.fatherId,
      motherId: person.motherId,
    };
  }

  deathRegistrationOf(personalId: string): DeathRegistrationTruth | undefined {
    return NAMED_DEATHS.find((d) => d.personalId === personalId);
  }

  parcelsOf(personalId: string): ParcelTruth[] {
    if (NAMED_PEOPLE[personalId]) return NAMED_PARCELS.filter((p) => p.rightHolders.some((h) => h.personalId === personalId));
    const person = this.person(personalId);
    if (!person || this.currentYear - person.birthDate.year < 25) return [];
    const ownerKey = this.ownerKey(personalId);
    const count = this.parcelCount(ownerKey);
    const parcels: ParcelTruth[] = [];
    for (let slot = 0; slot < count; slot++) {
      const parcel = this.parcel(scramble(ownerKey, slot, 'TD'));
      if (parcel) parcels.push(parcel);
    }
    return parcels;
  }

  parcel(parcelId: string): ParcelTruth | undefined {
    const named = NAMED_PARCELS.find((p) => p.parcelId === parcelId);
    if (named) return named;
    const decoded = unscramble(parcelId, 'TD');
    if (!decoded || decoded.slot > 1) return undefined;
    const owner = this.person(decoded.key);
    if (!owner || NAMED_PEOPLE[decoded.key] || this.ownerKey(decoded.key) !== decoded.key) return undefined;
    if (this.currentYear - owner.birthDate.year < 25 || decoded.slot >= this.parcelCount(decoded.key)) return undefined;
    const spouseId = this.syntheticSpouseOf(decoded.key);
    const random = new SeededRandom(`parcel:${parcelId}`);
    const landUseType = random.pick(LAND_USE_TYPES);
    const residential = landUseType.startsWith('RESIDENTIAL');
    const province = provinceByCode(owner.residence.former.province);
    const certificateYear = random.int(Math.max(1994, owner.birthDate.year + 20), Math.max(1994, Math.min(this.currentYear, 2024)));
    return {
      parcelId,
      provinceCode: owner.residence.former.province,
      address: currentAddressOf(owner.residence).fullAddress,
      mapSheetNumber: random.int(1, 60),
      parcelNumber: random.int(1, 900),
      areaM2: residential ? random.int(40, 300) + random.int(0, 9) / 10 : random.int(300, 8000),
      landUseType,
      certificate: random.chance(0.85)
        ? {
            serialNumber: `${random.pick(['BK', 'CS', 'DA', 'CH'])} ${String(random.int(0, 99_999_999)).padStart(8, '0')}`,
            issuedOn: `${certificateYear}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`,
            issuer: `Sở Tài nguyên và Môi trường ${province?.officialName.replace(/^Tỉnh /, 'tỉnh ').replace(/^Thành phố /, 'thành phố ') ?? ''}`.trim(),
          }
        : undefined,
      rightHolders: spouseId
        ? [
            { personalId: decoded.key, share: 0.5 },
            { personalId: spouseId, share: 0.5 },
          ]
        : [{ personalId: decoded.key, share: 1 }],
    };
  }

  private synthesize(personalId: string): PersonTruth | undefined {
    if (personalIdProblem(personalId, this.now) || personalId.endsWith('000000')) return undefined;
    const id = decodePersonalId(personalId);
    const random = new SeededRandom(`person:${personalId}`);
    const birthDate = this.birthDateFor(id.birthYear, random);
    const parents = this.parentsOf(personalId, id.birthYear, id.provinceCode);
    const familyName = parents ? this.familyNameOf(parents.fatherId) : random.pick(FAMILY_NAMES);
    const fullName = `${familyName} ${random.pick(MIDDLE[id.sex])} ${random.pick(GIVEN[id.sex])}`;
    const spouseId = this.syntheticSpouseOf(personalId);
    const ownerKey = spouseId ? (personalId < spouseId ? personalId : spouseId) : personalId;
    const age = this.currentYear - id.birthYear;
    return {
      personalId,
      fullName,
      sex: id.sex,
      birthDate,
      status: 'ALIVE',
      residence: this.residenceOf(ownerKey, spouseId && id.sex === 'FEMALE' ? spouseId.slice(0, 3) : id.provinceCode, id.birthYear),
      householdId: scramble(ownerKey, 3, 'HO'),
      relationshipToHead: spouseId && id.sex === 'FEMALE' ? 'SPOUSE' : 'HEAD',
      fatherId: parents?.fatherId,
      motherId: parents?.motherId,
      idCard: this.idCardFor(personalId, birthDate, random),
      vneidLevel: age < 14 ? 'NONE' : random.pick<VneidLevel>(['LEVEL_2', 'LEVEL_2', 'LEVEL_2', 'LEVEL_1', 'NONE']),
    };
  }

  private birthDateFor(year: number, random: SeededRandom): PartialDate {
    const precision = year < 1960 ? random.next() : 1;
    if (precision < 0.25) return { year };
    let month = random.int(1, 12);
    let day = random.int(1, 28);
    if (year === this.currentYear) {
      month = Math.min(month, this.now.getUTCMonth() + 1);
      if (month === this.now.getUTCMonth() + 1) day = Math.min(day, this.now.getUTCDate());
    }
    return precision < 0.35 ? { year, month } : { year, month, day };
  }

  /**
   * Cards are renewed at 25, 40 and 60 (Law on Identification 2023, art. 21); one issued within two
   * years before such an age lasts to the next, and one issued after 58 for life. The expiry is the
   * birthday, so a person whose birthday is not recorded is given only a card valid for life.
   */
  private idCardFor(personalId: string, birthDate: PartialDate, random: SeededRandom): PersonTruth['idCard'] {
    const birthYear = birthDate.year;
    const knownBirthday = birthDate.month !== undefined && birthDate.day !== undefined;
    const from = Math.max(birthYear + (knownBirthday ? 14 : 59), 2016);
    const to = Math.min(this.currentYear - 1, 2025);
    if (from > to) return undefined;
    const year = random.int(from, to);
    const issuedOn = `${year}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
    const ageAtIssue = year - birthYear;
    const renewalAge = [25, 40, 60].find((age) => ageAtIssue < age - 2);
    return {
      number: personalId,
      kind: issuedOn >= '2024-07-01' ? 'IDENTITY_CARD' : 'CHIP_CITIZEN_ID',
      issuedOn,
      expiresOn:
        renewalAge === undefined || !knownBirthday
          ? undefined
          : `${birthYear + renewalAge}-${String(birthDate.month).padStart(2, '0')}-${String(birthDate.day).padStart(2, '0')}`,
    };
  }

  /**
   * A residence in a commune of data/communes.json: in the successor of the birth province when the
   * list covers it (three times in four), otherwise in a province it covers. It was registered on a
   * day between the owner's 18th year (not before 1995) and today; registered before 2025-07-01, it
   * is recorded with the former commune and district it lay in then.
   */
  private residenceOf(ownerKey: string, birthProvinceCode: string, birthYear: number): ResidenceTruth {
    const random = new SeededRandom(`residence:${ownerKey}`);
    const today = todayInVietnam(this.now);
    const birthUnit = provinceByCode(birthProvinceCode);
    const home = birthUnit && soleSuccessorOn(birthUnit, today);
    const covered = home && PROVINCES_WITH_COMMUNES.some((p) => p.id === home.id) ? home : undefined;
    const province = covered && random.chance(0.75) ? covered : random.pick(PROVINCES_WITH_COMMUNES);
    const commune = random.pick(communesOf(province.id));
    const former = random.pick(commune.formedFrom);
    const fromYear = Math.min(Math.max(birthYear + 18, 1995), this.currentYear);
    const from = Date.UTC(fromYear, 0, 1);
    const registered = new Date(from + Math.floor(random.next() * Math.max(0, this.now.getTime() - from)));
    return {
      street: `Số ${random.int(1, 250)}, ${random.pick(STREETS)}`,
      registeredOn: todayInVietnam(registered),
      former: { ...former },
      current: { commune: commune.name, provinceId: province.id },
    };
  }

  /** The involution that pairs spouses: same province, century and year; other sex; serial's last bit flipped. */
  private partnerCandidate(personalId: string): string {
    const sexDigit = Number(personalId[3]) ^ 1;
    const serial = Number(personalId.slice(6)) ^ 1;
    return `${personalId.slice(0, 3)}${sexDigit}${personalId.slice(4, 6)}${String(serial).padStart(6, '0')}`;
  }

  private syntheticSpouseOf(personalId: string): string | undefined {
    return this.syntheticMarriage(personalId) ? this.partnerCandidate(personalId) : undefined;
  }

  private syntheticMarriage(personalId: string): MarriageTruth | undefined {
    if (NAMED_PEOPLE[personalId] || personalIdProblem(personalId, this.now)) return undefined;
    const partner = this.partnerCandidate(personalId);
    if (NAMED_PEOPLE[partner] || personalId.endsWith('000000') || partner.endsWith('000000')) return undefined;
    const pairKey = personalId < partner ? personalId : partner;
    const random = new SeededRandom(`marriage:${pairKey}`);
    const birthYear = decodePersonalId(personalId).birthYear;
    if (!random.chance(0.6)) return undefined;
    const year = birthYear + random.int(21, 32);
    if (year >= this.currentYear) return undefined;
    const [husbandId, wifeId] = decodePersonalId(personalId).sex === 'MALE' ? [personalId, partner] : [partner, personalId];
    const province = provinceByCode(personalId.slice(0, 3));
    return {
      registrationNumber: `${random.int(1, 250)}/${year}`,
      registeredOn: year < 1975 && random.chance(0.5) ? { year } : { year, month: random.int(1, 12), day: random.int(1, 28) },
      registryOffice: `UBND ${random.pick(COMMUNES)}, ${province?.officialName ?? 'Việt Nam'}`,
      husbandId,
      wifeId,
    };
  }

  private parentsOf(personalId: string, birthYear: number, provinceCode: string): { fatherId: string; motherId: string } | undefined {
    const random = new SeededRandom(`parents:${personalId}`);
    const fatherProvince = provinceByCode(provinceCode) ? provinceCode : random.pick(PROVINCES).code;
    for (let attempt = 0; attempt < 12; attempt++) {
      const fatherYear = birthYear - random.int(22, 38);
      const serial = random.int(1, 999_998);
      if (fatherYear < 1900) return undefined;
      const fatherId = encodePersonalId(fatherProvince, 'MALE' as Sex, fatherYear, serial);
      if (NAMED_PEOPLE[fatherId]) continue;
      const marriage = this.syntheticMarriage(fatherId);
      if (marriage && marriage.registeredOn.year <= birthYear) return { fatherId, motherId: marriage.wifeId };
    }
    return undefined;
  }

  private familyNameOf(personalId: string): string {
    const person = this.person(personalId);
    return person?.fullName.split(' ')[0] ?? FAMILY_NAMES[0]!;
  }

  private ownerKey(personalId: string): string {
    const spouseId = this.syntheticSpouseOf(personalId);
    return spouseId && spouseId < personalId ? spouseId : personalId;
  }

  private parcelCount(ownerKey: string): number {
    const roll = new SeededRandom(`land:${ownerKey}`).next();
    return roll < 0.4 ? 0 : roll < 0.85 ? 1 : 2;
  }
}

/** The address of a residence in today's units: street, commune and provincial unit, no district. */
export function currentAddressOf(residence: ResidenceTruth): { addressLine: string; fullAddress: string } {
  return formatAddress({
    street: residence.street,
    commune: residence.current.commune,
    district: null,
    province: provincialUnitById(residence.current.provinceId),
  });
}
