import type { PartialDate } from '../partial-date.ts';
import type { LandUseType } from '../land-use.ts';
import type { Sex } from '../personal-id.ts';
import type { IdCardKind } from '../id-card.ts';

/**
 * The mocks' shared picture of the population. Each mock backend projects it into its own wire
 * format, so a citizen's population record, civil-status records and land parcels always agree.
 */
export type Relationship = 'HEAD' | 'SPOUSE' | 'CHILD' | 'FATHER' | 'MOTHER' | 'GRANDCHILD' | 'OTHER';
export type { IdCardKind } from '../id-card.ts';
export type VneidLevel = 'NONE' | 'LEVEL_1' | 'LEVEL_2';
export type LifeStatus = 'ALIVE' | 'DECEASED';

/**
 * A registered permanent residence: the house, the day it was registered, and where it lies in the
 * units before 2025-07-01 (commune, district, province of the 63-unit table) and today (commune and
 * provincial unit, no district), both from data/communes.json.
 */
export interface ResidenceTruth {
  /** House number, alley and street. */
  street: string;
  /** Day the residence was registered, YYYY-MM-DD. */
  registeredOn: string;
  former: { commune: string; district: string; province: string };
  current: { commune: string; provinceId: string };
}

export interface PersonTruth {
  personalId: string;
  fullName: string;
  sex: Sex;
  birthDate: PartialDate;
  status: LifeStatus;
  residence: ResidenceTruth;
  householdId: string;
  relationshipToHead: Relationship;
  fatherId?: string | undefined;
  motherId?: string | undefined;
  idCard?: { number: string; kind: IdCardKind; issuedOn: string; expiresOn?: string | undefined } | undefined;
  vneidLevel: VneidLevel;
}

export interface HouseholdTruth {
  householdId: string;
  headId: string;
  /** Its living members; once none is left, the last member, and the household has ended. */
  members: { personalId: string; relationship: Relationship }[];
  residence: ResidenceTruth;
  /** The day the household record was closed: its last member's death. */
  endedOn?: string | undefined;
}

export interface MarriageTruth {
  registrationNumber: string;
  registeredOn: PartialDate;
  registryOffice: string;
  husbandId: string;
  wifeId: string;
  endedOn?: PartialDate | undefined;
  endReason?: 'DIVORCE' | 'DEATH' | undefined;
}

export interface BirthRegistrationTruth {
  personalId: string;
  registrationNumber: string;
  registeredOn: PartialDate;
  registryOffice: string;
  fullName: string;
  birthDate: PartialDate;
  fatherId?: string | undefined;
  motherId?: string | undefined;
}

export interface DeathRegistrationTruth {
  personalId: string;
  registrationNumber: string;
  registeredOn: PartialDate;
  dateOfDeath: PartialDate;
  registryOffice: string;
}

export type { LandUseType } from '../land-use.ts';

export interface ParcelTruth {
  parcelId: string;
  provinceCode: string;
  address: string;
  mapSheetNumber: number;
  parcelNumber: number;
  areaM2: number;
  landUseType: LandUseType;
  certificate?: { serialNumber: string; issuedOn: string; issuer: string } | undefined;
  rightHolders: { personalId: string; share: number }[];
}

/** A period of social-insurance contributions, by month (`YYYY-MM`); `toMonth` undefined while it continues. */
export interface ParticipationTruth {
  scheme: 'COMPULSORY' | 'VOLUNTARY';
  fromMonth: string;
  toMonth?: string | undefined;
}

/** What the national insurance database holds of a person besides their card, which follows from it and the law. */
export interface SocialInsuranceTruth {
  socialInsuranceNumber: string;
  participation: ParticipationTruth[];
  /** Insured for health other than by their own contributions: by the state, a household, a pension. */
  healthInsuredOtherwise: boolean;
}
