/**
 * A parcel's land use as the graph names it (`LandUseType` in the land subgraph's schema). The land
 * backend's own codes are mapped to these in its adapter; the synthetic world deals them out.
 */
export const LAND_USE_TYPES = ['RESIDENTIAL_URBAN', 'RESIDENTIAL_RURAL', 'RICE', 'PERENNIAL_CROPS', 'ANNUAL_CROPS', 'AQUACULTURE', 'PRODUCTION_FOREST'] as const;
export type LandUseType = (typeof LAND_USE_TYPES)[number];

/**
 * Whether the commune-level unit an address names is urban (phường; thị trấn until the district level
 * ended) or rural (xã). Residential land is ODT (đất ở tại đô thị) in an urban unit and ONT (đất ở tại
 * nông thôn) in a rural one, so the unit decides which residential type a parcel can have. Undefined
 * when the address names neither (a special zone, or no commune at all).
 */
export type LocalUnitKind = 'URBAN' | 'RURAL';

export function localUnitKindOf(address: string): LocalUnitKind | undefined {
  for (const part of address.split(',').map((p) => p.trim().toLocaleLowerCase('vi'))) {
    if (part.startsWith('phường ') || part.startsWith('thị trấn ')) return 'URBAN';
    if (part.startsWith('xã ')) return 'RURAL';
  }
  return undefined;
}

const RESIDENTIAL: Record<LocalUnitKind, LandUseType> = { URBAN: 'RESIDENTIAL_URBAN', RURAL: 'RESIDENTIAL_RURAL' };

/** The land-use types a parcel in a unit of this kind can have: no urban residential land in a xã, and so on. */
export function landUseTypesIn(kind: LocalUnitKind | undefined): LandUseType[] {
  return LAND_USE_TYPES.filter((type) => !type.startsWith('RESIDENTIAL') || (kind !== undefined && RESIDENTIAL[kind] === type));
}
