import { ageOn, birthday, type PartialDate } from './partial-date.ts';

/**
 * Identity cards whose number is the personal identification number, as the law of their issue date
 * defines them.
 * - The chip citizen identity card (thẻ Căn cước công dân gắn chip) was issued from 2021-01-01 (before
 *   that, from 2016, the bar-code model, which this graph does not serve).
 * - From 2024-07-01 the card issued is the thẻ căn cước (Luật Căn cước 26/2023/QH15, in force 2024-07-01).
 * - Both laws make the holder renew the card at 25, 40 and 60; a card issued within the two years
 *   before one of those ages stays valid until the next one, so a card issued from 58 never expires.
 */
export const CHIP_CARDS_FROM = '2021-01-01';
export const IDENTIFICATION_LAW_FROM = '2024-07-01';
/** The age from which a card must be held; younger children's cards are not modelled. */
export const FIRST_CARD_AGE = 14;
const RENEWAL_AGES = [25, 40, 60] as const;

export type IdCardKind = 'CHIP_CITIZEN_ID' | 'IDENTITY_CARD';

/** The model of card issued on `issuedOn` (from CHIP_CARDS_FROM). */
export function idCardKindOn(issuedOn: string): IdCardKind {
  return issuedOn < IDENTIFICATION_LAW_FROM ? 'CHIP_CITIZEN_ID' : 'IDENTITY_CARD';
}

/** The card's last day of validity: the birthday of the next renewal age it must be renewed at; undefined for life. */
export function idCardExpiry(birth: PartialDate, issuedOn: string): string | undefined {
  const age = ageOn(birth, issuedOn);
  const renewalAge = RENEWAL_AGES.find((renewal) => age < renewal - 2);
  return renewalAge === undefined ? undefined : birthday(birth, renewalAge);
}
