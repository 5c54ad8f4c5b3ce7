import { z } from 'zod';
import { partialDateSchema } from '../../../lib/domain/partial-date.ts';
import { personalIdProblem } from '../../../lib/domain/personal-id.ts';
import { TWO_LEVEL_GOVERNMENT_FROM } from '../../../lib/domain/administrative-units.ts';
import { isoDateSchema, MAX_BATCH, personalIdSchema, provinceCodeSchema } from '../../../lib/backend/wire.ts';

/**
 * The population backend's wire format (see CONTRACT.md). Every answer is parsed with these
 * schemas where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */

/** An ID the backend answers with: resolvers decode it and load it again, so it must be one a person can hold. */
const personalId = personalIdSchema.refine((id) => personalIdProblem(id) === undefined, 'not a valid personal ID');

export const relationshipCode = z.enum(['CHU_HO', 'VO_CHONG', 'CON', 'CHA', 'ME', 'CHAU', 'KHAC']);
export type RelationshipCode = z.infer<typeof relationshipCode>;

/**
 * A registered permanent residence: the day it was registered, the address as registered (in the
 * units of that day: with its district before 2025-07-01, without one from then on) and the same
 * house in today's units (commune and provincial unit; no district since 2025-07-01).
 */
export const residenceRecord = z
  .object({
    registeredOn: isoDateSchema,
    street: z.string().min(1),
    asRegistered: z.object({ provinceCode: provinceCodeSchema, district: z.string().min(1).nullable(), commune: z.string().min(1) }),
    current: z.object({ provinceCode: provinceCodeSchema, commune: z.string().min(1) }),
  })
  .superRefine((r, ctx) => {
    const twoLevel = r.registeredOn >= TWO_LEVEL_GOVERNMENT_FROM;
    if (twoLevel !== (r.asRegistered.district === null)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['asRegistered', 'district'],
        message: twoLevel
          ? `a residence registered on or after ${TWO_LEVEL_GOVERNMENT_FROM} has no district`
          : `a residence registered before ${TWO_LEVEL_GOVERNMENT_FROM} names its district`,
      });
    }
  });

export type ResidenceRecord = z.infer<typeof residenceRecord>;

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
      issuedOn: isoDateSchema,
      expiresOn: isoDateSchema.nullable(),
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
  /** The day the household record was closed (its last member died); null while it exists. */
  endedOn: isoDateSchema.nullable(),
});
export type HouseholdRecord = z.infer<typeof householdRecord>;

export const householdsBatchResponse = z.object({
  households: z.array(householdRecord),
  notFound: z.array(z.string()),
});

export const verifyResponse = z.object({ match: z.boolean() });

/** Request bodies, validated by the mock as a real backend would. */
export const citizensBatchRequest = z.object({ personalIds: z.array(personalIdSchema).min(1).max(MAX_BATCH) });
export const householdsBatchRequest = z.object({ householdIds: z.array(z.string().min(1).max(64)).min(1).max(MAX_BATCH) });
export const verifyRequest = z.object({ personalId: personalIdSchema, fullName: z.string().max(200), dateOfBirth: z.string().max(10) });
