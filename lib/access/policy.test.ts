import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { todayInVietnam } from '../domain/administrative-units.ts';
import { agencyByCode } from '../domain/agencies.ts';
import type { PurposefulOfficer } from './caller.ts';
import { DEFAULT_ACCESS_POLICY_FILE, fieldDecider, legalBasisOn, loadAccessPolicy, parseAccessPolicy } from './policy.ts';

const shipped = loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE);
const json = () => JSON.parse(readFileSync(DEFAULT_ACCESS_POLICY_FILE, 'utf8')) as Record<string, any>;
const PDPL = 'Luật Bảo vệ dữ liệu cá nhân 2025 (Law on Personal Data Protection, 91/2025/QH15)';

describe('the shipped access policy', () => {
  it('grants only agencies that exist today', () => {
    const grantees = shipped.rules.flatMap((rule) => rule.agencies).filter((code) => code !== '*');
    expect(grantees).toEqual(['BCA', 'BNNMT', 'BHXH']);
    for (const code of grantees) expect(agencyByCode(code, todayInVietnam()), code).toBeDefined();
    expect(shipped.rules.find((rule) => rule.id === 'land-registration')?.agencies).toEqual(['BNNMT']);
  });

  it('cites Luật Bảo vệ dữ liệu cá nhân from 2026-01-01 and Nghị định 13/2023/NĐ-CP before, for every rule', () => {
    for (const rule of shipped.rules) {
      expect(legalBasisOn(rule, '2025-12-31')?.basis, rule.id).toContain('Nghị định 13/2023/NĐ-CP');
      expect(legalBasisOn(rule, '2025-12-31')?.acts, rule.id).toContain('ND-13-2023-ND-CP');
      expect(legalBasisOn(rule, '2026-01-01')?.basis, rule.id).toContain(PDPL);
      expect(legalBasisOn(rule, '2026-01-01')?.basis, rule.id).not.toContain('13/2023');
      expect(legalBasisOn(rule, todayInVietnam())?.acts, rule.id).toContain('LUAT-91-2025-QH15');
      expect(legalBasisOn(rule, todayInVietnam())?.acts, rule.id).not.toContain('ND-13-2023-ND-CP');
    }
    expect(shipped.legalActs.get('LUAT-91-2025-QH15')).toEqual({
      number: '91/2025/QH15',
      title: 'Luật Bảo vệ dữ liệu cá nhân',
      issuer: 'Quốc hội',
      adoptedOn: '2025-06-26',
      effectiveFrom: '2026-01-01',
      effectiveTo: null,
      summary: expect.any(String),
      sourceUrl: 'https://vneconomy.vn/nhung-diem-moi-trong-luat-bao-ve-du-lieu-ca-nhan-tu-112026.htm',
    });
    expect(shipped.legalActs.get('ND-13-2023-ND-CP')).toMatchObject({ effectiveTo: '2025-12-31', summary: expect.stringContaining('356/2025/NĐ-CP') });
  });

  it('names in a denial the legal basis in force on the day, today by default', () => {
    const caller: PurposefulOfficer = { kind: 'officer', agency: 'BTP', officer: 'x', roles: [], purpose: 'birth-registration', caseNumber: 'HS-1', issuer: 'api-key' };
    const denial = (date?: string) => {
      const decision = fieldDecider(shipped, caller, date)('Citizen.landParcels');
      return decision.allowed ? '' : decision.message;
    };
    expect(denial('2025-06-30')).toContain('Nghị định 13/2023/NĐ-CP (Decree 13/2023/ND-CP on personal data protection)) grants');
    expect(denial('2026-01-01')).toContain(`(Luật Hộ tịch 2014 (Law on Civil Status, 60/2014/QH13); ${PDPL}) grants`);
    expect(denial()).toBe(denial(todayInVietnam()));
  });
});

describe('the social-insurance rule', () => {
  const officer = (agency: string, purpose: string): PurposefulOfficer => ({ kind: 'officer', agency, officer: 'x', roles: [], purpose, caseNumber: 'BH-1', issuer: 'api-key' });

  it('lets Bảo hiểm xã hội Việt Nam read the insurance record for its own procedures, and no one else', () => {
    for (const purpose of ['health-insurance-card', 'social-insurance-benefit']) {
      const decide = fieldDecider(shipped, officer('BHXH', purpose));
      expect(decide('Citizen.socialInsurance').allowed, purpose).toBe(true);
      expect(decide('Citizen.deathRegistration').allowed, purpose).toBe(true);
      expect(decide('Citizen.landParcels').allowed, purpose).toBe(false);
    }
    const land = fieldDecider(shipped, officer('BNNMT', 'land-transfer'))('Citizen.socialInsurance');
    expect(land).toMatchObject({ allowed: false, category: 'social-insurance' });
    expect(fieldDecider(shipped, officer('BCA', 'health-insurance-card'))('Citizen.socialInsurance').allowed).toBe(false);
  });

  it('rests on the Law on Social Insurance in force on the day: 58/2014/QH13 until 2025-06-30, 41/2024/QH15 from 2025-07-01', () => {
    const rule = shipped.rules.find((r) => r.id === 'social-insurance')!;
    expect(legalBasisOn(rule, '2025-06-30')?.acts).toEqual(['LUAT-58-2014-QH13', 'LUAT-25-2008-QH12', 'ND-13-2023-ND-CP']);
    expect(legalBasisOn(rule, '2025-07-01')?.acts).toEqual(['LUAT-41-2024-QH15', 'LUAT-25-2008-QH12', 'ND-13-2023-ND-CP']);
    expect(legalBasisOn(rule, '2026-01-01')?.acts).toEqual(['LUAT-41-2024-QH15', 'LUAT-25-2008-QH12', 'LUAT-91-2025-QH15']);
    expect(shipped.legalActs.get('LUAT-58-2014-QH13')).toMatchObject({ effectiveFrom: '2016-01-01', effectiveTo: '2025-06-30' });
    expect(shipped.legalActs.get('LUAT-41-2024-QH15')).toMatchObject({ adoptedOn: '2024-06-29', effectiveFrom: '2025-07-01', effectiveTo: null });
  });
});

describe('dated legal bases', () => {
  const withBases = (legalBases: unknown) => {
    const file = json();
    file.rules[0].legalBases = legalBases;
    return () => parseAccessPolicy(file, 'test');
  };
  const basis = (from: string | null, to: string | null, acts = ['LUAT-91-2025-QH15']) => ({ from, to, basis: 'x', acts });

  it('refuses a gap, an overlap, a closed end, an open start missing, or an unknown act', () => {
    expect(withBases([basis(null, '2025-12-30'), basis('2026-01-01', null)])).toThrow(/the day after/);
    expect(withBases([basis(null, '2026-01-01'), basis('2026-01-01', null)])).toThrow(/the day after/);
    expect(withBases([basis(null, '2025-12-31')])).toThrow(/must be open/);
    expect(withBases([basis('2026-01-01', null)])).toThrow(/from: null/);
    expect(withBases([basis(null, null, ['NO-SUCH-ACT'])])).toThrow(/unknown legal act NO-SUCH-ACT/);
    expect(withBases([basis(null, '2025-12-31'), basis('2026-01-01', null)])).not.toThrow();
  });
});
