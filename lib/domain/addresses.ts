import type { ProvincialUnit } from './administrative-units.ts';

/** The parts of an address as the population database holds them. */
export interface AddressParts {
  /** House number, alley and street (số nhà, ngõ, đường phố). */
  street: string;
  commune: string;
  /** District (quận, huyện, thị xã, thành phố thuộc tỉnh) of an address of before 2025-07-01; null after. */
  district: string | null;
  /** The provincial unit, when known. */
  province: Pick<ProvincialUnit, 'officialName'> | undefined;
}

/** "Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy" and the same followed by the province. */
export function formatAddress(parts: AddressParts): { addressLine: string; fullAddress: string } {
  const addressLine = [parts.street, parts.commune, parts.district].filter((p): p is string => !!p).join(', ');
  return { addressLine, fullAddress: parts.province ? `${addressLine}, ${parts.province.officialName}` : addressLine };
}
