import { z } from 'zod';
import { digitizationAnswer, digitizationRecordWith } from '../../../lib/backend/digitization.ts';
import { countSchema, isoDateSchema, MAX_BATCH, personalIdSchema, provinceCodeSchema } from '../../../lib/backend/wire.ts';

/**
 * The land backend's wire format (see CONTRACT.md). Every answer is parsed with these schemas
 * where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */

/** Parcel IDs are opaque to callers; the backend accepts at most this many characters. */
export const MAX_PARCEL_ID_LENGTH = 64;

const parcelId = z.string().min(1).max(MAX_PARCEL_ID_LENGTH);

/** Official land-type codes (mã loại đất). */
export const landUseCode = z.enum(['ODT', 'ONT', 'LUA', 'CLN', 'HNK', 'NTS', 'RSX']);
export type LandUseCode = z.infer<typeof landUseCode>;

export const parcelRecord = z.object({
  parcelId,
  provinceCode: provinceCodeSchema,
  address: z.string().min(1),
  mapSheetNumber: countSchema.min(1),
  parcelNumber: countSchema.min(1),
  areaM2: z.number().positive(),
  landUseCode,
  certificate: z
    .object({
      serialNumber: z.string().min(1),
      issuedOn: isoDateSchema,
      issuer: z.string().min(1),
    })
    .nullable(),
  rightHolders: z.array(z.object({ personalId: personalIdSchema, share: z.number().gt(0).max(1) })),
});
export type ParcelRecord = z.infer<typeof parcelRecord>;

export const holdingsResponse = z.object({
  holdings: z.array(z.object({ personalId: personalIdSchema, parcels: z.array(parcelRecord) })),
  notFound: z.array(z.string()),
});

export const parcelsBatchResponse = z.object({
  parcels: z.array(parcelRecord),
  notFound: z.array(z.string()),
});

export const digitizationRecord = digitizationRecordWith(
  {
    recordsCleaned: countSchema.nullable(),
    recordsTotal: countSchema.nullable(),
    cleanedShare: z.number().min(0).max(1).nullable(),
    districtsAppraised: countSchema.nullable(),
  },
  { figuresWithoutStatus: true },
);
export type DigitizationRecord = z.infer<typeof digitizationRecord>;

export const digitizationBatchResponse = digitizationAnswer(digitizationRecord);

/** Request bodies, validated by the mock as a real backend would. */
export const holdingsRequest = z.object({ personalIds: z.array(personalIdSchema).min(1).max(MAX_BATCH) });
export const parcelsBatchRequest = z.object({ parcelIds: z.array(parcelId).min(1).max(MAX_BATCH) });
