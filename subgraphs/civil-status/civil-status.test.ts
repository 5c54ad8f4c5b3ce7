import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SystemError } from '../../lib/runtime/errors.ts';
import { FACT_SOURCES, factById, localityCodesOf } from '../../lib/backend/facts.ts';
import { LEGACY_PROVINCES as PROVINCES } from '../../lib/domain/administrative-units.ts';
import { encodePersonalId } from '../../lib/domain/personal-id.ts';
import { NAMED_IDS } from '../../lib/domain/synthetic/named.ts';
import { startSubgraphUnderTest } from '../../test/support/subgraph-harness.ts';
import { civilStatusSubgraph } from './index.ts';
import { civilStatusHandlers } from './mock/handlers.ts';

const UNKNOWN_ID = '079090000000';
/** A seed document whose article was not found: outlet, title, address and language unknown. */
const S2 = {
  id: 'S2',
  document: '002_96e2c9ccc16d0af5.txt',
  outlet: null,
  title: null,
  published: '2024-11',
  url: null,
  language: null,
  summary: FACT_SOURCES.find((s) => s.id === 'S2')!.summary,
};
const COMPLETED_2024_09 = localityCodesOf(factById('civil-status.completed.2024-09'));

const { mock, adapter, wireAdapter, wireAnswers, execute, close } = await startSubgraphUnderTest(civilStatusSubgraph, civilStatusHandlers(), { backendTimeoutMs: 2000 });
afterAll(close);
beforeEach(() => wireAnswers.clear());

async function systemErrorOf(promise: Promise<unknown>): Promise<SystemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SystemError)) throw new Error(`expected a SystemError, got ${String(error)}`);
  return error;
}

describe('CivilStatusAdapter', () => {
  it('fetches several citizens in one backend request', async () => {
    mock.resetStats();
    const records = await adapter.getCivilStatus([NAMED_IDS.son, NAMED_IDS.head, NAMED_IDS.grandmother, NAMED_IDS.lateGrandfather]);
    expect(mock.stats().requests).toBe(1);
    expect(mock.stats().byRoute).toEqual({ 'POST /v1/civil-status/batch-get': 1 });
    expect([...records.keys()].sort()).toEqual([NAMED_IDS.son, NAMED_IDS.head, NAMED_IDS.grandmother, NAMED_IDS.lateGrandfather].sort());
  });

  it("returns the son's birth registration naming both parents", async () => {
    const son = (await adapter.getCivilStatus([NAMED_IDS.son])).get(NAMED_IDS.son);
    expect(son?.birthRegistration).toEqual({
      registrationNumber: '118/2012',
      registeredOn: { year: 2012, month: 5, day: 21 },
      registryOffice: 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
      fullName: 'Nguyễn Minh Khang',
      dateOfBirth: { year: 2012, month: 5, day: 2 },
      fatherId: '001085012345',
      motherId: '036187004321',
    });
    expect(son?.marriages).toEqual([]);
    expect(son?.maritalStatus).toBe('NO_MARRIAGE_RECORDED');
    expect(son?.deathRegistration).toBeNull();
  });

  it("returns the head's marriage in effect, seen from him", async () => {
    const head = (await adapter.getCivilStatus([NAMED_IDS.head])).get(NAMED_IDS.head);
    expect(head?.marriages).toEqual([
      {
        registrationNumber: '45/2010',
        registeredOn: { year: 2010, month: 10, day: 10 },
        registryOffice: 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
        husbandId: NAMED_IDS.head,
        wifeId: NAMED_IDS.wife,
        spouseId: NAMED_IDS.wife,
        status: 'IN_EFFECT',
        endedOn: null,
      },
    ]);
    expect(head?.maritalStatus).toBe('MARRIED');
  });

  it("keeps the grandmother's 1958 marriage date to the year and derives WIDOWED", async () => {
    const grandmother = (await adapter.getCivilStatus([NAMED_IDS.grandmother])).get(NAMED_IDS.grandmother);
    expect(grandmother?.marriages).toEqual([
      {
        registrationNumber: '12/1958',
        registeredOn: { year: 1958 },
        registryOffice: 'UBND xã Nam Thanh, huyện Nam Trực, tỉnh Nam Định',
        husbandId: NAMED_IDS.lateGrandfather,
        wifeId: NAMED_IDS.grandmother,
        spouseId: NAMED_IDS.lateGrandfather,
        status: 'ENDED_BY_DEATH',
        endedOn: { year: 2020, month: 11, day: 2 },
      },
    ]);
    expect(grandmother?.maritalStatus).toBe('WIDOWED');
    expect(grandmother?.deathRegistration).toBeNull();
  });

  it("returns the late grandfather's death registration; his own death leaves him married", async () => {
    const grandfather = (await adapter.getCivilStatus([NAMED_IDS.lateGrandfather])).get(NAMED_IDS.lateGrandfather);
    expect(grandfather?.deathRegistration).toEqual({
      registrationNumber: '31/2020',
      registeredOn: { year: 2020, month: 11, day: 5 },
      dateOfDeath: { year: 2020, month: 11, day: 2 },
      registryOffice: 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
    });
    expect(grandfather?.marriages?.[0]?.spouseId).toBe(NAMED_IDS.grandmother);
    expect(grandfather?.maritalStatus).toBe('MARRIED');
  });

  it('reports an unknown citizen as not found', async () => {
    const records = await adapter.getCivilStatus([UNKNOWN_ID, NAMED_IDS.son]);
    expect(records.has(UNKNOWN_ID)).toBe(false);
    expect(records.has(NAMED_IDS.son)).toBe(true);
  });

  it('serves province digitisation from the published facts', async () => {
    mock.resetStats();
    const provinces = await adapter.getProvinceDigitization(['074', '094', '002', '999']);
    expect(mock.stats().requests).toBe(1);
    expect(provinces.get('074')).toEqual({
      status: 'BASICALLY_COMPLETED',
      recordsDigitized: 1070426,
      digitizedShare: 1,
      statement: 'Binh Duong civil-status records digitised, basically complete (100%)',
      asOf: '2024-11-11',
      sources: [S2],
    });
    // "as of the end of September 2024": a month, not a day.
    expect(provinces.get('094')).toMatchObject({ status: 'COMPLETED', recordsDigitized: null, asOf: '2024-09' });
    expect(provinces.get('094')?.sources.map((s) => s.id)).toEqual(['S0']);
    expect(provinces.get('002')).toEqual({
      status: 'NOT_REPORTED',
      recordsDigitized: null,
      digitizedShare: null,
      statement: null,
      asOf: null,
      sources: [],
    });
    expect(provinces.has('999')).toBe(false);
  });

  it('reports a malformed answer as SYSTEM_BAD_RESPONSE', async () => {
    mock.setFault({ mode: 'malformed' });
    try {
      const error = await systemErrorOf(adapter.getCivilStatus([NAMED_IDS.son]));
      expect(error.extensions).toEqual({ code: 'SYSTEM_BAD_RESPONSE', system: 'civil-status' });
    } finally {
      mock.setFault({ mode: 'ok' });
    }
  });

  it('reports a backend that is down as SYSTEM_UNAVAILABLE', async () => {
    mock.setFault({ mode: 'down' });
    try {
      const error = await systemErrorOf(adapter.getCivilStatus([NAMED_IDS.son]));
      expect(error.extensions).toEqual({ code: 'SYSTEM_UNAVAILABLE', system: 'civil-status' });
    } finally {
      mock.setFault({ mode: 'ok' });
    }
  });
});

describe('CivilStatusAdapter, on wire answers written from the contract', () => {
  const GRANDMOTHER = '036138000123';
  const GRANDFATHER = '001035000456';
  /** The grandmother's marriage of the CONTRACT.md example. */
  const CONTRACT_MARRIAGE = {
    registrationNumber: '12/1958',
    registeredOn: { year: 1958 },
    registryOffice: 'UBND xã Nam Thanh, huyện Nam Trực, tỉnh Nam Định',
    husbandId: GRANDFATHER,
    wifeId: GRANDMOTHER,
    endReason: 'CHET',
    endedOn: { year: 2020, month: 11, day: 2 },
  };
  /** Ho Chi Minh City's entry of the CONTRACT.md example. */
  const CONTRACT_PROVINCE = {
    provinceCode: '079',
    status: 'HOAN_THANH',
    recordsDigitized: 12800000,
    digitizedShare: 1,
    statement: 'Ho Chi Minh City civil-status records digitised (100%)',
    asOf: '2024-11-11',
    sourceIds: ['S2'],
  };
  const NOT_REPORTED = {
    provinceCode: '002',
    status: 'CHUA_BAO_CAO',
    recordsDigitized: null,
    digitizedShare: null,
    statement: null,
    asOf: null,
    sourceIds: [],
  };
  const serveRecord = (marriages: object[], dateOfDeath: object | null = null) =>
    wireAnswers.set('/v1/civil-status/batch-get', {
      records: [
        {
          personalId: GRANDFATHER,
          birthRegistration: null,
          marriages,
          deathRegistration: dateOfDeath && {
            registrationNumber: '31/2020',
            registeredOn: { year: 2020, month: 11, day: 5 },
            dateOfDeath,
            registryOffice: 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
          },
        },
      ],
      notFound: [],
    });
  const serveProvinces = (...provinces: object[]) => wireAnswers.set('/v1/digitization/provinces/batch-get', { provinces, sources: [S2], notFound: [] });
  const grandfather = async () => (await wireAdapter.getCivilStatus([GRANDFATHER])).get(GRANDFATHER);

  it('maps each marriage end reason', async () => {
    serveRecord([
      { ...CONTRACT_MARRIAGE, endReason: 'LY_HON', endedOn: { year: 1960 } },
      { ...CONTRACT_MARRIAGE, registeredOn: { year: 1961 } },
      { ...CONTRACT_MARRIAGE, registeredOn: { year: 1962 }, endReason: null, endedOn: null },
    ]);
    expect((await grandfather())?.marriages.map((m) => [m.status, m.endedOn])).toEqual([
      ['ENDED_BY_DIVORCE', { year: 1960 }],
      ['ENDED_BY_DEATH', { year: 2020, month: 11, day: 2 }],
      ['IN_EFFECT', null],
    ]);
  });

  it('maps each digitisation status', async () => {
    serveProvinces(
      CONTRACT_PROVINCE,
      { ...CONTRACT_PROVINCE, provinceCode: '074', status: 'CO_BAN_HOAN_THANH' },
      { ...CONTRACT_PROVINCE, provinceCode: '075', status: 'DANG_THUC_HIEN' },
      NOT_REPORTED,
    );
    const provinces = await wireAdapter.getProvinceDigitization(['079', '074', '075', '002']);
    expect(['079', '074', '075', '002'].map((code) => provinces.get(code)?.status)).toEqual(['COMPLETED', 'BASICALLY_COMPLETED', 'IN_PROGRESS', 'NOT_REPORTED']);
    // Everything but the status and the sources passes through as the backend wrote it.
    const { provinceCode: _, sourceIds: __, ...asWritten } = CONTRACT_PROVINCE;
    expect(provinces.get('079')).toEqual({ ...asWritten, status: 'COMPLETED', sources: [S2] });
  });

  it('leaves a citizen whose own death ended the marriage married, whatever the precision of the dates', async () => {
    const cases = [
      { dateOfDeath: { year: 2020, month: 11 }, endedOn: { year: 2020, month: 11, day: 2 }, expected: 'MARRIED' },
      { dateOfDeath: { year: 2020 }, endedOn: { year: 2020, month: 11, day: 2 }, expected: 'MARRIED' },
      { dateOfDeath: { year: 2020, month: 11, day: 2 }, endedOn: null, expected: 'MARRIED' },
      { dateOfDeath: { year: 2020, month: 11, day: 2 }, endedOn: { year: 2020, month: 11, day: 1 }, expected: 'WIDOWED' },
      { dateOfDeath: { year: 2020, month: 11 }, endedOn: { year: 2019, month: 5 }, expected: 'WIDOWED' },
    ];
    for (const { dateOfDeath, endedOn, expected } of cases) {
      serveRecord([{ ...CONTRACT_MARRIAGE, endedOn }], dateOfDeath);
      expect((await grandfather())?.maritalStatus, JSON.stringify({ dateOfDeath, endedOn })).toBe(expected);
    }
    serveRecord([{ ...CONTRACT_MARRIAGE, endReason: 'LY_HON', endedOn: null }], { year: 2020 });
    expect((await grandfather())?.maritalStatus).toBe('DIVORCED');
  });

  it('refuses a count beyond a GraphQL Int, or an asOf that is not a real date', async () => {
    for (const broken of [
      { ...CONTRACT_PROVINCE, recordsDigitized: 2 ** 31 },
      { ...CONTRACT_PROVINCE, asOf: '2024-13-45' },
    ]) {
      serveProvinces(broken);
      await expect(wireAdapter.getProvinceDigitization(['079'])).rejects.toMatchObject({
        extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'civil-status' },
      });
    }
  });

  it('refuses a not-reported province that carries figures, a statement, a date or a source', async () => {
    for (const broken of [
      { recordsDigitized: 1 },
      { digitizedShare: 0.5 },
      { statement: 'Localities that completed civil-status (ho tich) record digitisation' },
      { asOf: '2024-11-11' },
      { sourceIds: ['S2'] },
    ]) {
      serveProvinces({ ...NOT_REPORTED, ...broken });
      await expect(wireAdapter.getProvinceDigitization(['002']), JSON.stringify(broken)).rejects.toMatchObject({
        extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'civil-status' },
      });
    }
  });
});

describe('civil-status subgraph', () => {
  it('publishes its federated SDL', async () => {
    const result = await execute('{ _service { sdl } }');
    const sdl = (result.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toMatch(/type Citizen\s+@key\(fields: "personalId"\)/);
    expect(sdl).toMatch(/type Province\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Source\s+@shareable/);
  });

  it('resolves three Citizen references with one backend request', async () => {
    mock.resetStats();
    const result = await execute(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Citizen {
            personalId
            birthRegistration { registrationNumber registeredOn { text precision } father { personalId } mother { personalId } }
            marriages { registrationNumber registeredOn { year month day precision text } status endedOn { text } spouse { personalId } }
            maritalStatus
          }
        }
      }`,
      {
        representations: [NAMED_IDS.son, NAMED_IDS.grandmother, NAMED_IDS.head].map((personalId) => ({ __typename: 'Citizen', personalId })),
      },
    );
    expect(result.errors).toBeUndefined();
    expect(mock.stats().requests).toBe(1);
    expect(result.data).toEqual({
      _entities: [
        {
          personalId: NAMED_IDS.son,
          birthRegistration: {
            registrationNumber: '118/2012',
            registeredOn: { text: '2012-05-21', precision: 'DAY' },
            father: { personalId: NAMED_IDS.head },
            mother: { personalId: NAMED_IDS.wife },
          },
          marriages: [],
          maritalStatus: 'NO_MARRIAGE_RECORDED',
        },
        {
          personalId: NAMED_IDS.grandmother,
          birthRegistration: null,
          marriages: [
            {
              registrationNumber: '12/1958',
              registeredOn: { year: 1958, month: null, day: null, precision: 'YEAR', text: '1958' },
              status: 'ENDED_BY_DEATH',
              endedOn: { text: '2020-11-02' },
              spouse: { personalId: NAMED_IDS.lateGrandfather },
            },
          ],
          maritalStatus: 'WIDOWED',
        },
        {
          personalId: NAMED_IDS.head,
          birthRegistration: {
            registrationNumber: '67/1985',
            registeredOn: { text: '1985-04', precision: 'MONTH' },
            father: { personalId: NAMED_IDS.lateGrandfather },
            mother: { personalId: NAMED_IDS.grandmother },
          },
          marriages: [
            {
              registrationNumber: '45/2010',
              registeredOn: { year: 2010, month: 10, day: 10, precision: 'DAY', text: '2010-10-10' },
              status: 'IN_EFFECT',
              endedOn: null,
              spouse: { personalId: NAMED_IDS.wife },
            },
          ],
          maritalStatus: 'MARRIED',
        },
      ],
    });
  });

  it('answers a reference that needs only the key without calling the backend, and rejects invalid IDs', async () => {
    mock.resetStats();
    const result = await execute(`query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { personalId } } }`, {
      representations: [
        { __typename: 'Citizen', personalId: NAMED_IDS.son },
        { __typename: 'Citizen', personalId: '12345' },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ _entities: [{ personalId: NAMED_IDS.son }, null] });
    expect(mock.stats().requests).toBe(0);
  });

  it('gives null civil-status fields for a citizen the database does not know', async () => {
    const result = await execute(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Citizen { personalId birthRegistration { registrationNumber } marriages { registrationNumber } maritalStatus deathRegistration { registrationNumber } } }
      }`,
      { representations: [{ __typename: 'Citizen', personalId: UNKNOWN_ID }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      _entities: [{ personalId: UNKNOWN_ID, birthRegistration: null, marriages: null, maritalStatus: null, deathRegistration: null }],
    });
  });

  it('registers the death of a synthetic citizen the population system says is DECEASED, in the province of the day', async () => {
    // Born 1920: past 105, so certainly dead (the population subgraph's test reads DECEASED for the same ID).
    const centenarian = encodePersonalId('001', 'MALE', 1920, 123_457);
    const result = await execute(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Citizen { deathRegistration { registeredOn { text } dateOfDeath { text } registryOffice } } }
      }`,
      { representations: [{ __typename: 'Citizen', personalId: centenarian }] },
    );
    expect(result.errors).toBeUndefined();
    const death = (result.data as { _entities: [{ deathRegistration: { registeredOn: { text: string }; dateOfDeath: { text: string }; registryOffice: string } }] })._entities[0]
      .deathRegistration;
    expect(death.dateOfDeath.text >= '1977' && death.registeredOn.text >= death.dateOfDeath.text).toBe(true);
    expect(death.registryOffice).toMatch(/^UBND .*thành phố Hà Nội$/);
  });

  it('serves the death registration and validates the birthRegistration argument', async () => {
    const result = await execute(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Citizen { deathRegistration { registrationNumber registeredOn { text } dateOfDeath { text } registryOffice } } }
        birthRegistration(personalId: "${NAMED_IDS.son}") { fullName dateOfBirth { text } }
      }`,
      { representations: [{ __typename: 'Citizen', personalId: NAMED_IDS.lateGrandfather }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      _entities: [
        {
          deathRegistration: {
            registrationNumber: '31/2020',
            registeredOn: { text: '2020-11-05' },
            dateOfDeath: { text: '2020-11-02' },
            registryOffice: 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
          },
        },
      ],
      birthRegistration: { fullName: 'Nguyễn Minh Khang', dateOfBirth: { text: '2012-05-02' } },
    });

    mock.resetStats();
    const invalid = await execute('{ birthRegistration(personalId: "00121200345X") { fullName } }');
    expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(mock.stats().requests).toBe(0);
  });

  it('resolves all 63 Province references with one backend request, exactly as published', async () => {
    mock.resetStats();
    const result = await execute(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Province { id civilStatusDigitization { status recordsDigitized digitizedShare statement asOf sources { id document outlet title published url language summary } } }
        }
      }`,
      { representations: PROVINCES.map((p) => ({ __typename: 'Province', id: p.id })) },
    );
    expect(result.errors).toBeUndefined();
    expect(mock.stats().requests).toBe(1);

    type Entity = { id: string; civilStatusDigitization: { status: string; sources: { id: string }[] } & Record<string, unknown> };
    const entities = (result.data as { _entities: Entity[] })._entities;
    expect(entities).toHaveLength(63);
    const byCode = new Map(entities.map((e) => [e.id, e.civilStatusDigitization]));

    expect(byCode.get('079')).toEqual({
      status: 'COMPLETED',
      recordsDigitized: 12800000,
      digitizedShare: 1,
      statement: 'Ho Chi Minh City civil-status records digitised (100%)',
      asOf: '2024-11-11',
      sources: [S2],
    });
    expect(byCode.get('074')).toMatchObject({ status: 'BASICALLY_COMPLETED', recordsDigitized: 1070426, asOf: '2024-11-11' });

    expect(COMPLETED_2024_09).toHaveLength(14);
    for (const code of COMPLETED_2024_09) {
      expect(byCode.get(code), code).toEqual({
        status: 'COMPLETED',
        recordsDigitized: null,
        digitizedShare: null,
        statement: 'Localities that completed civil-status (ho tich) record digitisation',
        asOf: '2024-09',
        sources: [expect.objectContaining({ id: 'S0' })],
      });
    }

    expect(byCode.get('002')).toEqual({
      status: 'NOT_REPORTED',
      recordsDigitized: null,
      digitizedShare: null,
      statement: null,
      asOf: null,
      sources: [],
    });
    const reported = new Set([...COMPLETED_2024_09, '079', '074']);
    const notReported = entities.filter((e) => !reported.has(e.id));
    expect(notReported).toHaveLength(63 - 16);
    expect(notReported.every((e) => e.civilStatusDigitization.status === 'NOT_REPORTED' && e.civilStatusDigitization.sources.length === 0)).toBe(true);
  });

  it('gives no digitisation figures to a unit formed after the reports, without asking the backend', async () => {
    mock.resetStats();
    const result = await execute<{ _entities: ({ id: string; civilStatusDigitization: unknown } | null)[] }>(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Province { id civilStatusDigitization { status } } } }`,
      {
        representations: [
          { __typename: 'Province', id: '092-2025-07-01' },
          { __typename: 'Province', id: '046-2025-01-01' },
          { __typename: 'Province', id: 'no-such-unit' },
        ],
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([{ id: '092-2025-07-01', civilStatusDigitization: null }, { id: '046-2025-01-01', civilStatusDigitization: null }, null]);
    expect(mock.stats().requests).toBe(0);
  });

  it('reports a backend failure with the system named', async () => {
    mock.setFault({ mode: 'error' });
    try {
      const result = await execute(`query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { maritalStatus } } }`, {
        representations: [{ __typename: 'Citizen', personalId: NAMED_IDS.head }],
      });
      expect(result.data).toEqual({ _entities: [{ maritalStatus: null }] });
      expect(result.errors?.map((e) => e.extensions)).toEqual([{ code: 'SYSTEM_UNAVAILABLE', system: 'civil-status' }]);
      expect(JSON.stringify(result.errors)).not.toContain('db-01.internal');
    } finally {
      mock.setFault({ mode: 'ok' });
    }
  });
});
