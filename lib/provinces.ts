import { readFileSync } from 'node:fs';

export type Region =
  | 'NORTHERN_MIDLANDS_AND_MOUNTAINS'
  | 'RED_RIVER_DELTA'
  | 'NORTH_CENTRAL_AND_CENTRAL_COAST'
  | 'CENTRAL_HIGHLANDS'
  | 'SOUTHEAST'
  | 'MEKONG_DELTA';

export interface ProvinceEntry {
  /** 3-digit code, as in the first digits of a personal identification number. */
  code: string;
  name: string;
  officialName: string;
  /** The name without diacritics, as the published reports spell it. */
  asciiName: string;
  region: Region;
  municipality: boolean;
}

const file = new URL('../data/provinces.json', import.meta.url);
export const PROVINCES: readonly ProvinceEntry[] = (
  JSON.parse(readFileSync(file, 'utf8')) as { provinces: ProvinceEntry[] }
).provinces;

const byCode = new Map(PROVINCES.map((p) => [p.code, p]));
const byAsciiName = new Map(PROVINCES.map((p) => [p.asciiName.toLowerCase(), p]));

export function provinceByCode(code: string): ProvinceEntry | undefined {
  return byCode.get(code);
}

/** Published reports name provinces without diacritics ("Soc Trang"); map them to the registry. */
export function provinceByAsciiName(name: string): ProvinceEntry | undefined {
  return byAsciiName.get(name.trim().toLowerCase());
}
