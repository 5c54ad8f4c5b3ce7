import { digitizationBatchRequest, type DigitizationStatusCode } from '../../../lib/backend/digitization.ts';
import { FACT_SOURCES, factById, sourcesOf, type Fact } from '../../../lib/backend/facts.ts';
import { healthHandler } from '../../../lib/devkit/mock-server.ts';
import { partition } from '../../../lib/devkit/mock-handlers.ts';
import { REFERENCE_DATA_CACHING, route, type MockRoute } from '../../../lib/devkit/mock-routes.ts';
import { legacyProvinceByAsciiName, unitOfLegacyCode } from '../../../lib/domain/administrative-units.ts';
import type { LandUseType, ParcelTruth } from '../../../lib/domain/synthetic/types.ts';
import { SyntheticWorld } from '../../../lib/domain/synthetic/world.ts';
import { holdingsRequest, parcelsBatchRequest, type DigitizationRecord, type LandUseCode, type ParcelRecord } from '../adapter/wire.ts';

const LAND_USE_CODES: Record<LandUseType, LandUseCode> = {
  RESIDENTIAL_URBAN: 'ODT',
  RESIDENTIAL_RURAL: 'ONT',
  RICE: 'LUA',
  PERENNIAL_CROPS: 'CLN',
  ANNUAL_CROPS: 'HNK',
  AQUACULTURE: 'NTS',
  PRODUCTION_FOREST: 'RSX',
};

type Figures = Pick<DigitizationRecord, 'recordsCleaned' | 'recordsTotal' | 'cleanedShare' | 'districtsAppraised'>;

interface ProvinceFigure {
  factId: string;
  /** The province as the report spells it, without diacritics. */
  province: string;
  status: DigitizationStatusCode;
  figures: (fact: Fact) => Figures;
}

/** A numeric figure of a published fact; a fact without it means the facts file changed, so fail loudly. */
function figure(fact: Fact, key: 'value' | 'of' | 'rate'): number {
  const value = fact[key];
  if (typeof value !== 'number') throw new Error(`fact ${fact.id} has no numeric ${key}`);
  return value;
}

const cleanedRecords = (fact: Fact): Figures => ({
  recordsCleaned: figure(fact, 'value'),
  recordsTotal: figure(fact, 'of'),
  cleanedShare: figure(fact, 'rate'),
  districtsAppraised: null,
});

const appraisedDistricts = (fact: Fact): Figures => ({
  recordsCleaned: null,
  recordsTotal: null,
  cleanedShare: null,
  districtsAppraised: figure(fact, 'value'),
});

/**
 * The only province-level land figures Project 06 reports published. None of them gives the
 * province a digitisation status (records cleaned and district plans appraised are not a status),
 * so each is served as CHUA_BAO_CAO with its figures and source. The national aggregates (digitised
 * districts, parcels) name no province and are attributed to none.
 */
const PROVINCE_FIGURES: readonly ProvinceFigure[] = [
  { factId: 'land.cleaned.binh-duong.2024-06', province: 'Binh Duong', status: 'CHUA_BAO_CAO', figures: cleanedRecords },
  { factId: 'land.cleaned.dong-nai.2024-06', province: 'Dong Nai', status: 'CHUA_BAO_CAO', figures: cleanedRecords },
  { factId: 'land.quang-nam.appraised-districts', province: 'Quang Nam', status: 'CHUA_BAO_CAO', figures: appraisedDistricts },
];

function publishedDigitization(): Map<string, DigitizationRecord> {
  return new Map(
    PROVINCE_FIGURES.map(({ factId, province: name, status, figures }) => {
      const fact = factById(factId);
      const province = legacyProvinceByAsciiName(name);
      if (!province) throw new Error(`fact ${factId}: ${name} is not a province in the registry`);
      const record: DigitizationRecord = {
        provinceCode: province.code,
        status,
        ...figures(fact),
        statement: fact.statement,
        asOf: fact.asOf,
        sourceIds: sourcesOf(fact).map((s) => s.id),
      };
      return [province.code, record];
    }),
  );
}

const notReported = (provinceCode: string): DigitizationRecord => ({
  provinceCode,
  status: 'CHUA_BAO_CAO',
  recordsCleaned: null,
  recordsTotal: null,
  cleanedShare: null,
  districtsAppraised: null,
  statement: null,
  asOf: null,
  sourceIds: [],
});

const parcelRecord = (parcel: ParcelTruth): ParcelRecord => ({
  parcelId: parcel.parcelId,
  provinceCode: parcel.provinceCode,
  address: parcel.address,
  mapSheetNumber: parcel.mapSheetNumber,
  parcelNumber: parcel.parcelNumber,
  areaM2: parcel.areaM2,
  landUseCode: LAND_USE_CODES[parcel.landUseType],
  certificate: parcel.certificate ?? null,
  rightHolders: parcel.rightHolders,
});

/** The route table of the land backend (contract: ../adapter/CONTRACT.md). */
export function landHandlers(world: SyntheticWorld = new SyntheticWorld()): MockRoute[] {
  const published = publishedDigitization();

  return [
    healthHandler('land'),
    route.post('/v1/parcels/by-holders', (request) => {
      const read = request.json(holdingsRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.personalIds, (personalId) =>
        world.person(personalId) ? { personalId, parcels: world.parcelsOf(personalId).map(parcelRecord) } : undefined,
      );
      return { status: 200, json: { holdings: found, notFound } };
    }),
    route.post('/v1/parcels/batch-get', (request) => {
      const read = request.json(parcelsBatchRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.parcelIds, (id) => world.parcel(id));
      return { status: 200, json: { parcels: found.map(parcelRecord), notFound } };
    }),
    route.post('/v1/digitization/provinces/batch-get', (request) => {
      const read = request.json(digitizationBatchRequest);
      if (!read.ok) return read.reply;
      // Codes outside the 63 provinces are left out of the answer (see CONTRACT.md).
      const { found } = partition(read.body.provinceCodes, (code) => (unitOfLegacyCode(code) ? (published.get(code) ?? notReported(code)) : undefined));
      const cited = new Set(found.flatMap((p) => p.sourceIds));
      return { status: 200, json: { provinces: found, sources: FACT_SOURCES.filter((s) => cited.has(s.id)) }, headers: REFERENCE_DATA_CACHING };
    }),
  ];
}
