import type { BirthRegistrationTruth, DeathRegistrationTruth, HouseholdTruth, MarriageTruth, ParcelTruth, PersonTruth, ResidenceTruth, SocialInsuranceTruth } from './types.ts';

/**
 * Hand-written records that make the README examples meaningful: the Nguyễn household of Cầu
 * Giấy, Hà Nội — two parents, two children, the head's widowed mother (whose birth is recorded
 * only as a year) — the head's late father, a marriage, the children's birth registrations
 * naming both parents, a residential parcel co-owned by the spouses, and the grandmother's rice
 * field in Nam Định. Every ID here is valid and is never produced by the synthetic generator.
 */
export const NAMED_IDS = {
  head: '001085012345',
  wife: '036187004321',
  son: '001212003456',
  daughter: '001316007890',
  grandmother: '036138000123',
  lateGrandfather: '001035000456',
} as const;

const HOUSEHOLD_ID = 'HO-001-CGDVH-000042';
/** Registered in 2011, before the 2025 reorganisation: phường Dịch Vọng Hậu is part of phường Cầu Giấy since 2025-07-01 (data/communes.json). */
const HOME: ResidenceTruth = {
  street: 'Số 18, ngõ 42 phố Trần Quốc Hoàn',
  registeredOn: '2011-03-15',
  former: { commune: 'phường Dịch Vọng Hậu', district: 'quận Cầu Giấy', province: '001' },
  current: { commune: 'phường Cầu Giấy', provinceId: '001' },
};

export const NAMED_PEOPLE: Record<string, PersonTruth> = {
  [NAMED_IDS.head]: {
    personalId: NAMED_IDS.head,
    fullName: 'Nguyễn Văn An',
    sex: 'MALE',
    birthDate: { year: 1985, month: 3, day: 12 },
    status: 'ALIVE',
    residence: HOME,
    householdId: HOUSEHOLD_ID,
    relationshipToHead: 'HEAD',
    fatherId: NAMED_IDS.lateGrandfather,
    motherId: NAMED_IDS.grandmother,
    idCard: { number: NAMED_IDS.head, kind: 'IDENTITY_CARD', issuedOn: '2025-02-20', expiresOn: '2045-03-12' },
    vneidLevel: 'LEVEL_2',
  },
  [NAMED_IDS.wife]: {
    personalId: NAMED_IDS.wife,
    fullName: 'Trần Thị Bình',
    sex: 'FEMALE',
    birthDate: { year: 1987, month: 7, day: 21 },
    status: 'ALIVE',
    residence: HOME,
    householdId: HOUSEHOLD_ID,
    relationshipToHead: 'SPOUSE',
    idCard: { number: NAMED_IDS.wife, kind: 'CHIP_CITIZEN_ID', issuedOn: '2021-04-06', expiresOn: '2027-07-21' },
    vneidLevel: 'LEVEL_2',
  },
  [NAMED_IDS.son]: {
    personalId: NAMED_IDS.son,
    fullName: 'Nguyễn Minh Khang',
    sex: 'MALE',
    birthDate: { year: 2012, month: 5, day: 2 },
    status: 'ALIVE',
    residence: HOME,
    householdId: HOUSEHOLD_ID,
    relationshipToHead: 'CHILD',
    fatherId: NAMED_IDS.head,
    motherId: NAMED_IDS.wife,
    idCard: { number: NAMED_IDS.son, kind: 'IDENTITY_CARD', issuedOn: '2026-06-15', expiresOn: '2037-05-02' },
    vneidLevel: 'LEVEL_1',
  },
  [NAMED_IDS.daughter]: {
    personalId: NAMED_IDS.daughter,
    fullName: 'Nguyễn Ngọc Hà',
    sex: 'FEMALE',
    birthDate: { year: 2016, month: 9, day: 15 },
    status: 'ALIVE',
    residence: HOME,
    householdId: HOUSEHOLD_ID,
    relationshipToHead: 'CHILD',
    fatherId: NAMED_IDS.head,
    motherId: NAMED_IDS.wife,
    vneidLevel: 'NONE',
  },
  [NAMED_IDS.grandmother]: {
    personalId: NAMED_IDS.grandmother,
    fullName: 'Lê Thị Cúc',
    sex: 'FEMALE',
    birthDate: { year: 1938 },
    status: 'ALIVE',
    residence: HOME,
    householdId: HOUSEHOLD_ID,
    relationshipToHead: 'MOTHER',
    idCard: { number: NAMED_IDS.grandmother, kind: 'CHIP_CITIZEN_ID', issuedOn: '2021-05-10' },
    vneidLevel: 'NONE',
  },
  [NAMED_IDS.lateGrandfather]: {
    personalId: NAMED_IDS.lateGrandfather,
    fullName: 'Nguyễn Văn Đức',
    sex: 'MALE',
    birthDate: { year: 1935, month: 8, day: 19 },
    status: 'DECEASED',
    residence: HOME,
    householdId: 'HO-001-CGDVH-000017',
    relationshipToHead: 'HEAD',
    // He died in 2020, before the chip card (2021); the bar-code card he held is not served.
    vneidLevel: 'NONE',
  },
};

export const NAMED_HOUSEHOLDS: Record<string, HouseholdTruth> = {
  [HOUSEHOLD_ID]: {
    householdId: HOUSEHOLD_ID,
    headId: NAMED_IDS.head,
    residence: HOME,
    members: [
      { personalId: NAMED_IDS.head, relationship: 'HEAD' },
      { personalId: NAMED_IDS.wife, relationship: 'SPOUSE' },
      { personalId: NAMED_IDS.son, relationship: 'CHILD' },
      { personalId: NAMED_IDS.daughter, relationship: 'CHILD' },
      { personalId: NAMED_IDS.grandmother, relationship: 'MOTHER' },
    ],
  },
  // The late grandfather's household record was closed at his death; he was its only member left.
  'HO-001-CGDVH-000017': {
    householdId: 'HO-001-CGDVH-000017',
    headId: NAMED_IDS.lateGrandfather,
    residence: HOME,
    members: [{ personalId: NAMED_IDS.lateGrandfather, relationship: 'HEAD' }],
    endedOn: '2020-11-02',
  },
};

const CAU_GIAY_WARD = 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội';

export const NAMED_MARRIAGES: MarriageTruth[] = [
  {
    registrationNumber: '45/2010',
    registeredOn: { year: 2010, month: 10, day: 10 },
    registryOffice: CAU_GIAY_WARD,
    husbandId: NAMED_IDS.head,
    wifeId: NAMED_IDS.wife,
  },
  {
    // Registered in 1958; the digitised book keeps only the year.
    registrationNumber: '12/1958',
    registeredOn: { year: 1958 },
    registryOffice: 'UBND xã Nam Thanh, huyện Nam Trực, tỉnh Nam Định',
    husbandId: NAMED_IDS.lateGrandfather,
    wifeId: NAMED_IDS.grandmother,
    endedOn: { year: 2020, month: 11, day: 2 },
    endReason: 'DEATH',
  },
];

export const NAMED_BIRTHS: BirthRegistrationTruth[] = [
  {
    personalId: NAMED_IDS.son,
    registrationNumber: '118/2012',
    registeredOn: { year: 2012, month: 5, day: 21 },
    registryOffice: CAU_GIAY_WARD,
    fullName: 'Nguyễn Minh Khang',
    birthDate: { year: 2012, month: 5, day: 2 },
    fatherId: NAMED_IDS.head,
    motherId: NAMED_IDS.wife,
  },
  {
    personalId: NAMED_IDS.daughter,
    registrationNumber: '203/2016',
    registeredOn: { year: 2016, month: 10, day: 3 },
    registryOffice: CAU_GIAY_WARD,
    fullName: 'Nguyễn Ngọc Hà',
    birthDate: { year: 2016, month: 9, day: 15 },
    fatherId: NAMED_IDS.head,
    motherId: NAMED_IDS.wife,
  },
  {
    personalId: NAMED_IDS.head,
    registrationNumber: '67/1985',
    registeredOn: { year: 1985, month: 4 },
    registryOffice: 'UBND xã Dịch Vọng, huyện Từ Liêm, thành phố Hà Nội',
    fullName: 'Nguyễn Văn An',
    birthDate: { year: 1985, month: 3, day: 12 },
    fatherId: NAMED_IDS.lateGrandfather,
    motherId: NAMED_IDS.grandmother,
  },
];

export const NAMED_DEATHS: DeathRegistrationTruth[] = [
  {
    personalId: NAMED_IDS.lateGrandfather,
    registrationNumber: '31/2020',
    registeredOn: { year: 2020, month: 11, day: 5 },
    dateOfDeath: { year: 2020, month: 11, day: 2 },
    registryOffice: CAU_GIAY_WARD,
  },
];

export const NAMED_PARCELS: ParcelTruth[] = [
  {
    parcelId: 'TD-001-CG-0012-0345',
    provinceCode: '001',
    address: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
    mapSheetNumber: 12,
    parcelNumber: 345,
    areaM2: 92.5,
    landUseType: 'RESIDENTIAL_URBAN',
    certificate: { serialNumber: 'CS 01234567', issuedOn: '2013-06-20', issuer: 'Sở Tài nguyên và Môi trường thành phố Hà Nội' },
    rightHolders: [
      { personalId: NAMED_IDS.head, share: 0.5 },
      { personalId: NAMED_IDS.wife, share: 0.5 },
    ],
  },
  {
    parcelId: 'TD-036-NT-0021-0456',
    provinceCode: '036',
    address: 'Xóm 3, xã Nam Thanh, huyện Nam Trực, tỉnh Nam Định',
    mapSheetNumber: 21,
    parcelNumber: 456,
    areaM2: 360,
    landUseType: 'RICE',
    certificate: { serialNumber: 'BK 00482913', issuedOn: '2011-09-14', issuer: 'UBND huyện Nam Trực' },
    rightHolders: [{ personalId: NAMED_IDS.grandmother, share: 1 }],
  },
];

/**
 * The household in the national insurance database: the head has contributed through two employers
 * since 2007, the wife moved to voluntary insurance, the children and the grandmother are insured
 * for health only, and so was the late grandfather until his death. Cards are not
 * written here: they follow from these records and the law (subgraphs/social-insurance/mock).
 */
export const NAMED_SOCIAL_INSURANCE: Record<string, SocialInsuranceTruth> = {
  [NAMED_IDS.head]: {
    socialInsuranceNumber: '0107012345',
    participation: [
      { scheme: 'COMPULSORY', fromMonth: '2007-08', toMonth: '2013-12' },
      { scheme: 'COMPULSORY', fromMonth: '2014-03' },
    ],
    healthInsuredOtherwise: false,
  },
  [NAMED_IDS.wife]: {
    socialInsuranceNumber: '0109054321',
    participation: [
      { scheme: 'COMPULSORY', fromMonth: '2009-10', toMonth: '2019-06' },
      { scheme: 'VOLUNTARY', fromMonth: '2021-01' },
    ],
    healthInsuredOtherwise: false,
  },
  [NAMED_IDS.son]: { socialInsuranceNumber: '0112003456', participation: [], healthInsuredOtherwise: true },
  [NAMED_IDS.daughter]: { socialInsuranceNumber: '0116007890', participation: [], healthInsuredOtherwise: true },
  [NAMED_IDS.grandmother]: { socialInsuranceNumber: '3638000123', participation: [], healthInsuredOtherwise: true },
  [NAMED_IDS.lateGrandfather]: { socialInsuranceNumber: '0135000456', participation: [], healthInsuredOtherwise: true },
};
