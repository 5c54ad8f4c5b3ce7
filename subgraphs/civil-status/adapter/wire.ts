import { z } from 'zod';
import { partialDateSchema } from '../../../lib/partial-date.ts';
import { everyCitedSourceListed, sourceRecordSchema } from '../../../lib/sources.ts';
import { countSchema, isoDateSchema, MAX_BATCH, personalIdSchema, provinceCodeSchema } from '../../../lib/wire.ts';

/**
 * The civil-status backend's wire format (see CONTRACT.md). Every answer is parsed with these
 * schemas where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */

export const birthRegistrationRecord = z.object({
  registrationNumber: z.string().min(1),
  registeredOn: partialDateSchema,
  registryOffice: z.string().min(1),
  fullName: z.string().min(1),
  dateOfBirth: partialDateSchema,
  fatherId: personalIdSchema.nullable(),
  motherId: personalIdSchema.nullable(),
});

/** Why a marriage ended: divorce (ly hôn) or the death of a spouse (chết). */
export const endReasonCode = z.enum(['LY_HON', 'CHET']);
export type EndReasonCode = z.infer<typeof endReasonCode>;

export const marriageRecord = z
  .object({
    registrationNumber: z.string().min(1),
    registeredOn: partialDateSchema,
    registryOffice: z.string().min(1),
    husbandId: personalIdSchema.nullable(),
    wifeId: personalIdSchema.nullable(),
    endReason: endReasonCode.nullable(),
    endedOn: partialDateSchema.nullable(),
  })
  .refine((m) => m.endedOn === null || m.endReason !== null, 'a marriage with an end date needs an end reason');
export type MarriageRecord = z.infer<typeof marriageRecord>;

export const deathRegistrationRecord = z.object({
  registrationNumber: z.string().min(1),
  registeredOn: partialDateSchema,
  dateOfDeath: partialDateSchema,
  registryOffice: z.string().min(1),
});

export const civilStatusRecord = z
  .object({
    personalId: personalIdSchema,
    birthRegistration: birthRegistrationRecord.nullable(),
    marriages: z.array(marriageRecord),
    deathRegistration: deathRegistrationRecord.nullable(),
  })
  .refine(
    (r) => r.marriages.every((m) => m.husbandId === r.personalId || m.wifeId === r.personalId),
    'every marriage must name the citizen as husband or wife',
  );
export type CivilStatusRecord = z.infer<typeof civilStatusRecord>;

export const civilStatusBatchResponse = z.object({
  records: z.array(civilStatusRecord),
  notFound: z.array(z.string()),
});

export const digitizationStatusCode = z.enum(['HOAN_THANH', 'CO_BAN_HOAN_THANH', 'DANG_THUC_HIEN', 'CHUA_BAO_CAO']);
export type DigitizationStatusCode = z.infer<typeof digitizationStatusCode>;

export const provinceDigitizationRecord = z
  .object({
    provinceCode: provinceCodeSchema,
    status: digitizationStatusCode,
    recordsDigitized: countSchema.nullable(),
    digitizedShare: z.number().min(0).max(1).nullable(),
    statement: z.string().min(1).nullable(),
    asOf: isoDateSchema.nullable(),
    sourceIds: z.array(z.string().min(1)),
  })
  .refine(
    (p) =>
      p.status !== 'CHUA_BAO_CAO' ||
      ([p.recordsDigitized, p.digitizedShare, p.statement, p.asOf].every((v) => v === null) && p.sourceIds.length === 0),
    'status CHUA_BAO_CAO carries no figure, statement, asOf or source',
  );
export type ProvinceDigitizationRecord = z.infer<typeof provinceDigitizationRecord>;

export const digitizationBatchResponse = z
  .object({
    provinces: z.array(provinceDigitizationRecord),
    sources: z.array(sourceRecordSchema),
    notFound: z.array(z.string()),
  })
  .superRefine(everyCitedSourceListed((a) => a.provinces.flatMap((p) => p.sourceIds)));

/** Request bodies, validated by the mock as a real backend would. */
export const civilStatusBatchRequest = z.object({ personalIds: z.array(personalIdSchema).min(1).max(MAX_BATCH) });
export const digitizationBatchRequest = z.object({ provinceCodes: z.array(provinceCodeSchema).min(1).max(MAX_BATCH) });
