import type { SocialInsuranceScheme } from '../generated/resolvers.ts';
import type { SchemeCode, SocialInsuranceWireRecord } from './wire.ts';

/** A citizen's social-insurance record as the subgraph sees it, independent of the backend's wire codes. */
export interface SocialInsuranceModel {
  personalId: string;
  socialInsuranceNumber: string;
  participationPeriods: { scheme: SocialInsuranceScheme; fromMonth: string; toMonth: string | null }[];
  healthInsuranceCard: HealthInsuranceCardModel | null;
}

/** A health-insurance card's validity, both days included. */
export interface HealthInsuranceCardModel {
  validFrom: string;
  validTo: string;
}

/** Each scheme's code on the wire (the mock writes them, the adapter reads them back). */
export const SCHEME_CODES: Record<SocialInsuranceScheme, SchemeCode> = {
  COMPULSORY: 'BAT_BUOC',
  VOLUNTARY: 'TU_NGUYEN',
};
const SCHEMES = Object.fromEntries(Object.entries(SCHEME_CODES).map(([scheme, code]) => [code, scheme])) as Record<SchemeCode, SocialInsuranceScheme>;

export function socialInsuranceFromWire(record: SocialInsuranceWireRecord): SocialInsuranceModel {
  return {
    personalId: record.personalId,
    socialInsuranceNumber: record.socialInsuranceNumber,
    participationPeriods: record.participation.map((period) => ({ scheme: SCHEMES[period.scheme], fromMonth: period.fromMonth, toMonth: period.toMonth })),
    healthInsuranceCard: record.healthInsuranceCard,
  };
}
