import { describe, expect, it } from 'vitest';
import { provincialUnitsOn, todayInVietnam } from '../administrative-units.ts';
import { formatPartialDate, type PartialDate } from '../partial-date.ts';
import { encodePersonalId } from '../personal-id.ts';
import { NAMED_IDS } from './named.ts';
import type { PersonTruth } from './types.ts';
import { SyntheticWorld } from './world.ts';

const now = new Date('2026-11-23T00:00:00Z');
const today = todayInVietnam(now);
const world = new SyntheticWorld({ now });
const sampleIds = Array.from({ length: 400 }, (_, i) => encodePersonalId(['001', '079', '048', '096'][i % 4]!, i % 2 ? 'FEMALE' : 'MALE', 1935 + (i % 88), 1000 + i * 7919));
const sample = sampleIds.filter((id) => world.person(id));

/** The generated world around the sample: everyone reachable through parents, spouses and households. */
function reachable(): PersonTruth[] {
  const seen = new Map<string, PersonTruth>();
  const queue = [...sample, ...Object.values(NAMED_IDS)];
  while (queue.length > 0 && seen.size < 4000) {
    const id = queue.shift()!;
    const person = world.person(id);
    if (!person || seen.has(id)) continue;
    seen.set(id, person);
    const spouses = world.marriagesOf(id).flatMap((m) => [m.husbandId, m.wifeId]);
    const members = world.household(person.householdId)?.members.map((m) => m.personalId) ?? [];
    for (const next of [person.fatherId, person.motherId, ...spouses, ...members]) if (next && !seen.has(next)) queue.push(next);
  }
  return [...seen.values()];
}
const people = reachable();

/** Dates compared by hand, independently of the generator's helpers. */
const iso = (d: PartialDate) => formatPartialDate(d);
const turns = (birth: PartialDate, age: number) => `${birth.year + age}-${String(birth.month).padStart(2, '0')}-${String(birth.day).padStart(2, '0')}`;
const exactAge = (birth: PartialDate, on: string) => {
  const years = Number(on.slice(0, 4)) - birth.year;
  return turns(birth, years) <= on ? years : years - 1;
};
const fullBirth = (p: PersonTruth) => p.birthDate.month !== undefined && p.birthDate.day !== undefined;

describe('synthetic population', () => {
  it('covers a generated world of thousands, with minors, couples and the dead', () => {
    expect(sample.length).toBeGreaterThan(390);
    expect(people.length).toBeGreaterThan(1500);
  });

  it('is deterministic: the same ID is the same person, household and parcels in a fresh world', () => {
    const again = new SyntheticWorld({ now });
    for (const person of people.slice(0, 300)) {
      const id = person.personalId;
      expect(again.person(id)).toEqual(person);
      expect(again.household(person.householdId)).toEqual(world.household(person.householdId));
      expect(again.parcelsOf(id)).toEqual(world.parcelsOf(id));
      expect(again.deathRegistrationOf(id)).toEqual(world.deathRegistrationOf(id));
    }
  });

  it('agrees with the ID it was derived from', () => {
    for (const id of sample) {
      const person = world.person(id)!;
      expect(person.birthDate.year).toBe(1935 + (sampleIds.indexOf(id) % 88));
      expect(person.sex).toBe(Number(id[3]) % 2 ? 'FEMALE' : 'MALE');
    }
  });

  it('pairs spouses symmetrically, in one household while both live, co-owning their parcels', () => {
    let couples = 0;
    for (const { personalId: id } of people) {
      const [marriage] = world.marriagesOf(id);
      if (!marriage || marriage.endedOn) continue;
      couples++;
      const partner = marriage.husbandId === id ? marriage.wifeId : marriage.husbandId;
      expect(world.marriagesOf(partner)).toEqual([marriage]);
      expect(world.person(partner)!.householdId).toBe(world.person(id)!.householdId);
      expect(world.parcelsOf(partner)).toEqual(world.parcelsOf(id));
      for (const parcel of world.parcelsOf(id)) {
        expect(parcel.rightHolders.map((h) => h.personalId).sort()).toEqual([id, partner].sort());
      }
    }
    expect(couples).toBeGreaterThan(300);
  });

  it('gives a child the family name of the parent it is registered to, as its birth registration says', () => {
    let children = 0;
    let motherOnly = 0;
    for (const person of people) {
      if (!person.motherId || !world.person(person.motherId)) continue;
      children++;
      const parent = world.person(person.fatherId ?? person.motherId)!;
      expect(person.fullName.split(' ')[0]).toBe(parent.fullName.split(' ')[0]);
      if (person.fatherId) expect(world.marriagesOf(person.fatherId)[0]?.wifeId).toBe(person.motherId);
      else motherOnly++;
      const birth = world.birthRegistrationOf(person.personalId);
      if (birth) expect([birth.fatherId, birth.motherId, birth.fullName]).toEqual([person.fatherId, person.motherId, person.fullName]);
    }
    expect(children).toBeGreaterThan(500);
    expect(motherOnly).toBeGreaterThan(0);
  });

  it('houses every minor with a living parent, listed as a member of the parent’s household', () => {
    let minors = 0;
    for (const person of people) {
      if (!fullBirth(person) || exactAge(person.birthDate, today) >= 18) continue;
      minors++;
      const household = world.household(person.householdId)!;
      const members = household.members.map((m) => m.personalId);
      expect(household.endedOn, person.personalId).toBeUndefined();
      expect(members, person.personalId).toContain(person.personalId);
      const parents = [person.fatherId, person.motherId].filter((p) => p && members.includes(p));
      expect(parents.length, person.personalId).toBeGreaterThan(0);
      for (const parent of parents) expect(world.person(parent!)!.status).toBe('ALIVE');
      expect(person.relationshipToHead).toBe('CHILD');
      expect([person.fatherId, person.motherId]).toContain(household.headId);
    }
    expect(minors).toBeGreaterThan(100);
  });

  it('lists in each household exactly the people it is the household of, with one head', () => {
    for (const person of people) {
      const household = world.household(person.householdId)!;
      expect(world.household(person.householdId)).toEqual(household);
      expect(household.members.filter((m) => m.relationship === 'HEAD').map((m) => m.personalId)).toEqual([household.headId]);
      for (const member of household.members) {
        const them = world.person(member.personalId)!;
        expect(them.householdId).toBe(household.householdId);
        expect(them.relationshipToHead).toBe(member.relationship);
      }
      const listed = household.members.some((m) => m.personalId === person.personalId);
      if (person.status === 'ALIVE') expect(listed, person.personalId).toBe(true);
    }
    expect(world.parcel('TD-ZZZZZZZZZZZZ')).toBeUndefined();
    expect(world.household('HO-000000000001')).toBeUndefined();
  });

  it('lets people die: a death registration after birth and not in the future, the household and marriage ended', () => {
    const dead = people.filter((p) => p.status === 'DECEASED');
    expect(dead.length).toBeGreaterThan(50);
    for (const person of people) {
      const death = world.deathRegistrationOf(person.personalId);
      expect(death !== undefined, person.personalId).toBe(person.status === 'DECEASED');
      if (!death) continue;
      const died = iso(death.dateOfDeath);
      expect(died > iso(person.birthDate)).toBe(true);
      expect(died <= today && iso(death.registeredOn) >= died && iso(death.registeredOn) <= today).toBe(true);
      const household = world.household(person.householdId)!;
      const listed = household.members.some((m) => m.personalId === person.personalId);
      if (listed) {
        // Only as the last member of a household that ended with them.
        expect(household.members).toHaveLength(1);
        expect(household.endedOn! >= died).toBe(true);
      }
      for (const marriage of world.marriagesOf(person.personalId)) {
        expect(marriage.endReason).toBe('DEATH');
        expect(iso(marriage.endedOn!) <= died).toBe(true);
      }
      if (person.idCard) expect(person.idCard.issuedOn <= died).toBe(true);
    }
    const ended = people.map((p) => world.household(p.householdId)!).filter((h) => h.endedOn);
    expect(ended.length).toBeGreaterThan(10);
    for (const household of ended) {
      const deaths = household.members.map((m) => iso(world.deathRegistrationOf(m.personalId)!.dateOfDeath));
      expect(deaths.sort().at(-1)).toBe(household.endedOn);
    }
  });

  it('issues chip cards only from 2021 and căn cước cards from 2024-07-01, expiring on the birthday of the next renewal age', () => {
    let cards = 0;
    for (const person of people) {
      const card = person.idCard;
      if (!card) continue;
      cards++;
      expect(card.issuedOn >= '2021-01-01' && card.issuedOn <= today, person.personalId).toBe(true);
      expect(card.kind).toBe(card.issuedOn < '2024-07-01' ? 'CHIP_CITIZEN_ID' : 'IDENTITY_CARD');
      if (!fullBirth(person)) {
        // Only people born before 1960, at least 61 in 2021: valid for life.
        expect(person.birthDate.year).toBeLessThan(1960);
        expect(card.expiresOn).toBeUndefined();
        continue;
      }
      const age = exactAge(person.birthDate, card.issuedOn);
      expect(age).toBeGreaterThanOrEqual(14);
      const expected = age < 23 ? turns(person.birthDate, 25) : age < 38 ? turns(person.birthDate, 40) : age < 58 ? turns(person.birthDate, 60) : undefined;
      expect(card.expiresOn, person.personalId).toBe(expected);
    }
    expect(cards).toBeGreaterThan(500);
  });

  it('deals land-use codes by the commune kind: ODT only in a phường, ONT only in a xã', () => {
    const parcels = people.flatMap((p) => world.parcelsOf(p.personalId));
    const residential = parcels.filter((p) => p.landUseType.startsWith('RESIDENTIAL'));
    expect(residential.length).toBeGreaterThan(50);
    for (const parcel of residential) {
      const urban = /(^|, )(phường|thị trấn) /.test(parcel.address);
      const rural = /(^|, )xã /.test(parcel.address);
      expect(parcel.landUseType, parcel.address).toBe(urban ? 'RESIDENTIAL_URBAN' : rural ? 'RESIDENTIAL_RURAL' : 'none');
    }
    expect(new Set(residential.map((p) => p.landUseType)).size).toBe(2);
  });

  it('names the certificate issuer of the issue date, and no joint certificate before the marriage', () => {
    const parcels = [...new Map(people.flatMap((p) => world.parcelsOf(p.personalId)).map((p) => [p.parcelId, p])).values()];
    const byPeriod = { before: 0, merged: 0, twoLevel: 0, joint: 0 };
    for (const parcel of parcels) {
      const certificate = parcel.certificate;
      if (!certificate) continue;
      expect(certificate.issuedOn <= today).toBe(true);
      const provinces = provincialUnitsOn(certificate.issuedOn).map((u) => u.officialName.toLowerCase());
      const provincial = certificate.issuer.startsWith('Sở ');
      if (provincial)
        expect(
          provinces.some((name) => certificate.issuer.toLowerCase().endsWith(name)),
          certificate.issuer,
        ).toBe(true);
      if (certificate.issuedOn < '2025-03-01') {
        byPeriod.before++;
        expect(certificate.issuer).toMatch(/^(Sở Tài nguyên và Môi trường|UBND (huyện|quận|thị xã)) /);
      } else {
        byPeriod[certificate.issuedOn < '2025-07-01' ? 'merged' : 'twoLevel']++;
        expect(certificate.issuer).toMatch(/^Sở Nông nghiệp và Môi trường /);
      }
      for (const holder of parcel.rightHolders) {
        const death = world.deathRegistrationOf(holder.personalId);
        if (death) expect(certificate.issuedOn <= iso(death.dateOfDeath)).toBe(true);
      }
      if (parcel.rightHolders.length < 2) continue;
      byPeriod.joint++;
      const [a, b] = parcel.rightHolders.map((h) => h.personalId);
      const marriage = world.marriagesOf(a!).find((m) => [m.husbandId, m.wifeId].includes(b!))!;
      const registered = marriage.registeredOn;
      if (registered.day !== undefined) expect(certificate.issuedOn >= iso(registered)).toBe(true);
      else expect(certificate.issuedOn.slice(0, registered.month ? 7 : 4) > iso(registered)).toBe(true);
    }
    expect(byPeriod.before).toBeGreaterThan(50);
    expect(byPeriod.merged + byPeriod.twoLevel).toBeGreaterThan(0);
    expect(byPeriod.joint).toBeGreaterThan(50);
  });

  it('names the registry office of the registration date: no district from 2025-07-01, the province of that day', () => {
    const registrations = people.flatMap((p) => [world.birthRegistrationOf(p.personalId), world.deathRegistrationOf(p.personalId), ...world.marriagesOf(p.personalId)]);
    let twoLevel = 0;
    for (const registration of registrations) {
      if (!registration) continue;
      const on = iso(registration.registeredOn);
      const day = on.length === 4 ? `${on}-12-31` : on.length === 7 ? `${on}-28` : on;
      expect(registration.registryOffice).toMatch(/^UBND /);
      if (day < '2025-07-01') continue;
      twoLevel++;
      expect(registration.registryOffice).not.toMatch(/, (huyện|quận|thị xã) /);
      const provinces = provincialUnitsOn(day).map((u) => u.officialName.toLowerCase());
      expect(
        provinces.some((name) => registration.registryOffice.toLowerCase().endsWith(name)),
        registration.registryOffice,
      ).toBe(true);
    }
    expect(twoLevel).toBeGreaterThan(0);
  });

  it('never invents a day or month for a year-only record', () => {
    const partial = sample.map((id) => world.person(id)!).filter((p) => p.birthDate.month === undefined);
    expect(partial.length).toBeGreaterThan(0);
    for (const person of partial) {
      expect(person.birthDate.year).toBeLessThan(1960);
      expect(world.birthRegistrationOf(person.personalId)).toBeUndefined();
    }
  });

  it('serves the named household as written, and knows nobody with serial 000000', () => {
    expect(world.person(NAMED_IDS.grandmother)?.birthDate).toEqual({ year: 1938 });
    expect(world.household(world.person(NAMED_IDS.head)!.householdId)?.members).toHaveLength(5);
    const late = world.person(NAMED_IDS.lateGrandfather)!;
    expect([late.status, late.idCard, world.household(late.householdId)?.endedOn]).toEqual(['DECEASED', undefined, '2020-11-02']);
    expect(world.person('079090000000')).toBeUndefined();
    expect(world.person('001299012345')).toBeUndefined();
  });
});
