import { describe, expect, it } from 'vitest';
import { provincialUnitById, unitOfLegacyCode } from '../administrative-units.ts';
import { TWO_LEVEL_GOVERNMENT_FROM } from '../administrative-units.ts';
import { communesOf } from '../communes.ts';
import { encodePersonalId } from '../personal-id.ts';
import { NAMED_IDS } from './named.ts';
import { currentAddressOf, SyntheticWorld } from './world.ts';

const now = new Date('2026-11-23T00:00:00Z');
const world = new SyntheticWorld({ now });
const sample = Array.from({ length: 300 }, (_, i) => encodePersonalId(['001', '079', '048', '036', '040'][i % 5]!, i % 2 ? 'FEMALE' : 'MALE', 1935 + (i % 88), 2000 + i * 7919));

describe('synthetic residences', () => {
  it('lie today in a commune the curated list gives for their province, and before 2025-07-01 in one it was formed from', () => {
    const provinces = new Set<string>();
    let before = 0;
    let after = 0;
    for (const id of sample) {
      const { residence } = world.person(id)!;
      provinces.add(residence.current.provinceId);
      const commune = communesOf(residence.current.provinceId).find((c) => c.name === residence.current.commune);
      expect(commune, `${id} ${residence.current.commune}`).toBeDefined();
      expect(commune!.formedFrom).toContainEqual(residence.former);
      expect(residence.registeredOn <= '2026-11-23').toBe(true);
      expect(residence.registeredOn >= '1995-01-01').toBe(true);
      if (residence.registeredOn < TWO_LEVEL_GOVERNMENT_FROM) before++;
      else after++;
    }
    expect([...provinces].sort()).toEqual(['001', '040', '079-2025-07-01']);
    expect(before).toBeGreaterThan(100);
    expect(after).toBeGreaterThan(0);
  });

  it('mostly live in the province that holds their birth province today, when the list covers it', () => {
    const hanoi = sample.filter((id) => id.startsWith('001'));
    const home = hanoi.filter((id) => world.person(id)!.residence.current.provinceId === '001');
    expect(home.length / hanoi.length).toBeGreaterThan(0.6);
  });

  it("write today's address without a district", () => {
    const head = world.person(NAMED_IDS.head)!;
    expect(currentAddressOf(head.residence).fullAddress).toBe('Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy, Thành phố Hà Nội');
    for (const id of sample.slice(0, 50)) {
      const { residence } = world.person(id)!;
      const address = currentAddressOf(residence).fullAddress;
      expect(address).not.toContain(residence.former.district);
      expect(address.endsWith(provincialUnitById(residence.current.provinceId)!.officialName)).toBe(true);
      expect(unitOfLegacyCode(residence.former.province)).toBeDefined();
    }
  });
});
