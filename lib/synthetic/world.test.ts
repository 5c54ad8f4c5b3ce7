import { describe, expect, it } from 'vitest';
import { encodePersonalId } from '../personal-id.ts';
import { NAMED_IDS } from './named.ts';
import { SyntheticWorld } from './world.ts';

const now = new Date('2026-11-23T00:00:00Z');
const world = new SyntheticWorld({ now });
const sample = Array.from({ length: 400 }, (_, i) =>
  encodePersonalId(['001', '079', '048', '096'][i % 4]!, i % 2 ? 'FEMALE' : 'MALE', 1935 + (i % 88), 1000 + i * 7919),
);

describe('synthetic population', () => {
  it('is deterministic: the same ID is the same person in a fresh world', () => {
    const again = new SyntheticWorld({ now });
    for (const id of sample.slice(0, 50)) expect(again.person(id)).toEqual(world.person(id));
  });

  it('agrees with the ID it was derived from', () => {
    for (const id of sample) {
      const person = world.person(id)!;
      expect(person.birthDate.year).toBe(1935 + (sample.indexOf(id) % 88));
      expect(person.sex).toBe(Number(id[3]) % 2 ? 'FEMALE' : 'MALE');
    }
  });

  it('pairs spouses symmetrically, in one household, co-owning their parcels', () => {
    let couples = 0;
    for (const id of sample) {
      const [marriage] = world.marriagesOf(id);
      if (!marriage) continue;
      couples++;
      const partner = marriage.husbandId === id ? marriage.wifeId : marriage.husbandId;
      expect(world.marriagesOf(partner)).toEqual([marriage]);
      expect(world.person(partner)!.householdId).toBe(world.person(id)!.householdId);
      expect(world.parcelsOf(partner)).toEqual(world.parcelsOf(id));
      for (const parcel of world.parcelsOf(id)) {
        expect(parcel.rightHolders.map((h) => h.personalId).sort()).toEqual([id, partner].sort());
      }
    }
    expect(couples).toBeGreaterThan(50);
  });

  it('gives a child its father’s family name and married parents, as its birth registration says', () => {
    let children = 0;
    for (const id of sample) {
      const person = world.person(id)!;
      if (!person.fatherId) continue;
      children++;
      const father = world.person(person.fatherId)!;
      expect(person.fullName.split(' ')[0]).toBe(father.fullName.split(' ')[0]);
      expect(world.marriagesOf(person.fatherId)[0]?.wifeId).toBe(person.motherId);
      const birth = world.birthRegistrationOf(id);
      if (birth) expect([birth.fatherId, birth.motherId, birth.fullName]).toEqual([person.fatherId, person.motherId, person.fullName]);
    }
    expect(children).toBeGreaterThan(200);
  });

  it('finds households and parcels again from their IDs alone', () => {
    for (const id of sample) {
      const household = world.household(world.person(id)!.householdId);
      expect(household?.members.map((m) => m.personalId)).toContain(id);
      for (const parcel of world.parcelsOf(id)) expect(world.parcel(parcel.parcelId)).toEqual(parcel);
    }
    expect(world.parcel('TD-ZZZZZZZZZZZZ')).toBeUndefined();
    expect(world.household('HO-000000000001')).toBeUndefined();
  });

  it('gives ID cards the renewal ages of the law, expiring on the birthday, never on an invented one', () => {
    let cards = 0;
    for (const id of sample) {
      const person = world.person(id)!;
      if (!person.idCard) continue;
      cards++;
      const ageAtIssue = Number(person.idCard.issuedOn.slice(0, 4)) - person.birthDate.year;
      const { month, day } = person.birthDate;
      if (month === undefined || day === undefined || ageAtIssue >= 58) {
        expect(person.idCard.expiresOn, id).toBeUndefined();
        continue;
      }
      const expectedAge = [25, 40, 60].find((age) => ageAtIssue < age - 2)!;
      const birthday = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      expect(person.idCard.expiresOn, id).toBe(`${person.birthDate.year + expectedAge}-${birthday}`);
    }
    expect(cards).toBeGreaterThan(200);
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
    expect(world.person('079090000000')).toBeUndefined();
    expect(world.person('001299012345')).toBeUndefined();
  });
});
