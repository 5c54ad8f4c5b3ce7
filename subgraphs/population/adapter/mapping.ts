import type { PartialDate } from '../../../lib/domain/partial-date.ts';
import type { Sex } from '../../../lib/domain/personal-id.ts';
import type { CitizenRecord, HouseholdRecord, RelationshipCode } from './wire.ts';
import type { HouseholdRelationship, IdCardKind, LifeStatus, VneidLevel } from '../generated/resolvers.ts';

/** The population domain as the subgraph sees it, independent of the backend's wire codes. */

export interface ResidenceModel {
  registeredOn: string;
  street: string;
  asRegistered: { provinceCode: string; district: string | null; commune: string };
  current: { provinceCode: string; commune: string };
}

export interface CitizenModel {
  personalId: string;
  fullName: string;
  dateOfBirth: PartialDate;
  sex: Sex;
  lifeStatus: LifeStatus;
  residence: ResidenceModel | null;
  householdId: string | null;
  relationshipToHead: HouseholdRelationship | null;
  fatherId: string | null;
  motherId: string | null;
  spouseId: string | null;
  idCard: { number: string; kind: IdCardKind; issuedOn: string; expiresOn: string | null } | null;
  vneidLevel: VneidLevel;
}

export interface HouseholdModel {
  id: string;
  headId: string;
  residence: ResidenceModel;
  members: HouseholdMemberModel[];
  endedOn: string | null;
}

export interface HouseholdMemberModel {
  personalId: string;
  relationship: HouseholdRelationship;
}

const RELATIONSHIPS: Record<RelationshipCode, HouseholdRelationship> = {
  CHU_HO: 'HEAD',
  VO_CHONG: 'SPOUSE',
  CON: 'CHILD',
  CHA: 'FATHER',
  ME: 'MOTHER',
  CHAU: 'GRANDCHILD',
  KHAC: 'OTHER',
};

/** The backend's levels 0, 1 and 2. */
const VNEID_LEVELS: Record<0 | 1 | 2, VneidLevel> = { 0: 'NONE', 1: 'LEVEL_1', 2: 'LEVEL_2' };

export function citizenFromRecord(record: CitizenRecord): CitizenModel {
  return {
    personalId: record.personalId,
    fullName: record.fullName,
    dateOfBirth: record.dateOfBirth,
    sex: record.gender === 'NAM' ? 'MALE' : 'FEMALE',
    lifeStatus: record.status,
    residence: record.permanentResidence,
    householdId: record.householdId,
    relationshipToHead: record.relationshipToHead ? RELATIONSHIPS[record.relationshipToHead] : null,
    fatherId: record.fatherId,
    motherId: record.motherId,
    spouseId: record.spouseId,
    idCard: record.idCard && {
      number: record.idCard.number,
      kind: record.idCard.kind === 'CCCD' ? 'CHIP_CITIZEN_ID' : 'IDENTITY_CARD',
      issuedOn: record.idCard.issuedOn,
      expiresOn: record.idCard.expiresOn,
    },
    vneidLevel: VNEID_LEVELS[record.vneidLevel],
  };
}

export function householdFromRecord(record: HouseholdRecord): HouseholdModel {
  return {
    id: record.householdId,
    headId: record.headId,
    residence: record.residence,
    members: record.members.map((m) => ({ personalId: m.personalId, relationship: RELATIONSHIPS[m.relationship] })),
    endedOn: record.endedOn,
  };
}
