import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { PurposefulOfficer } from '../../lib/access/caller.ts';
import { testBackendConnection } from '../../lib/backend/connection-test.ts';
import { todayInVietnam } from '../../lib/domain/administrative-units.ts';
import { birthday, formatPartialDate } from '../../lib/domain/partial-date.ts';
import { encodePersonalId } from '../../lib/domain/personal-id.ts';
import { NAMED_IDS } from '../../lib/domain/synthetic/named.ts';
import { SyntheticWorld } from '../../lib/domain/synthetic/world.ts';
import { SystemError } from '../../lib/runtime/errors.ts';
import { startSubgraphUnderTest } from '../../test/support/subgraph-harness.ts';
import { socialInsuranceSubgraph } from './index.ts';
import { socialInsuranceHandlers, syntheticSocialInsuranceRecord } from './mock/handlers.ts';

/** The synthetic population as of one day, so whose card is valid does not change with the calendar. */
const NOW = new Date('2026-12-03T05:00:00Z');
const TODAY = todayInVietnam(NOW);
const world = new SyntheticWorld({ now: NOW });
const UNKNOWN_ID = '079090000000';

/** The social-insurance rule grants the insurance record to Bảo hiểm xã hội Việt Nam, for its own procedures. */
const INSURANCE_OFFICER: PurposefulOfficer = {
  kind: 'officer',
  agency: 'BHXH',
  officer: 'harness',
  roles: [],
  purpose: 'health-insurance-card',
  caseNumber: 'BH-HARNESS',
  issuer: 'api-key',
};
const { mock, adapter, wireAdapter, wireAnswers, execute, reset, close } = await startSubgraphUnderTest(socialInsuranceSubgraph, socialInsuranceHandlers(NOW), {
  backendTimeoutMs: 2000,
  caller: INSURANCE_OFFICER,
});
afterAll(close);
beforeEach(reset);

async function systemErrorOf(promise: Promise<unknown>): Promise<SystemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SystemError)) throw new Error(`expected a SystemError, got ${String(error)}`);
  return error;
}

/** 1,500 people of the synthetic population, born 1925 to 2026, from three provinces. */
const SAMPLE = Array.from({ length: 1500 }, (_, i) => encodePersonalId(['001', '079', '048'][i % 3]!, i % 2 ? 'FEMALE' : 'MALE', 1925 + (i % 102), 7001 + i * 37))
  .map((id) => world.person(id))
  .filter((person) => person !== undefined);

describe('SocialInsuranceAdapter', () => {
  it('fetches several citizens in one backend request, an unknown one not found', async () => {
    const records = await adapter.getSocialInsurance([NAMED_IDS.head, NAMED_IDS.wife, UNKNOWN_ID]);
    expect(mock.stats().requests).toBe(1);
    expect(mock.stats().byRoute).toEqual({ 'POST /v1/social-insurance/batch-get': 1 });
    expect([...records.keys()].sort()).toEqual([NAMED_IDS.head, NAMED_IDS.wife].sort());
  });

  it("serves the household head's record: two compulsory periods, the second continuing, and this year's card", async () => {
    const head = (await adapter.getSocialInsurance([NAMED_IDS.head])).get(NAMED_IDS.head);
    expect(head).toEqual({
      personalId: NAMED_IDS.head,
      socialInsuranceNumber: '0107012345',
      participationPeriods: [
        { scheme: 'COMPULSORY', fromMonth: '2007-08', toMonth: '2013-12' },
        { scheme: 'COMPULSORY', fromMonth: '2014-03', toMonth: null },
      ],
      healthInsuranceCard: { validFrom: '2026-01-01', validTo: '2026-12-31' },
    });
  });

  it("ends the late grandfather's card on the day he died, and keeps the children insured", async () => {
    const records = await adapter.getSocialInsurance([NAMED_IDS.lateGrandfather, NAMED_IDS.son, NAMED_IDS.daughter, NAMED_IDS.wife]);
    expect(records.get(NAMED_IDS.lateGrandfather)?.healthInsuranceCard).toEqual({ validFrom: '2020-01-01', validTo: '2020-11-02' });
    for (const child of [NAMED_IDS.son, NAMED_IDS.daughter]) {
      expect(records.get(child)).toMatchObject({ participationPeriods: [], healthInsuranceCard: { validFrom: '2026-01-01', validTo: '2026-12-31' } });
    }
    expect(records.get(NAMED_IDS.wife)?.participationPeriods.map((p) => p.scheme)).toEqual(['COMPULSORY', 'VOLUNTARY']);
  });

  it('reports a malformed answer as SYSTEM_BAD_RESPONSE', async () => {
    mock.setFault({ mode: 'malformed' });
    const error = await systemErrorOf(adapter.getSocialInsurance([NAMED_IDS.head]));
    expect(error.extensions).toEqual({ code: 'SYSTEM_BAD_RESPONSE', system: 'social-insurance' });
  });

  it('reports a backend that is down as SYSTEM_UNAVAILABLE', async () => {
    mock.setFault({ mode: 'down' });
    const error = await systemErrorOf(adapter.getSocialInsurance([NAMED_IDS.head]));
    expect(error.extensions).toEqual({ code: 'SYSTEM_UNAVAILABLE', system: 'social-insurance' });
  });

  it('passes its own connection test against the mock backend', async () => {
    const report = await testBackendConnection({ system: 'social-insurance', baseUrl: mock.url, checks: socialInsuranceSubgraph.contractChecks, timeoutMs: 2000 });
    expect(report.problem).toBeNull();
    expect(report.verdict).toBe('PASSED');
  });
});

describe('the synthetic insurance records obey the law they are served under', () => {
  const records = SAMPLE.map((person) => ({ person, record: syntheticSocialInsuranceRecord(world, person, TODAY) }));
  const deathDay = (personalId: string) => world.deathDateOf(personalId);

  it('holds most of the sample, children and adults, deceased and alive', () => {
    const held = records.filter((r) => r.record);
    expect(SAMPLE.length).toBeGreaterThan(1000);
    expect(held.length / SAMPLE.length).toBeGreaterThan(0.85);
    expect(held.some((r) => r.person.status === 'DECEASED')).toBe(true);
    expect(held.some((r) => r.record!.participation.some((p) => p.scheme === 'TU_NGUYEN'))).toBe(true);
  });

  it('contributions: from 18 (the law allows 15), in order, never overlapping, never after today or death; only the living continue', () => {
    for (const { person, record } of records) {
      if (!record) continue;
      const end = (deathDay(person.personalId) ?? TODAY).slice(0, 7);
      let previous = '';
      for (const period of record.participation) {
        const context = `${person.personalId} ${JSON.stringify(record.participation)}`;
        expect(period.fromMonth >= birthday(person.birthDate, 18).slice(0, 7), context).toBe(true);
        expect(period.fromMonth > previous, context).toBe(true);
        expect((period.toMonth ?? end) <= end, context).toBe(true);
        if (period.toMonth === null) expect(person.status, context).toBe('ALIVE');
        previous = period.toMonth ?? '9999-12';
      }
    }
  });

  it("cards: valid from birth at the earliest, to the child's 72 months (or 30 September) under 6, never past the holder's death", () => {
    let children = 0;
    for (const { person, record } of records) {
      const card = record?.healthInsuranceCard;
      if (!card) continue;
      const context = `${person.personalId} ${JSON.stringify(card)}`;
      expect(card.validFrom <= card.validTo, context).toBe(true);
      expect(card.validFrom >= formatPartialDate({ year: person.birthDate.year }), context).toBe(true);
      const died = deathDay(person.personalId);
      if (died) expect(card.validTo <= died, context).toBe(true);
      if (!died && birthday(person.birthDate, 6) > TODAY) {
        children++;
        const sixth = birthday(person.birthDate, 6);
        const validTo = sixth.slice(5) <= '09-30' ? `${sixth.slice(0, 4)}-09-30` : sixth;
        expect(card, context).toEqual({ validFrom: formatPartialDate(person.birthDate), validTo });
      }
    }
    expect(children).toBeGreaterThan(0);
  });

  it('gives the same ID the same record', () => {
    const person = SAMPLE[123]!;
    expect(syntheticSocialInsuranceRecord(world, person, TODAY)).toEqual(syntheticSocialInsuranceRecord(new SyntheticWorld({ now: NOW }), person, TODAY));
  });
});

describe('SocialInsuranceAdapter, on wire answers written from the contract', () => {
  /** The record of the CONTRACT.md example. */
  const CONTRACT_RECORD = {
    personalId: NAMED_IDS.head,
    socialInsuranceNumber: '0107012345',
    participation: [
      { scheme: 'BAT_BUOC', fromMonth: '2007-08', toMonth: '2013-12' },
      { scheme: 'TU_NGUYEN', fromMonth: '2014-03', toMonth: null },
    ],
    healthInsuranceCard: { validFrom: '2026-01-01', validTo: '2026-12-31' },
  };

  it('maps each scheme code, and a record without a card', async () => {
    wireAnswers.set('/v1/social-insurance/batch-get', { records: [{ ...CONTRACT_RECORD, healthInsuranceCard: null }], notFound: [] });
    expect((await wireAdapter.getSocialInsurance([NAMED_IDS.head])).get(NAMED_IDS.head)).toEqual({
      personalId: NAMED_IDS.head,
      socialInsuranceNumber: '0107012345',
      participationPeriods: [
        { scheme: 'COMPULSORY', fromMonth: '2007-08', toMonth: '2013-12' },
        { scheme: 'VOLUNTARY', fromMonth: '2014-03', toMonth: null },
      ],
      healthInsuranceCard: null,
    });
  });

  it('refuses an unknown scheme, a month that does not exist, a period or card that ends before it starts, a number that is not digits', async () => {
    const period = (change: object) => ({ participation: [{ ...CONTRACT_RECORD.participation[0], ...change }] });
    for (const broken of [
      period({ scheme: 'KHAC' }),
      period({ fromMonth: '2024-13' }),
      period({ fromMonth: '2014-01', toMonth: '2013-12' }),
      { healthInsuranceCard: { validFrom: '2026-01-01', validTo: '2025-12-31' } },
      { healthInsuranceCard: { validFrom: '2026-02-30', validTo: '2026-12-31' } },
      { socialInsuranceNumber: 'BH0107012345' },
    ]) {
      wireAnswers.set('/v1/social-insurance/batch-get', { records: [{ ...CONTRACT_RECORD, ...broken }], notFound: [] });
      const error = await systemErrorOf(wireAdapter.getSocialInsurance([NAMED_IDS.head]));
      expect(error.extensions, JSON.stringify(broken)).toEqual({ code: 'SYSTEM_BAD_RESPONSE', system: 'social-insurance' });
    }
  });
});

describe('social-insurance subgraph', () => {
  it('publishes its federated SDL', async () => {
    const result = await execute('{ _service { sdl } }');
    const sdl = (result.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toMatch(/type Citizen\s+@key\(fields: "personalId"\)/);
    expect(sdl).toContain('socialInsurance: SocialInsurance');
  });

  it("resolves several Citizen references with one backend request, each card's status as of today", async () => {
    const result = await execute(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { personalId
        socialInsurance { socialInsuranceNumber participationPeriods { scheme fromMonth toMonth } healthInsuranceCard { validTo status } } } } }`,
      { representations: [NAMED_IDS.head, NAMED_IDS.lateGrandfather, UNKNOWN_ID].map((personalId) => ({ __typename: 'Citizen', personalId })) },
    );
    expect(result.errors).toBeUndefined();
    expect(mock.stats().requests).toBe(1);
    const [head, grandfather, unknown] = (result.data as { _entities: Record<string, any>[] })._entities;
    expect(head!.socialInsurance.participationPeriods).toEqual([
      { scheme: 'COMPULSORY', fromMonth: '2007-08', toMonth: '2013-12' },
      { scheme: 'COMPULSORY', fromMonth: '2014-03', toMonth: null },
    ]);
    // The subgraph decides the status with the real calendar, the mock's records are as of NOW.
    expect(head!.socialInsurance.healthInsuranceCard).toEqual({ validTo: '2026-12-31', status: todayInVietnam() <= '2026-12-31' ? 'VALID' : 'EXPIRED' });
    expect(grandfather!.socialInsurance).toEqual({
      socialInsuranceNumber: '0135000456',
      participationPeriods: [],
      healthInsuranceCard: { validTo: '2020-11-02', status: 'EXPIRED' },
    });
    expect(unknown).toEqual({ personalId: UNKNOWN_ID, socialInsurance: null });
  });

  it('answers a reference that needs only the key without calling the backend, and rejects invalid IDs', async () => {
    const result = await execute(`query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { personalId } } }`, {
      representations: [
        { __typename: 'Citizen', personalId: NAMED_IDS.head },
        { __typename: 'Citizen', personalId: '12345' },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ _entities: [{ personalId: NAMED_IDS.head }, null] });
    expect(mock.stats().requests).toBe(0);
  });

  it('reports a backend failure with the system named', async () => {
    mock.setFault({ mode: 'error' });
    const result = await execute(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { socialInsurance { socialInsuranceNumber } } } }`,
      {
        representations: [{ __typename: 'Citizen', personalId: NAMED_IDS.head }],
      },
    );
    expect(result.data).toEqual({ _entities: [{ socialInsurance: null }] });
    expect(result.errors?.map((e) => e.extensions)).toEqual([{ code: 'SYSTEM_UNAVAILABLE', system: 'social-insurance' }]);
  });
});
