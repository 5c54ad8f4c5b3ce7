import { describe, expect, it } from 'vitest';
import { provincialUnitsOn } from './administrative-units.ts';
import { existedOn } from './dated-history.ts';
import { AGENCIES, agenciesOn, agencyActById, agencyByCode, agencyById } from './agencies.ts';

const codesOfKind = (date: string, kind: string) =>
  agenciesOn(date)
    .filter((a) => a.kind === kind)
    .map((a) => a.code);

describe('agencies by date', () => {
  it('has the Government of the 2024 reports: 18 ministries, 4 ministerial-level agencies, Bảo hiểm xã hội Việt Nam, 63 committees', () => {
    expect(codesOfKind('2025-02-28', 'BO')).toEqual([
      'BQP',
      'BCA',
      'BNG',
      'BNV',
      'BTP',
      'BKHDT',
      'BTC',
      'BCT',
      'BNNPTNT',
      'BGTVT',
      'BXD',
      'BTNMT',
      'BTTTT',
      'BLDTBXH',
      'BVHTTDL',
      'BKHCN',
      'BGDDT',
      'BYT',
    ]);
    expect(codesOfKind('2025-02-28', 'CO_QUAN_NGANG_BO')).toEqual(['UBDT', 'NHNN', 'TTCP', 'VPCP']);
    expect(codesOfKind('2025-02-28', 'CO_QUAN_THUOC_CHINH_PHU')).toEqual(['BHXH']);
    expect(codesOfKind('2024-07-29', 'UBND_TINH')).toHaveLength(63);
  });

  it('has the 14 ministries and 3 ministerial-level agencies of Nghị quyết 176/2025/QH15 from 2025-03-01', () => {
    expect(codesOfKind('2025-03-01', 'BO')).toEqual(['BQP', 'BCA', 'BNG', 'BNV', 'BTP', 'BTC', 'BCT', 'BNNMT', 'BXD', 'BVHTTDL', 'BKHCN', 'BGDDT', 'BYT', 'BDTTG']);
    expect(codesOfKind('2025-03-01', 'CO_QUAN_NGANG_BO')).toEqual(['NHNN', 'TTCP', 'VPCP']);
    expect(codesOfKind('2025-03-01', 'CO_QUAN_THUOC_CHINH_PHU')).toEqual([]);
    expect(codesOfKind('2025-03-01', 'DON_VI_THUOC_BO')).toEqual(['BHXH']);
  });

  it('records each merger of 2025-03-01 with its predecessors, a kept name being a new agency', () => {
    const merged: [id: string, predecessors: string[]][] = [
      ['BTC-2025-03-01', ['BKHDT', 'BTC']],
      ['BXD-2025-03-01', ['BGTVT', 'BXD']],
      ['BNNMT-2025-03-01', ['BNNPTNT', 'BTNMT']],
      ['BKHCN-2025-03-01', ['BTTTT', 'BKHCN']],
      ['BNV-2025-03-01', ['BLDTBXH', 'BNV']],
      ['BDTTG-2025-03-01', ['UBDT', 'BNV']],
    ];
    for (const [id, predecessors] of merged) {
      expect(agencyById(id), id).toMatchObject({ validFrom: '2025-03-01', validTo: null, establishedBy: 'NQ-176-2025-QH15', predecessors });
      for (const p of predecessors) expect(agencyById(p), p).toMatchObject({ validTo: '2025-02-28', endedBy: 'NQ-176-2025-QH15' });
    }
    expect(agencyById('BNNMT-2025-03-01')?.name).toBe('Bộ Nông nghiệp và Môi trường');
    expect(agencyById('BDTTG-2025-03-01')?.name).toBe('Bộ Dân tộc và Tôn giáo');
    expect(agencyById('BNV')?.successors).toEqual(['BNV-2025-03-01', 'BDTTG-2025-03-01']);
  });

  it('tells a continuing code apart by date', () => {
    expect(agencyByCode('BTC', '2025-02-28')?.id).toBe('BTC');
    expect(agencyByCode('BTC', '2025-03-01')?.id).toBe('BTC-2025-03-01');
    expect(agencyByCode('BTNMT', '2025-03-01')).toBeUndefined();
    expect(agencyByCode('BNNMT', '2025-02-28')).toBeUndefined();
    // No two agencies have one code on the same day.
    for (const a of AGENCIES) {
      for (const b of AGENCIES) {
        if (a !== b && a.code === b.code) for (const day of [a.validFrom, a.validTo]) if (day) expect(existedOn(b, day), `${a.id} ${b.id}`).toBe(false);
      }
    }
  });

  it('records Bảo hiểm xã hội Việt Nam under Bộ Tài chính from 2025-03-01, by Nghị định 29/2025/NĐ-CP', () => {
    expect(agencyById('BHXH')).toMatchObject({ kind: 'CO_QUAN_THUOC_CHINH_PHU', validTo: '2025-02-28', endedBy: 'ND-29-2025-ND-CP', successors: ['BHXH-2025-03-01'] });
    expect(agencyById('BHXH-2025-03-01')).toMatchObject({ kind: 'DON_VI_THUOC_BO', validFrom: '2025-03-01', establishedBy: 'ND-29-2025-ND-CP' });
    expect(agencyById('BHXH-2025-03-01')?.note).toContain('391/QĐ-BTC');
  });

  it('has one People’s Committee per provincial-level unit, with the unit’s dates and acts', () => {
    for (const date of ['2024-07-29', '2025-01-01', '2025-07-01', '2026-04-30']) {
      const committees = agenciesOn(date).filter((a) => a.kind === 'UBND_TINH');
      expect(committees.map((c) => c.provinceId).sort(), date).toEqual(
        provincialUnitsOn(date)
          .map((u) => u.id)
          .sort(),
      );
    }
    expect(agencyByCode('UBND-075', '2026-04-30')).toMatchObject({
      id: 'UBND-075-2026-04-30',
      name: 'Ủy ban nhân dân thành phố Đồng Nai',
      establishedBy: 'NQ-30-2026-QH16',
      predecessors: ['UBND-075-2025-07-01'],
    });
  });

  it('ends every predecessor the day before its successor starts, and cites every act with its number, dates and source', () => {
    for (const agency of AGENCIES) {
      for (const id of agency.successors) {
        const next = agencyById(id)!;
        const dayBefore = new Date(Date.parse(`${next.validFrom}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
        expect(agency.validTo, `${agency.id} → ${id}`).toBe(dayBefore);
      }
      for (const id of [agency.establishedBy, agency.endedBy]) {
        if (id === null) continue;
        expect(agencyActById(id), id).toMatchObject({
          number: expect.any(String),
          effectiveFrom: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          sourceUrl: expect.stringMatching(/^https:\/\//),
        });
      }
    }
  });
});
