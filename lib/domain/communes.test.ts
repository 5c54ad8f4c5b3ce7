import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { formatAddress } from './addresses.ts';
import { CURRENT_COMMUNES, PROVINCES_WITH_COMMUNES, communesOf } from './communes.ts';

const file = JSON.parse(readFileSync(new URL('../../data/communes.json', import.meta.url), 'utf8')) as {
  provinces: Record<string, { act: string; sources: string[] }>;
};

describe('curated commune-level units (data/communes.json)', () => {
  it('lists communes of current provincial units only, each list with its act and sources', () => {
    expect(PROVINCES_WITH_COMMUNES.map((p) => p.id)).toEqual(['001', '040', '079-2025-07-01']);
    for (const province of PROVINCES_WITH_COMMUNES) {
      expect(province.validTo).toBeNull();
      expect(file.provinces[province.id]!.act).not.toBe('');
      expect(file.provinces[province.id]!.sources.every((u) => u.startsWith('https://'))).toBe(true);
      expect(communesOf(province.id).length).toBeGreaterThanOrEqual(3);
    }
  });

  it("names today's communes as xã, phường or đặc khu, and their former communes with a district in a predecessor province", () => {
    for (const commune of CURRENT_COMMUNES) {
      expect(commune.name).toMatch(/^(xã|phường|đặc khu) \S/);
      for (const former of commune.formedFrom) {
        expect(former.district).toMatch(/^(quận|huyện|thị xã|thành phố|Quận) \S/);
        expect([commune.province.id, ...commune.province.predecessors]).toContain(former.province);
      }
    }
    expect(
      communesOf('001')
        .find((c) => c.name === 'phường Cầu Giấy')
        ?.formedFrom.map((f) => f.commune),
    ).toContain('phường Dịch Vọng Hậu');
  });

  it('formats an address with a district only when it has one', () => {
    const province = { officialName: 'Thành phố Hà Nội' };
    expect(formatAddress({ street: 'Số 18, ngõ 42 phố Trần Quốc Hoàn', commune: 'phường Cầu Giấy', district: null, province })).toEqual({
      addressLine: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy',
      fullAddress: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy, Thành phố Hà Nội',
    });
    expect(formatAddress({ street: 'Số 18', commune: 'phường Dịch Vọng Hậu', district: 'quận Cầu Giấy', province: undefined }).fullAddress).toBe(
      'Số 18, phường Dịch Vọng Hậu, quận Cầu Giấy',
    );
  });
});
