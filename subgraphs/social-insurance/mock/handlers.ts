import { healthHandler } from '../../../lib/devkit/mock-server.ts';
import { partition } from '../../../lib/devkit/mock-handlers.ts';
import { route, type MockRoute } from '../../../lib/devkit/mock-routes.ts';
import { todayInVietnam } from '../../../lib/domain/administrative-units.ts';
import { childCardValidTo } from '../../../lib/domain/health-insurance.ts';
import { addDays, birthday, firstDayOf, lastDayOf } from '../../../lib/domain/partial-date.ts';
import { NAMED_SOCIAL_INSURANCE } from '../../../lib/domain/synthetic/named.ts';
import { dayBetween, earlierOf, laterOf, SeededRandom } from '../../../lib/domain/synthetic/random.ts';
import type { ParticipationTruth, PersonTruth, SocialInsuranceTruth } from '../../../lib/domain/synthetic/types.ts';
import { SyntheticWorld } from '../../../lib/domain/synthetic/world.ts';
import { SCHEME_CODES } from '../adapter/mapping.ts';
import { socialInsuranceBatchRequest, type SocialInsuranceWireRecord } from '../adapter/wire.ts';

/**
 * Age from which the synthetic population contributes: the law allows 15 (Luật Bảo hiểm xã hội
 * 41/2024/QH15 Điều 2 khoản 4; Bộ luật Lao động 45/2019/QH14 Điều 3), the mock waits for 18.
 */
const CONTRIBUTION_AGE = 18;
/** Contributions of the synthetic population end by 60, within every retirement age the Labour Code has set. */
const LAST_CONTRIBUTION_AGE = 60;

const monthOf = (day: string) => day.slice(0, 7);
/** The month `months` after `month` (YYYY-MM). */
function addMonths(month: string, months: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Up to three periods from `first`, none past `last` (months); the last one continues when `continues`. */
function periodsBetween(random: SeededRandom, scheme: ParticipationTruth['scheme'], first: string, last: string, continues: boolean): ParticipationTruth[] {
  const periods: ParticipationTruth[] = [];
  let from = first;
  for (let count = random.int(1, 3); count > 0 && from <= last; count--) {
    const to = addMonths(from, random.int(12, 120) - 1);
    periods.push({ scheme, fromMonth: from, toMonth: to < last ? to : last });
    from = addMonths(to, random.int(2, 24));
  }
  const latest = periods.at(-1);
  if (continues && latest) delete latest.toMonth;
  return periods;
}

/**
 * What the insurance database holds of a person of the synthetic population as of `today`, derived
 * from the personal ID alone (the same ID always gets the same record): children are insured for
 * health, most adults contribute (through an employer or voluntarily), some are insured for health
 * only, and some are not in the database. Undefined for a person it holds nothing of.
 */
function socialInsuranceTruthOf(person: PersonTruth, lastDay: string): SocialInsuranceTruth | undefined {
  const named = NAMED_SOCIAL_INSURANCE[person.personalId];
  if (named) return named;
  const random = new SeededRandom(`social-insurance:${person.personalId}`);
  const socialInsuranceNumber = String(random.int(0, 9_999_999_999)).padStart(10, '0');
  const adult = birthday(person.birthDate, CONTRIBUTION_AGE);
  if (adult > lastDay) return { socialInsuranceNumber, participation: [], healthInsuredOtherwise: true };
  const roll = random.next();
  if (roll >= 0.92) return undefined;
  if (roll >= 0.7) return { socialInsuranceNumber, participation: [], healthInsuredOtherwise: true };
  const retired = birthday(person.birthDate, LAST_CONTRIBUTION_AGE);
  const last = monthOf(earlierOf(lastDay, retired));
  const first = monthOf(dayBetween(random, adult, earlierOf(birthday(person.birthDate, CONTRIBUTION_AGE + 7), lastDay)));
  const continues = person.status === 'ALIVE' && retired > lastDay && random.chance(0.85);
  const participation = periodsBetween(random, roll < 0.6 ? 'COMPULSORY' : 'VOLUNTARY', first, last, continues);
  // Past the age of contributions most stay insured for health (a pension, an allowance, a household).
  return { socialInsuranceNumber, participation, healthInsuredOtherwise: retired <= lastDay && random.chance(0.9) };
}

/**
 * The person's latest health-insurance card, following Luật Bảo hiểm y tế Điều 16: a child's card runs
 * from birth to the end the law sets (khoản 3 điểm d); a card is valid from the first day paid for
 * (điểm a, to the month); and a renewed card follows on from the last (điểm b), which the mock does
 * by calendar year. A card ends no later than its holder's death. `lastDay` is today, or the day of
 * death.
 */
function healthInsuranceCardOf(person: PersonTruth, truth: SocialInsuranceTruth, lastDay: string, died: boolean): SocialInsuranceWireRecord['healthInsuranceCard'] {
  const born = firstDayOf(person.birthDate);
  const childCardEnd = childCardValidTo(person.birthDate);
  // Under 6, or 6 with the child's card still running (it never ends before the sixth birthday).
  if (childCardEnd >= lastDay) {
    return { validFrom: born, validTo: died ? earlierOf(childCardEnd, lastDay) : childCardEnd };
  }
  const latest = truth.participation.at(-1);
  const year = lastDay.slice(0, 4);
  // Insured on the last day: by household or state, by contributions that continue, or by those of the month of death.
  const insuredOnLastDay = truth.healthInsuredOtherwise || (latest !== undefined && (latest.toMonth === undefined || (died && latest.toMonth >= monthOf(lastDay))));
  const after = (day: string) => laterOf(day, addDays(childCardEnd, 1));
  if (insuredOnLastDay) {
    const paidFrom = latest ? `${latest.fromMonth}-01` : born;
    return { validFrom: after(laterOf(`${year}-01-01`, paidFrom)), validTo: died ? lastDay : `${year}-12-31` };
  }
  if (!latest?.toMonth) return null;
  const end = lastDayOf(latest.toMonth);
  return { validFrom: after(laterOf(`${end.slice(0, 4)}-01-01`, `${latest.fromMonth}-01`)), validTo: end };
}

/** The backend's record of a person as of `today`; undefined when it holds none. */
export function syntheticSocialInsuranceRecord(world: SyntheticWorld, person: PersonTruth, today: string): SocialInsuranceWireRecord | undefined {
  const died = world.deathDateOf(person.personalId);
  const lastDay = died ?? today;
  const truth = socialInsuranceTruthOf(person, lastDay);
  if (!truth) return undefined;
  return {
    personalId: person.personalId,
    socialInsuranceNumber: truth.socialInsuranceNumber,
    participation: truth.participation.map((period) => ({
      scheme: SCHEME_CODES[period.scheme],
      fromMonth: period.fromMonth,
      toMonth: period.toMonth ?? null,
    })),
    healthInsuranceCard: healthInsuranceCardOf(person, truth, lastDay, died !== undefined),
  };
}

/** The route table of the social-insurance backend (contract: ../adapter/CONTRACT.md), over the synthetic population as of `now`. */
export function socialInsuranceHandlers(now: Date = new Date()): MockRoute[] {
  const world = new SyntheticWorld({ now });
  const today = todayInVietnam(now);
  return [
    healthHandler('social-insurance'),
    route.post('/v1/social-insurance/batch-get', (request) => {
      const read = request.json(socialInsuranceBatchRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.personalIds, (id) => {
        const person = world.person(id);
        return person && syntheticSocialInsuranceRecord(world, person, today);
      });
      return { status: 200, json: { records: found, notFound } };
    }),
  ];
}
