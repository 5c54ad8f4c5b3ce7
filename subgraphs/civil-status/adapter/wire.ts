import { z } from 'zod';
import { partialDateSchema } from '../../../lib/domain/partial-date.ts';
import { digitizationAnswer, digitizationRecordWith } from '../../../lib/backend/digitization.ts';
import { countSchema, MAX_BATCH, personalIdSchema } from '../../../lib/backend/wire.ts';

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
  .refine((r) => r.marriages.every((m) => m.husbandId === r.personalId || m.wifeId === r.personalId), 'every marriage must name the citizen as husband or wife');
export type CivilStatusRecord = z.infer<typeof civilStatusRecord>;

export const civilStatusBatchResponse = z.object({
  records: z.array(civilStatusRecord),
  notFound: z.array(z.string()),
});

export const provinceDigitizationRecord = digitizationRecordWith({
  recordsDigitized: countSchema.nullable(),
  digitizedShare: z.number().min(0).max(1).nullable(),
});
export type ProvinceDigitizationRecord = z.infer<typeof provinceDigitizationRecord>;

export const digitizationBatchResponse = digitizationAnswer(provinceDigitizationRecord, { notFound: z.array(z.string()) });

/** Request body, validated by the mock as a real backend would. */
export const civilStatusBatchRequest = z.object({ personalIds: z.array(personalIdSchema).min(1).max(MAX_BATCH) });
