import { z } from 'zod';
import { isoDateSchema, MAX_BATCH, personalIdSchema } from '../../../lib/backend/wire.ts';

/**
 * The social-insurance backend's wire format (see CONTRACT.md). Every answer is parsed with these
 * schemas where it enters; an answer that does not fit is SYSTEM_BAD_RESPONSE.
 */

/** A calendar month, `YYYY-MM`: contributions are recorded by month. */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM');

/** The scheme of a participation period, in the backend's own codes: bắt buộc, tự nguyện. */
export const schemeCode = z.enum(['BAT_BUOC', 'TU_NGUYEN']);
export type SchemeCode = z.infer<typeof schemeCode>;

export const participationPeriod = z
  .object({
    scheme: schemeCode,
    fromMonth: monthSchema,
    /** Null while contributions continue. */
    toMonth: monthSchema.nullable(),
  })
  .refine((period) => period.toMonth === null || period.fromMonth <= period.toMonth, 'a period that ends before it starts');
export type ParticipationWirePeriod = z.infer<typeof participationPeriod>;

export const healthInsuranceCard = z
  .object({ validFrom: isoDateSchema, validTo: isoDateSchema })
  .refine((card) => card.validFrom <= card.validTo, 'a card that expires before it is valid');

export const socialInsuranceRecord = z.object({
  personalId: personalIdSchema,
  /** Mã số bảo hiểm xã hội: digits, as the insurance agency issued them. */
  socialInsuranceNumber: z.string().regex(/^\d{1,20}$/),
  /** Oldest first. */
  participation: z.array(participationPeriod),
  /** The citizen's latest card; null when none was issued. */
  healthInsuranceCard: healthInsuranceCard.nullable(),
});
export type SocialInsuranceWireRecord = z.infer<typeof socialInsuranceRecord>;

export const socialInsuranceBatchResponse = z.object({
  records: z.array(socialInsuranceRecord),
  notFound: z.array(z.string()),
});

/** Request body, validated by the mock as a real backend would. */
export const socialInsuranceBatchRequest = z.object({ personalIds: z.array(personalIdSchema).min(1).max(MAX_BATCH) });
