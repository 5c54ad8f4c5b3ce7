import { legacyUnitOn, TWO_LEVEL_GOVERNMENT_FROM, type ProvincialUnit } from './administrative-units.ts';

/**
 * Which authority issues a record on a given day. Records keep the authority of their issue date;
 * nothing issued before a change is renamed by it.
 *
 * - 2025-03-01: Bộ Tài nguyên và Môi trường and Bộ Nông nghiệp và Phát triển nông thôn merged into Bộ
 *   Nông nghiệp và Môi trường (Nghị quyết 176/2025/QH15 on the structure of the Government, adopted
 *   2025-02-18; the new ministry was announced on 2025-03-01, giaoducthoidai.vn, "Ông Nguyễn Ngọc Thạch
 *   làm tân Tổng biên tập Báo Nông nghiệp và Môi trường"). The provinces' Sở Tài nguyên và Môi trường
 *   are taken to become Sở Nông nghiệp và Môi trường the same day: no source read here gives each
 *   province's date, so a certificate of the first days of March 2025 may name the wrong one.
 * - 2025-07-01: two-level local government (Luật Tổ chức chính quyền địa phương số 72/2025/QH15); the
 *   district level (huyện, quận, thị xã, thành phố thuộc tỉnh) ends, and the provinces are the 34 of
 *   Nghị quyết 202/2025/QH15.
 */
export const AUTHORITY_CHANGES = {
  agencyMerger: { from: '2025-03-01', act: 'Nghị quyết 176/2025/QH15' },
  twoLevelLocalGovernment: { from: TWO_LEVEL_GOVERNMENT_FROM, act: 'Luật Tổ chức chính quyền địa phương số 72/2025/QH15' },
} as const;

/** "thành phố Hà Nội", "tỉnh Nam Định": a unit's name as it follows an office's name. */
export function provinceInOfficeName(unit: ProvincialUnit): string {
  return unit.officialName.replace(/^Tỉnh /, 'tỉnh ').replace(/^Thành phố /, 'thành phố ');
}

export interface Authority {
  name: string;
  /** The act that makes it the authority on that day; null before the first recorded change. */
  act: string | null;
}

/** The provincial land department that issues a land-use certificate on `issuedOn`. */
export function landCertificateIssuer(legacyCode: string, issuedOn: string): Authority {
  const province = legacyUnitOn(legacyCode, issuedOn);
  const where = province ? ` ${provinceInOfficeName(province)}` : '';
  const { agencyMerger, twoLevelLocalGovernment } = AUTHORITY_CHANGES;
  if (issuedOn < agencyMerger.from) return { name: `Sở Tài nguyên và Môi trường${where}`, act: null };
  return {
    name: `Sở Nông nghiệp và Môi trường${where}`,
    act: issuedOn < twoLevelLocalGovernment.from ? agencyMerger.act : `${agencyMerger.act}; ${twoLevelLocalGovernment.act}`,
  };
}

/**
 * The People's Committee that registers a civil-status event on `registeredOn`: the commune's, with its
 * district while districts exist (before 2025-07-01), in the province of the time.
 */
export function civilRegistryOffice(commune: string, legacyCode: string, registeredOn: string, district?: string): Authority {
  const province = legacyUnitOn(legacyCode, registeredOn);
  const twoLevel = registeredOn >= AUTHORITY_CHANGES.twoLevelLocalGovernment.from;
  const parts = [`UBND ${commune}`, twoLevel ? undefined : district, province ? provinceInOfficeName(province) : 'Việt Nam'];
  return { name: parts.filter(Boolean).join(', '), act: twoLevel ? AUTHORITY_CHANGES.twoLevelLocalGovernment.act : null };
}
