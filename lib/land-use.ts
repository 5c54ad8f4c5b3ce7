/**
 * A parcel's land use as the graph names it (`LandUseType` in the land subgraph's schema). The land
 * backend's own codes are mapped to these in its adapter; the synthetic world deals them out.
 */
export const LAND_USE_TYPES = [
  'RESIDENTIAL_URBAN',
  'RESIDENTIAL_RURAL',
  'RICE',
  'PERENNIAL_CROPS',
  'ANNUAL_CROPS',
  'AQUACULTURE',
  'PRODUCTION_FOREST',
] as const;
export type LandUseType = (typeof LAND_USE_TYPES)[number];
