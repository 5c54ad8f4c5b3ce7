import { z } from 'zod';
import { everyCitedSourceListed, sourceRecordSchema } from '../../../lib/sources.ts';

/**
 * The land backend's wire format (see CONTRACT.md). Every answer is parsed with these schemas
 * where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */
export const MAX_BATCH = 100;
/** Parcel IDs are opaque to callers; the backend accepts at most this many characters. */
export const MAX_PARCEL_ID_LENGTH = 64;

const personalId = z.string().regex(/^\d{12}$/);
const parcelId = z.string().min(1).max(MAX_PARCEL_ID_LENGTH);
const provinceCode = z.string().regex(/^\d{3}$/);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Official land-type codes (mã loại đất). */
export const landUseCode = z.enum(['ODT', 'ONT', 'LUA', 'CLN', 'HNK', 'NTS', 'RSX']);
export type LandUseCode = z.infer<typeof landUseCode>;

export const digitizationStatusCode = z.enum(['HOAN_THANH', 'CO_BAN_HOAN_THANH', 'DANG_THUC_HIEN', 'CHUA_BAO_CAO']);
export type DigitizationStatusCode = z.infer<typeof digitizationStatusCode>;

export const parcelRecord = z.object({
  parcelId,
  provinceCode,
  address: z.string().min(1),
  mapSheetNumber: z.number().int().positive(),
  parcelNumber: z.number().int().positive(),
  areaM2: z.number().positive(),
  landUseCode,
  certificate: z
    .object({
      serialNumber: z.string().min(1),
      issuedOn: isoDate,
      issuer: z.string().min(1),
    })
    .nullable(),
  rightHolders: z.array(z.object({ personalId, share: z.number().gt(0).max(1) })),
});
export type ParcelRecord = z.infer<typeof parcelRecord>;

export const holdingsResponse = z.object({
  holdings: z.array(z.object({ personalId, parcels: z.array(parcelRecord) })),
  notFound: z.array(z.string()),
});

export const parcelsBatchResponse = z.object({
  parcels: z.array(parcelRecord),
  notFound: z.array(z.string()),
});

const count = z.number().int().nonnegative();

export const digitizationRecord = z.object({
  provinceCode,
  status: digitizationStatusCode,
  recordsCleaned: count.nullable(),
  recordsTotal: count.nullable(),
  cleanedShare: z.number().min(0).max(1).nullable(),
  districtsAppraised: count.nullable(),
  statement: z.string().min(1).nullable(),
  asOf: isoDate.nullable(),
  sourceIds: z.array(z.string().min(1)),
});
export type DigitizationRecord = z.infer<typeof digitizationRecord>;

export const digitizationBatchResponse = z
  .object({
    provinces: z.array(digitizationRecord),
    sources: z.array(sourceRecordSchema),
  })
  .superRefine(everyCitedSourceListed((a) => a.provinces.flatMap((p) => p.sourceIds)));

export const healthResponse = z.object({ status: z.literal('ok') });

/** Request bodies, validated by the mock as a real backend would. */
export const holdingsRequest = z.object({ personalIds: z.array(personalId).min(1).max(MAX_BATCH) });
export const parcelsBatchRequest = z.object({ parcelIds: z.array(parcelId).min(1).max(MAX_BATCH) });
export const digitizationBatchRequest = z.object({ provinceCodes: z.array(provinceCode).min(1).max(MAX_BATCH) });
