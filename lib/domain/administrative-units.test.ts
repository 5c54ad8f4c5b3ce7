import { describe, expect, it } from 'vitest';
import {
  LEGAL_ACTS,
  PROVINCIAL_UNITS,
  provincialUnitByAsciiName,
  provincialUnitByCode,
  provincialUnitById,
  provincialUnitsOn,
  successorsOn,
  todayInVietnam,
} from './administrative-units.ts';
import { lastDayOf } from './partial-date.ts';

const names = (units: { name: string }[]) => units.map((u) => u.name);

describe('provincial-level units by date', () => {
  it('has the 63 units of the 2024 reports, Thừa Thiên Huế still a province', () => {
    const units = provincialUnitsOn('2024-09-30');
    expect(units).toHaveLength(63);
    expect(units.find((u) => u.code === '046')).toMatchObject({ officialName: 'Tỉnh Thừa Thiên Huế', kind: 'PROVINCE' });
  });

  it('has Thành phố Huế, centrally run, from 2025-01-01 (Nghị quyết 175/2024/QH15), still 63 units', () => {
    expect(provincialUnitByCode('046', '2024-12-31')?.officialName).toBe('Tỉnh Thừa Thiên Huế');
    const hue = provincialUnitByCode('046', '2025-01-01');
    expect(hue).toMatchObject({ officialName: 'Thành phố Huế', kind: 'MUNICIPALITY', establishedBy: 'NQ-175-2024-QH15', predecessors: ['046'] });
    expect(provincialUnitsOn('2025-06-30')).toHaveLength(63);
  });

  it('has 34 units from 2025-07-01 (Nghị quyết 202/2025/QH15): 11 kept, 23 formed by mergers', () => {
    const units = provincialUnitsOn('2025-07-01');
    expect(units).toHaveLength(34);
    const formed = units.filter((u) => u.establishedBy === 'NQ-202-2025-QH15');
    expect(formed).toHaveLength(23);
    expect(names(units.filter((u) => u.validFrom === null || u.establishedBy === 'NQ-175-2024-QH15')).sort()).toEqual(
      ['Cao Bằng', 'Điện Biên', 'Hà Nội', 'Hà Tĩnh', 'Huế', 'Lai Châu', 'Lạng Sơn', 'Nghệ An', 'Quảng Ninh', 'Sơn La', 'Thanh Hóa'].sort(),
    );
    // Every one of the 63 is kept or inside exactly one of the 34.
    for (const old of provincialUnitsOn('2025-06-30')) expect(successorsOn(old, '2025-07-01')).toHaveLength(1);
  });

  it('reuses codes: 008 is Tuyên Quang before and after, two different units', () => {
    const before = provincialUnitByCode('008', '2025-06-30')!;
    const after = provincialUnitByCode('008', '2025-07-01')!;
    expect(before.id).toBe('008');
    expect(after.id).toBe('008-2025-07-01');
    expect(after.predecessors).toEqual(['002', '008']);
    expect(before.successors).toEqual(['008-2025-07-01']);
    expect(provincialUnitById('002')?.successors).toEqual(['008-2025-07-01']);
  });

  it('follows successors through every change to the units of a date', () => {
    const socTrang = provincialUnitByAsciiName('Soc Trang', '2024-09-30')!;
    expect(socTrang.validTo).toBe('2025-06-30');
    expect(names(successorsOn(socTrang, '2026-12-03'))).toEqual(['Cần Thơ']);
    const binhPhuoc = provincialUnitById('070')!;
    expect(successorsOn(binhPhuoc, '2025-12-31').map((u) => u.officialName)).toEqual(['Tỉnh Đồng Nai']);
    expect(successorsOn(binhPhuoc, '2026-12-03').map((u) => u.officialName)).toEqual(['Thành phố Đồng Nai']);
    expect(successorsOn(provincialUnitById('008-2025-07-01')!, '2024-01-01')).toEqual([]);
    expect(provincialUnitByAsciiName('Soc Trang', '2025-07-01')).toBeUndefined();
  });

  it('leaves the region of a unit formed across two regions unset', () => {
    expect(provincialUnitByCode('025', '2025-07-01')).toMatchObject({ name: 'Phú Thọ', region: null });
    expect(provincialUnitByCode('092', '2025-07-01')).toMatchObject({ name: 'Cần Thơ', region: 'MEKONG_DELTA' });
  });

  it('cites a known act with its dates for every change', () => {
    const acts = new Set(LEGAL_ACTS.map((a) => a.id));
    for (const unit of PROVINCIAL_UNITS) {
      if (unit.validFrom !== null) expect(acts.has(unit.establishedBy!)).toBe(true);
      if (unit.validTo !== null) expect(acts.has(unit.endedBy!)).toBe(true);
    }
    for (const act of LEGAL_ACTS) expect(act.sourceUrl).toMatch(/^https:\/\//);
  });
});

describe('dates', () => {
  it('takes today in Viet Nam (UTC+7)', () => {
    expect(todayInVietnam(new Date('2026-12-02T16:59:59Z'))).toBe('2026-12-02');
    expect(todayInVietnam(new Date('2026-12-02T17:00:00Z'))).toBe('2026-12-03');
  });

  it('gives the day of each instant when asked again within a minute and across midnight, as the time zone database does', () => {
    const zone = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' });
    const instants = ['2026-12-02T16:59:00.000Z', '2026-12-02T16:59:59.999Z', '2026-12-02T17:00:00.000Z', '2026-12-02T16:59:30.000Z', '2026-12-02T17:00:59.999Z'];
    for (const instant of instants) expect(todayInVietnam(new Date(instant)), instant).toBe(zone.format(new Date(instant)));
    // Before 1976 the offset was not always UTC+7 (UTC+8 in the south until 1975): no minute is reused there.
    expect(todayInVietnam(new Date('1970-01-01T16:30:00Z'))).toBe(zone.format(new Date('1970-01-01T16:30:00Z')));
    expect(todayInVietnam(new Date('1970-01-01T16:30:00Z'))).toBe('1970-01-02');
    expect(() => todayInVietnam(new Date('not a date'))).toThrow(RangeError);
  });

  it('reads a month or a year as its last day', () => {
    expect(lastDayOf('2024-09')).toBe('2024-09-30');
    expect(lastDayOf('2024-02')).toBe('2024-02-29');
    expect(lastDayOf('2024')).toBe('2024-12-31');
    expect(lastDayOf('2024-07-29')).toBe('2024-07-29');
    expect(() => lastDayOf('July 2024')).toThrow(RangeError);
  });
});
