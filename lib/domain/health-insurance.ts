import { birthday, type PartialDate } from './partial-date.ts';

/**
 * Health-insurance card rules the graph and the synthetic population both follow: Luật Bảo hiểm y tế
 * (25/2008/QH12, amended by 46/2014/QH13 and 51/2024/QH15), Điều 16.
 */

/** Whether a card can be used on a day: within its validity, not yet, or no longer. */
export type HealthInsuranceCardStatus = 'VALID' | 'NOT_YET_VALID' | 'EXPIRED';

/** A card's validity (both days included) on `day`. */
export function cardStatusOn(card: { validFrom: string; validTo: string }, day: string): HealthInsuranceCardStatus {
  if (day < card.validFrom) return 'NOT_YET_VALID';
  return day > card.validTo ? 'EXPIRED' : 'VALID';
}

/** Age under which a child's card is paid by the state and follows its own rule of validity. */
export const CHILD_CARD_AGE = 6;

/**
 * The last day of a child's card under Điều 16 khoản 3 điểm d (unchanged by 51/2024/QH15): valid
 * until the child is 72 months old, or until 30 September of that year when the child reaches 72
 * months before the school year starts. The school year is taken to start after 30 September for a
 * child born on or before that day of the year, as Nghị định 188/2025/NĐ-CP is reported to rule
 * (its text was not read); a child born later keeps the card to the day of 72 months.
 */
export function childCardValidTo(birth: PartialDate): string {
  const sixth = birthday(birth, CHILD_CARD_AGE);
  const endOfSeptember = `${sixth.slice(0, 4)}-09-30`;
  return sixth <= endOfSeptember ? endOfSeptember : sixth;
}
