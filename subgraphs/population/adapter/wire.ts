import { z } from 'zod';
import { partialDateSchema } from '../../../lib/partial-date.ts';

/**
 * The population backend's wire format (see CONTRACT.md). Every answer is parsed with these
 * schemas where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */
export const MAX_BATCH = 100;

const personalId = z.string().regex(/^\d{12}$/);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const relationshipCode = z.enum(['CHU_HO', 'VO_CHONG', 'CON', 'CHA', 'ME', 'CHAU', 'KHAC']);
export type RelationshipCode = z.infer<typeof relationshipCode>;

export const residenceRecord = z.object({
  provinceCode: z.string().regex(/^\d{3}$/),
  addressLine: z.string().min(1),
  fullAddress: z.string().min(1),
});

export const citizenRecord = z.object({
  personalId,
  fullName: z.string().min(1),
  gender: z.enum(['NAM', 'NU']),
  dateOfBirth: partialDateSchema,
  status: z.enum(['ALIVE', 'DECEASED']),
  permanentResidence: residenceRecord.nullable(),
  householdId: z.string().min(1).nullable(),
  relationshipToHead: relationshipCode.nullable(),
  fatherId: personalId.nullable(),
  motherId: personalId.nullable(),
  spouseId: personalId.nullable(),
  idCard: z
    .object({
      number: z.string().min(1),
      kind: z.enum(['CCCD', 'CAN_CUOC']),
      issuedOn: isoDate,
      expiresOn: isoDate.nullable(),
    })
    .nullable(),
  vneidLevel: z.union([z.literal(0), z.literal(1), z.literal(2)]),
});
export type CitizenRecord = z.infer<typeof citizenRecord>;

export const citizensBatchResponse = z.object({
  citizens: z.array(citizenRecord),
  notFound: z.array(z.string()),
});

export const householdRecord = z.object({
  householdId: z.string().min(1),
  headId: personalId,
  residence: residenceRecord,
  members: z.array(z.object({ personalId, relationship: relationshipCode })),
});
export type HouseholdRecord = z.infer<typeof householdRecord>;

export const householdsBatchResponse = z.object({
  households: z.array(householdRecord),
  notFound: z.array(z.string()),
});

export const verifyResponse = z.object({ match: z.boolean() });
export const healthResponse = z.object({ status: z.literal('ok') });

/** Request bodies, validated by the mock as a real backend would. */
export const citizensBatchRequest = z.object({ personalIds: z.array(personalId).min(1).max(MAX_BATCH) });
export const householdsBatchRequest = z.object({ householdIds: z.array(z.string().min(1).max(64)).min(1).max(MAX_BATCH) });
export const verifyRequest = z.object({ personalId, fullName: z.string().max(200), dateOfBirth: z.string().max(10) });
