import { z } from 'zod';
import { partialDateSchema } from '../../../lib/partial-date.ts';
import { everyCitedSourceListed, sourceRecordSchema } from '../../../lib/sources.ts';

/**
 * The civil-status backend's wire format (see CONTRACT.md). Every answer is parsed with these
 * schemas where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */
export const MAX_BATCH = 100;

const personalId = z.string().regex(/^\d{12}$/);
const provinceCode = z.string().regex(/^\d{3}$/);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const birthRegistrationRecord = z.object({
  registrationNumber: z.string().min(1),
  registeredOn: partialDateSchema,
  registryOffice: z.string().min(1),
  fullName: z.string().min(1),
  dateOfBirth: partialDateSchema,
  fatherId: personalId.nullable(),
  motherId: personalId.nullable(),
});

/** Why a marriage ended: divorce (ly hôn) or the death of a spouse (chết). */
export const endReasonCode = z.enum(['LY_HON', 'CHET']);
export type EndReasonCode = z.infer<typeof endReasonCode>;

export const marriageRecord = z
  .object({
    registrationNumber: z.string().min(1),
    registeredOn: partialDateSchema,
    registryOffice: z.string().min(1),
    husbandId: personalId.nullable(),
    wifeId: personalId.nullable(),
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
    personalId,
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

export const provinceDigitizationRecord = z.object({
  provinceCode,
  status: digitizationStatusCode,
  recordsDigitized: z.number().int().min(0).nullable(),
  digitizedShare: z.number().min(0).max(1).nullable(),
  statement: z.string().min(1).nullable(),
  asOf: isoDate.nullable(),
  sourceIds: z.array(z.string().min(1)),
});
export type ProvinceDigitizationRecord = z.infer<typeof provinceDigitizationRecord>;

export const digitizationBatchResponse = z
  .object({
    provinces: z.array(provinceDigitizationRecord),
    sources: z.array(sourceRecordSchema),
    notFound: z.array(z.string()),
  })
  .superRefine(everyCitedSourceListed((a) => a.provinces.flatMap((p) => p.sourceIds)));

export const healthResponse = z.object({ status: z.literal('ok') });

/** Request bodies, validated by the mock as a real backend would. */
export const civilStatusBatchRequest = z.object({ personalIds: z.array(personalId).min(1).max(MAX_BATCH) });
export const digitizationBatchRequest = z.object({ provinceCodes: z.array(provinceCode).min(1).max(MAX_BATCH) });
