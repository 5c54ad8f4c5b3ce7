import { addDays, ageOn, birthday, firstDayAfter, firstDayOf, parsePartialDate, type PartialDate } from '../partial-date.ts';
import { decodePersonalId, encodePersonalId, personalIdProblem, type Sex } from '../personal-id.ts';
import { legacyUnitOn, TWO_LEVEL_GOVERNMENT_FROM, provincialUnitById, todayInVietnam } from '../administrative-units.ts';
import { formatAddress } from '../addresses.ts';
import { communesOf, PROVINCES_WITH_COMMUNES } from '../communes.ts';
import { civilRegistryOffice, landCertificateIssuer } from '../issuing-authorities.ts';
import { CHIP_CARDS_FROM, FIRST_CARD_AGE, idCardExpiry, idCardKindOn } from '../id-card.ts';
import { NAMED_BIRTHS, NAMED_DEATHS, NAMED_HOUSEHOLDS, NAMED_MARRIAGES, NAMED_PARCELS, NAMED_PEOPLE } from './named.ts';
import { landUseTypesIn, localUnitKindOf } from '../land-use.ts';
import { dayBetween, earlierOf, laterOf, SeededRandom } from './random.ts';
import type { BirthRegistrationTruth, DeathRegistrationTruth, HouseholdTruth, MarriageTruth, ParcelTruth, PersonTruth, ResidenceTruth, VneidLevel } from './types.ts';

/** A day of the generator's own making as a partial date (it always parses). */
const parseDay = (day: string): PartialDate => parsePartialDate(day)!;

/**
 * Deterministic synthetic population. Every valid personal ID is a person, derived from the ID
 * alone, so the mocks cover the whole population without storing it:
 * - spouses are paired by an involution on the ID (flip the sex bit and the last serial bit), so
 *   both partners derive the same marriage;
 * - father and mother are a married synthetic pair chosen from the child's seed; the child carries
 *   the father's family name (a bounded walk up the generations);
 * - a married couple shares one household and co-owns its parcels; household and parcel IDs encode
 *   their owners reversibly, so any of them can be looked up from its ID alone;
 * - a parent's ID is the child's serial under a fixed permutation (one per attempt), so a parent's
 *   children can be found again by inverting it; a minor (under 18 on today's date in Viet Nam) lives
 *   in a parent's household and is listed among its members; an adult heads their own household
 *   unless married;
 * - from 57 people die, more often the older they are, each with a death registration; a widow heads
 *   the household after her husband; a household whose last member died ends that day. Since parents
 *   are at most 38 years older than their children, no minor has a dead parent (so no guardianship);
 * - ID cards, land certificates and registry offices follow the law of their issue date
 *   (lib/domain/id-card.ts, lib/domain/issuing-authorities.ts), and land use matches the commune kind.
 * Limits (documented for integrators): adult children are not listed in their parents' household.
 * IDs whose six serial digits are 000000 are unknown to every mock, to exercise "not found", and so
 * is a minor for whom no parent is found (about one in ten thousand, and every minor whose serial is
 * 999983 or more).
 */

const FAMILY_NAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE = { MALE: ['Văn', 'Hữu', 'Đức', 'Minh', 'Quang', 'Thành', 'Công', 'Gia'], FEMALE: ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Mai', 'Kim', 'Bảo', 'Thùy'] };
const GIVEN = {
  MALE: ['An', 'Bảo', 'Cường', 'Dũng', 'Hải', 'Hùng', 'Khang', 'Long', 'Nam', 'Phúc', 'Quân', 'Sơn', 'Tuấn', 'Việt', 'Đạt', 'Huy'],
  FEMALE: ['Anh', 'Bích', 'Chi', 'Dung', 'Giang', 'Hà', 'Hương', 'Lan', 'Linh', 'Mai', 'Ngọc', 'Phương', 'Thảo', 'Trang', 'Yến', 'Vy'],
};
const STREETS = [
  'đường Lê Lợi',
  'đường Trần Hưng Đạo',
  'đường Nguyễn Trãi',
  'đường Hùng Vương',
  'đường Quang Trung',
  'đường Lý Thường Kiệt',
  'đường Hai Bà Trưng',
  'đường Phan Chu Trinh',
];
/** Old-style commune names for registry offices of past registrations only; addresses come from data/communes.json. */
const COMMUNES = ['phường 1', 'phường 3', 'phường Tân Phú', 'phường Hòa Bình', 'xã Phước Long', 'xã An Thạnh', 'phường Trung Tâm', 'xã Tân Lập'];

/** Parents: the child's serial under a permutation of 1..SERIAL_PRIME-1, one multiplier per attempt. */
const SERIAL_PRIME = 999_983;
const FATHER_ATTEMPTS = 8;
const MOTHER_ATTEMPTS = 6;
const PARENT_MULTIPLIERS = Array.from({ length: FATHER_ATTEMPTS + MOTHER_ATTEMPTS }, (_, k) => 7_919 + 104_729 * k);
const FATHER_GAP = [22, 38] as const;
const MOTHER_GAP = [20, 38] as const;
/** Nobody dies younger in the synthetic population: older than any parent of a minor (38 + 18). */
const EARLIEST_DEATH_AGE = 57;
const ADULT_AGE = 18;

function mulMod(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) % BigInt(SERIAL_PRIME));
}

const PARENT_INVERSES = PARENT_MULTIPLIERS.map((m) => Number(modPow(BigInt(m), BigInt(SERIAL_PRIME - 2), BigInt(SERIAL_PRIME))));

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
  /** Today's date in Viet Nam, `YYYY-MM-DD`: ages, deaths and issue dates are measured against it. */
  private readonly today: string;
  private readonly currentYear: number;
  private readonly cache = new Map<string, PersonTruth | null>();
  private readonly households = new Map<string, HouseholdTruth | null>();

  constructor(options: WorldOptions = {}) {
    this.now = options.now ?? new Date();
    this.today = todayInVietnam(this.now);
    this.currentYear = Number(this.today.slice(0, 4));
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
    const cached = this.households.get(householdId);
    if (cached !== undefined) return cached ?? undefined;
    const household = this.synthesizeHousehold(householdId);
    if (this.households.size > 10_000) this.households.clear();
    this.households.set(householdId, household ?? null);
    return household;
  }

  private synthesizeHousehold(householdId: string): HouseholdTruth | undefined {
    const decoded = unscramble(householdId, 'HO');
    if (!decoded || decoded.slot !== 3) return undefined;
    const owner = this.person(decoded.key);
    if (!owner || owner.householdId !== householdId || NAMED_PEOPLE[decoded.key]) return undefined;
    const spouseId = this.syntheticSpouseOf(owner.personalId);
    const spouse = spouseId ? this.person(spouseId) : undefined;
    const adults = [owner, ...(spouse ? [spouse] : [])].map((person) => ({ person, died: this.deathDateOf(person.personalId) }));
    const living = adults.filter((a) => a.died === undefined);
    const member = (p: PersonTruth) => ({ personalId: p.personalId, relationship: p.relationshipToHead });
    if (living.length === 0) {
      // Closed at the death of its last member (the husband, if both died the same day), its head by then.
      const last = adults.filter((a) => a.person.relationshipToHead === 'HEAD').sort((a, b) => b.died!.localeCompare(a.died!))[0]!;
      return { householdId, headId: last.person.personalId, members: [member(last.person)], residence: owner.residence, endedOn: last.died };
    }
    const members = living.map((a) => member(a.person));
    for (const { person } of living) {
      for (const childId of this.minorChildrenOf(person.personalId)) members.push({ personalId: childId, relationship: 'CHILD' });
    }
    members.sort((a, b) => (a.relationship === 'HEAD' ? -1 : b.relationship === 'HEAD' ? 1 : 0));
    const head = members[0];
    if (!head) return undefined;
    return { householdId, headId: head.personalId, members, residence: owner.residence };
  }

  marriagesOf(personalId: string): MarriageTruth[] {
    if (NAMED_PEOPLE[personalId]) {
      return NAMED_MARRIAGES.filter((m) => m.husbandId === personalId || m.wifeId === personalId);
    }
    const marriage = this.syntheticMarriage(personalId);
    if (!marriage) return [];
    const ended = [this.deathDateOf(marriage.husbandId), this.deathDateOf(marriage.wifeId)].filter((d) => d !== undefined).sort()[0];
    return [ended ? { ...marriage, endedOn: parseDay(ended), endReason: 'DEATH' } : marriage];
  }

  birthRegistrationOf(personalId: string): BirthRegistrationTruth | undefined {
    if (NAMED_PEOPLE[personalId]) return NAMED_BIRTHS.find((b) => b.personalId === personalId);
    const person = this.person(personalId);
    if (!person || person.birthDate.day === undefined || person.birthDate.month === undefined) return undefined;
    const random = new SeededRandom(`birth-registration:${personalId}`);
    const registered = earlierOf(addDays(firstDayOf(person.birthDate), random.int(3, 60)), this.today);
    return {
      personalId,
      registrationNumber: `${random.int(1, 480)}/${registered.slice(0, 4)}`,
      registeredOn: parseDay(registered),
      registryOffice: civilRegistryOffice(random.pick(COMMUNES), personalId.slice(0, 3), registered).name,
      fullName: person.fullName,
      birthDate: person.birthDate,
      fatherId: person.fatherId,
      motherId: person.motherId,
    };
  }

  deathRegistrationOf(personalId: string): DeathRegistrationTruth | undefined {
    if (NAMED_PEOPLE[personalId]) return NAMED_DEATHS.find((d) => d.personalId === personalId);
    const person = this.person(personalId);
    const died = person && this.deathDateOf(personalId);
    if (!person || !died) return undefined;
    const random = new SeededRandom(`death-registration:${personalId}`);
    const registered = earlierOf(addDays(died, random.int(1, 15)), this.today);
    return {
      personalId,
      registrationNumber: `${random.int(1, 480)}/${registered.slice(0, 4)}`,
      registeredOn: parseDay(registered),
      dateOfDeath: parseDay(died),
      registryOffice: deathRegistryOffice(person.residence, registered).name,
    };
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
    const marriage = this.marriagesOf(decoded.key)[0];
    const spouseId = marriage && (marriage.husbandId === decoded.key ? marriage.wifeId : marriage.husbandId);
    const holders = spouseId ? [decoded.key, spouseId] : [decoded.key];
    const random = new SeededRandom(`parcel:${parcelId}`);
    const landUseType = random.pick(landUseTypesIn(localUnitKindOf(currentAddressOf(owner.residence).addressLine)));
    const residential = landUseType.startsWith('RESIDENTIAL');
    // Issued once the owner could hold land, not before a joint holder's marriage, not after a holder's death.
    let from = laterOf('1994-01-01', firstDayOf({ year: owner.birthDate.year + 20 }));
    if (marriage) from = laterOf(from, marriage.registeredOn.day !== undefined ? firstDayOf(marriage.registeredOn) : firstDayAfter(marriage.registeredOn));
    const to = holders.map((id) => this.deathDateOf(id)).reduce<string>((last, died) => (died ? earlierOf(last, died) : last), this.today);
    const serialNumber = `${random.pick(['BK', 'CS', 'DA', 'CH'])} ${String(random.int(0, 99_999_999)).padStart(8, '0')}`;
    const issuedOn = from <= to && random.chance(0.85) ? dayBetween(random, from, to) : undefined;
    return {
      parcelId,
      provinceCode: owner.residence.former.province,
      address: currentAddressOf(owner.residence).fullAddress,
      mapSheetNumber: random.int(1, 60),
      parcelNumber: random.int(1, 900),
      areaM2: residential ? random.int(40, 300) + random.int(0, 9) / 10 : random.int(300, 8000),
      landUseType,
      certificate: issuedOn ? { serialNumber, issuedOn, issuer: landCertificateIssuer(owner.residence.former.province, issuedOn).name } : undefined,
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
    const parents = this.parentsOf(personalId);
    const minor = this.isMinor(birthDate);
    if (minor && !parents) return undefined;
    const familyName = parents ? this.familyNameOf(parents.fatherId ?? parents.motherId) : random.pick(FAMILY_NAMES);
    const fullName = `${familyName} ${random.pick(MIDDLE[id.sex])} ${random.pick(GIVEN[id.sex])}`;
    const died = this.deathDateOf(personalId);
    const age = this.currentYear - id.birthYear;
    return {
      personalId,
      fullName,
      sex: id.sex,
      birthDate,
      status: died ? 'DECEASED' : 'ALIVE',
      ...(minor && parents ? this.childsHome(parents.fatherId ?? parents.motherId) : this.adultsHome(personalId, id.sex, id.provinceCode, id.birthYear)),
      fatherId: parents?.fatherId,
      motherId: parents?.motherId,
      idCard: this.idCardFor(personalId, birthDate, died, random),
      vneidLevel: age < 14 || died ? 'NONE' : random.pick<VneidLevel>(['LEVEL_2', 'LEVEL_2', 'LEVEL_2', 'LEVEL_1', 'NONE']),
    };
  }

  /** A minor lives in the household of the parent who brings them up (the father if married, else the mother). */
  private childsHome(parentId: string): Pick<PersonTruth, 'residence' | 'householdId' | 'relationshipToHead'> {
    const parent = this.person(parentId);
    if (!parent) throw new Error(`parent ${parentId} of a minor is unknown`);
    return { residence: parent.residence, householdId: parent.householdId, relationshipToHead: 'CHILD' };
  }

  /** An adult heads their own household, or shares the couple's: the husband heads it, the widow after him. */
  private adultsHome(personalId: string, sex: Sex, provinceCode: string, birthYear: number): Pick<PersonTruth, 'residence' | 'householdId' | 'relationshipToHead'> {
    const spouseId = this.syntheticSpouseOf(personalId);
    const ownerKey = spouseId ? (personalId < spouseId ? personalId : spouseId) : personalId;
    const wife = spouseId !== undefined && sex === 'FEMALE';
    const husbandDied = wife ? this.deathDateOf(spouseId) : undefined;
    const wifeDied = wife ? this.deathDateOf(personalId) : undefined;
    return {
      residence: this.residenceOf(ownerKey, wife ? spouseId.slice(0, 3) : provinceCode, birthYear),
      householdId: scramble(ownerKey, 3, 'HO'),
      relationshipToHead: wife && !(husbandDied !== undefined && (wifeDied === undefined || wifeDied > husbandDied)) ? 'SPOUSE' : 'HEAD',
    };
  }

  private birthDateFor(year: number, random: SeededRandom): PartialDate {
    const precision = year < 1960 ? random.next() : 1;
    if (precision < 0.25) return { year };
    let month = random.int(1, 12);
    let day = random.int(1, 28);
    if (year === this.currentYear) {
      const [thisMonth, today] = [Number(this.today.slice(5, 7)), Number(this.today.slice(8, 10))];
      month = Math.min(month, thisMonth);
      if (month === thisMonth) day = Math.min(day, today);
    }
    return precision < 0.35 ? { year, month } : { year, month, day };
  }

  /** The birth date alone: the first draws of the person's own sequence, without deriving the rest. */
  private birthDateOf(personalId: string): PartialDate {
    const named = NAMED_PEOPLE[personalId];
    if (named) return named.birthDate;
    return this.birthDateFor(decodePersonalId(personalId).birthYear, new SeededRandom(`person:${personalId}`));
  }

  private isMinor(birthDate: PartialDate): boolean {
    return ageOn(birthDate, this.today) < ADULT_AGE;
  }

  /**
   * The day this person died (YYYY-MM-DD), or undefined while alive. Nobody dies before 57; from
   * then the chance of being dead by today grows with age, to certainty at 105.
   */
  deathDateOf(personalId: string): string | undefined {
    if (NAMED_PEOPLE[personalId]) {
      const death = NAMED_DEATHS.find((d) => d.personalId === personalId);
      return death && firstDayOf(death.dateOfDeath);
    }
    const birth = this.birthDateOf(personalId);
    const from = birthday(birth, EARLIEST_DEATH_AGE);
    if (from > this.today) return undefined;
    const random = new SeededRandom(`death:${personalId}`);
    if (!random.chance(Math.min(1, (ageOn(birth, this.today) - EARLIEST_DEATH_AGE + 1) / 48))) return undefined;
    return dayBetween(random, from, this.today);
  }

  /**
   * The card held today (or at death): issued from 2021-01-01 (the chip card) and from age 14, on an
   * exact day; its model and expiry follow lib/domain/id-card.ts. Not everyone has one.
   */
  private idCardFor(personalId: string, birthDate: PartialDate, died: string | undefined, random: SeededRandom): PersonTruth['idCard'] {
    const from = laterOf(CHIP_CARDS_FROM, birthday(birthDate, FIRST_CARD_AGE));
    const to = died ? earlierOf(died, this.today) : this.today;
    if (from > to || !random.chance(0.9)) return undefined;
    const issuedOn = dayBetween(random, from, to);
    return { number: personalId, kind: idCardKindOn(issuedOn), issuedOn, expiresOn: idCardExpiry(birthDate, issuedOn) };
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
    const home = legacyUnitOn(birthProvinceCode, today);
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

  /** The couple's marriage as registered (its end, by a death, is added by marriagesOf). */
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
    const registeredOn: PartialDate = year < 1975 && random.chance(0.5) ? { year } : { year, month: random.int(1, 12), day: random.int(1, 28) };
    return {
      registrationNumber: `${random.int(1, 250)}/${year}`,
      registeredOn,
      registryOffice: civilRegistryOffice(random.pick(COMMUNES), personalId.slice(0, 3), firstDayOf(registeredOn)).name,
      husbandId,
      wifeId,
    };
  }

  /** A parent candidate: the child's serial under attempt k's permutation, in the child's province. */
  private parentCandidate(provinceCode: string, sex: Sex, birthYear: number, childSerial: number, attempt: number): string | undefined {
    if (birthYear < 1900 || childSerial <= 0 || childSerial >= SERIAL_PRIME) return undefined;
    const id = encodePersonalId(provinceCode, sex, birthYear, mulMod(childSerial, PARENT_MULTIPLIERS[attempt]!));
    return NAMED_PEOPLE[id] || id.endsWith('000000') || personalIdProblem(id, this.now) ? undefined : id;
  }

  /**
   * The first father candidate married by the child's birth year, with his wife; failing that, the
   * first unmarried mother candidate alone; failing both, none.
   */
  private parentsOf(personalId: string): { fatherId?: string; motherId: string } | undefined {
    const { provinceCode, birthYear } = decodePersonalId(personalId);
    const serial = Number(personalId.slice(6));
    const gaps = this.parentGaps(personalId);
    for (let attempt = 0; attempt < FATHER_ATTEMPTS; attempt++) {
      const fatherId = this.parentCandidate(provinceCode, 'MALE', birthYear - gaps[attempt]!, serial, attempt);
      const marriage = fatherId && this.syntheticMarriage(fatherId);
      if (fatherId && marriage && marriage.registeredOn.year <= birthYear) return { fatherId, motherId: marriage.wifeId };
    }
    for (let attempt = FATHER_ATTEMPTS; attempt < FATHER_ATTEMPTS + MOTHER_ATTEMPTS; attempt++) {
      const motherId = this.parentCandidate(provinceCode, 'FEMALE', birthYear - gaps[attempt]!, serial, attempt);
      if (motherId && !this.syntheticMarriage(motherId)) return { motherId };
    }
    return undefined;
  }

  /** How much older than the child each attempt's parent candidate is: fathers first, then mothers. */
  private parentGaps(personalId: string): number[] {
    const random = new SeededRandom(`parents:${personalId}`);
    return Array.from({ length: FATHER_ATTEMPTS + MOTHER_ATTEMPTS }, (_, attempt) => {
      const [min, max] = attempt < FATHER_ATTEMPTS ? FATHER_GAP : MOTHER_GAP;
      return random.int(min, max);
    });
  }

  /**
   * The minors whose household is this parent's: parentsOf inverted. A father's (married) or an
   * unmarried mother's; a married mother's children are found through her husband.
   */
  private minorChildrenOf(parentId: string): string[] {
    if (NAMED_PEOPLE[parentId]) return [];
    const { provinceCode, sex, birthYear } = decodePersonalId(parentId);
    const married = this.syntheticMarriage(parentId) !== undefined;
    if (married !== (sex === 'MALE')) return [];
    const serial = Number(parentId.slice(6));
    if (serial <= 0 || serial >= SERIAL_PRIME) return [];
    const [attempts, [minGap, maxGap]] = sex === 'MALE' ? [[0, FATHER_ATTEMPTS], FATHER_GAP] : [[FATHER_ATTEMPTS, FATHER_ATTEMPTS + MOTHER_ATTEMPTS], MOTHER_GAP];
    const children = new Set<string>();
    for (let attempt = attempts[0]!; attempt < attempts[1]!; attempt++) {
      const childSerial = mulMod(serial, PARENT_INVERSES[attempt]!);
      for (let year = Math.max(birthYear + minGap, this.currentYear - ADULT_AGE); year <= Math.min(birthYear + maxGap, this.currentYear); year++) {
        for (const childSex of ['MALE', 'FEMALE'] as const) {
          const childId = encodePersonalId(provinceCode, childSex, year, childSerial);
          if (NAMED_PEOPLE[childId] || childId.endsWith('000000') || personalIdProblem(childId, this.now)) continue;
          // Cheap first: this attempt's candidate is this parent only if its gap is this one.
          if (this.parentGaps(childId)[attempt] !== year - birthYear) continue;
          const parents = this.parentsOf(childId);
          const parent = sex === 'MALE' ? parents?.fatherId : parents?.fatherId === undefined ? parents?.motherId : undefined;
          if (parent === parentId && this.isMinor(this.birthDateOf(childId))) children.add(childId);
        }
      }
    }
    return [...children].sort();
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
/**
 * The office that registers a death at the deceased's residence: the commune of the time, with its
 * district before the two-level local government (2025-07-01).
 */
function deathRegistryOffice(residence: ResidenceTruth, registeredOn: string) {
  const { former, current } = residence;
  return registeredOn < TWO_LEVEL_GOVERNMENT_FROM
    ? civilRegistryOffice(former.commune, former.province, registeredOn, former.district)
    : civilRegistryOffice(current.commune, former.province, registeredOn);
}

export function currentAddressOf(residence: ResidenceTruth): { addressLine: string; fullAddress: string } {
  return formatAddress({
    street: residence.street,
    commune: residence.current.commune,
    district: null,
    province: provincialUnitById(residence.current.provinceId),
  });
}
