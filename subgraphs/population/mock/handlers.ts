import { healthHandler } from '../../../lib/devkit/mock-server.ts';
import { partition } from '../../../lib/devkit/mock-handlers.ts';
import { route, type MockRoute } from '../../../lib/devkit/mock-routes.ts';
import { formatPartialDate } from '../../../lib/domain/partial-date.ts';
import { legacyUnitOn, provincialUnitById, TWO_LEVEL_GOVERNMENT_FROM, unitOfLegacyCode } from '../../../lib/domain/administrative-units.ts';
import type { HouseholdTruth, PersonTruth, Relationship, ResidenceTruth } from '../../../lib/domain/synthetic/types.ts';
import { SyntheticWorld } from '../../../lib/domain/synthetic/world.ts';
import {
  citizensBatchRequest,
  householdsBatchRequest,
  verifyRequest,
  type CitizenRecord,
  type HouseholdRecord,
  type RelationshipCode,
  type ResidenceRecord,
} from '../adapter/wire.ts';

const RELATIONSHIP_CODES: Record<Relationship, RelationshipCode> = {
  HEAD: 'CHU_HO',
  SPOUSE: 'VO_CHONG',
  CHILD: 'CON',
  FATHER: 'CHA',
  MOTHER: 'ME',
  GRANDCHILD: 'CHAU',
  OTHER: 'KHAC',
};

/** The route table of the population backend (contract: ../adapter/CONTRACT.md). */
export function populationHandlers(world: SyntheticWorld = new SyntheticWorld()): MockRoute[] {
  /**
   * The record of a residence: registered before 2025-07-01, as the former commune and district in
   * the province of the 63-unit table; from then on, as the commune and unit of its day, no district.
   */
  const residence = (r: ResidenceTruth): ResidenceRecord => {
    const current = provincialUnitById(r.current.provinceId)!;
    const unitThen = legacyUnitOn(r.former.province, r.registeredOn);
    const asRegistered =
      r.registeredOn < TWO_LEVEL_GOVERNMENT_FROM
        ? { provinceCode: (unitThen ?? unitOfLegacyCode(r.former.province)!).code, district: r.former.district, commune: r.former.commune }
        : { provinceCode: (unitThen ?? current).code, district: null, commune: r.current.commune };
    return {
      registeredOn: r.registeredOn,
      street: r.street,
      asRegistered,
      current: { provinceCode: current.code, commune: r.current.commune },
    };
  };

  const citizenRecord = (person: PersonTruth): CitizenRecord => {
    const current = world.marriagesOf(person.personalId).find((m) => m.endedOn === undefined);
    const spouseId = current ? (current.husbandId === person.personalId ? current.wifeId : current.husbandId) : null;
    return {
      personalId: person.personalId,
      fullName: person.fullName,
      gender: person.sex === 'MALE' ? 'NAM' : 'NU',
      dateOfBirth: person.birthDate,
      status: person.status,
      permanentResidence: residence(person.residence),
      householdId: person.householdId,
      relationshipToHead: RELATIONSHIP_CODES[person.relationshipToHead],
      fatherId: person.fatherId ?? null,
      motherId: person.motherId ?? null,
      spouseId,
      idCard: person.idCard
        ? {
            number: person.idCard.number,
            kind: person.idCard.kind === 'CHIP_CITIZEN_ID' ? 'CCCD' : 'CAN_CUOC',
            issuedOn: person.idCard.issuedOn,
            expiresOn: person.idCard.expiresOn ?? null,
          }
        : null,
      vneidLevel: person.vneidLevel === 'LEVEL_2' ? 2 : person.vneidLevel === 'LEVEL_1' ? 1 : 0,
    };
  };

  const householdRecord = (household: HouseholdTruth): HouseholdRecord => ({
    householdId: household.householdId,
    headId: household.headId,
    residence: residence(household.residence),
    members: household.members.map((m) => ({ personalId: m.personalId, relationship: RELATIONSHIP_CODES[m.relationship] })),
    endedOn: household.endedOn ?? null,
  });

  const normalizeName = (name: string) => name.normalize('NFC').toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();

  return [
    healthHandler('population'),
    route.post('/v1/citizens/batch-get', (request) => {
      const read = request.json(citizensBatchRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.personalIds, (id) => world.person(id));
      return { status: 200, json: { citizens: found.map(citizenRecord), notFound } };
    }),
    route.post('/v1/households/batch-get', (request) => {
      const read = request.json(householdsBatchRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.householdIds, (id) => world.household(id));
      return { status: 200, json: { households: found.map(householdRecord), notFound } };
    }),
    route.post('/v1/citizens/verify', (request) => {
      const read = request.json(verifyRequest);
      if (!read.ok) return read.reply;
      const person = world.person(read.body.personalId);
      const match = person !== undefined && normalizeName(person.fullName) === normalizeName(read.body.fullName) && formatPartialDate(person.birthDate) === read.body.dateOfBirth;
      return { status: 200, json: { match } };
    }),
  ];
}
