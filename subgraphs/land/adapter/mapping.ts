import { DIGITIZATION_STATUSES, type DigitizationStatus } from '../../../lib/backend/digitization.ts';
import type { LandUseType } from '../../../lib/domain/land-use.ts';
import { citedSources, type SourceIndex, type SourceRecord } from '../../../lib/backend/sources.ts';
import type { DigitizationRecord, LandUseCode, ParcelRecord } from './wire.ts';

/** The land domain as the subgraph sees it, independent of the backend's wire codes. */
export interface LandParcelModel {
  parcelId: string;
  provinceCode: string;
  address: string;
  mapSheetNumber: number;
  parcelNumber: number;
  /** Square metres. */
  area: number;
  landUseType: LandUseType;
  certificate: { serialNumber: string; issuedOn: string; issuer: string } | null;
  /** Shares are fractions of the whole right, 0 < share ≤ 1. */
  rightHolders: { personalId: string; share: number }[];
}

export interface LandDigitizationModel {
  provinceCode: string;
  status: DigitizationStatus;
  recordsCleaned: number | null;
  recordsTotal: number | null;
  cleanedShare: number | null;
  districtsAppraised: number | null;
  statement: string | null;
  asOf: string | null;
  sources: SourceRecord[];
}

const LAND_USE_TYPES: Record<LandUseCode, LandUseType> = {
  ODT: 'RESIDENTIAL_URBAN',
  ONT: 'RESIDENTIAL_RURAL',
  LUA: 'RICE',
  CLN: 'PERENNIAL_CROPS',
  HNK: 'ANNUAL_CROPS',
  NTS: 'AQUACULTURE',
  RSX: 'PRODUCTION_FOREST',
};

export function parcelFromRecord(record: ParcelRecord): LandParcelModel {
  return {
    parcelId: record.parcelId,
    provinceCode: record.provinceCode,
    address: record.address,
    mapSheetNumber: record.mapSheetNumber,
    parcelNumber: record.parcelNumber,
    area: record.areaM2,
    landUseType: LAND_USE_TYPES[record.landUseCode],
    certificate: record.certificate,
    rightHolders: record.rightHolders,
  };
}

export function digitizationFromRecord(record: DigitizationRecord, sources: SourceIndex): LandDigitizationModel {
  return {
    provinceCode: record.provinceCode,
    status: DIGITIZATION_STATUSES[record.status],
    recordsCleaned: record.recordsCleaned,
    recordsTotal: record.recordsTotal,
    cleanedShare: record.cleanedShare,
    districtsAppraised: record.districtsAppraised,
    statement: record.statement,
    asOf: record.asOf,
    sources: citedSources(record.sourceIds, sources),
  };
}
