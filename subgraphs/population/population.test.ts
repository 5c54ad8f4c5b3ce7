import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { BackendClient } from '../../lib/backend/backend-client.ts';
import { SystemError } from '../../lib/runtime/errors.ts';
import { encodePersonalId } from '../../lib/domain/personal-id.ts';
import { NAMED_IDS } from '../../lib/domain/synthetic/named.ts';
import { startSubgraphUnderTest } from '../../test/support/subgraph-harness.ts';
import { populationSubgraph } from './index.ts';
import { populationHandlers } from './mock/handlers.ts';

const { mock, adapter, wireAdapter, wireAnswers, execute, reset, close } = await startSubgraphUnderTest(populationSubgraph, populationHandlers(), { backendTimeoutMs: 1000 });
afterAll(close);
beforeEach(reset);

describe('population adapter', () => {
  it('fetches many citizens in one backend call and maps the wire codes', async () => {
    const found = await adapter.getCitizens([NAMED_IDS.head, NAMED_IDS.grandmother, '079090000000']);
    expect(mock.stats().requests).toBe(1);
    expect(found.size).toBe(2);
    expect(found.get(NAMED_IDS.head)).toMatchObject({
      fullName: 'Nguyễn Văn An',
      sex: 'MALE',
      relationshipToHead: 'HEAD',
      spouseId: NAMED_IDS.wife,
      idCard: { kind: 'IDENTITY_CARD', expiresOn: '2045-03-12' },
      vneidLevel: 'LEVEL_2',
    });
    expect(found.get(NAMED_IDS.grandmother)?.dateOfBirth).toEqual({ year: 1938 });
  });

  it('turns a malformed answer into SYSTEM_BAD_RESPONSE naming the system', async () => {
    mock.setFault({ mode: 'malformed' });
    const error = await adapter.getCitizens([NAMED_IDS.head]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).extensions).toEqual({ code: 'SYSTEM_BAD_RESPONSE', system: 'population' });
    expect((error as SystemError).message).not.toContain('127.0.0.1');
  });

  it('turns a refused connection into SYSTEM_UNAVAILABLE and a server error likewise', async () => {
    mock.setFault({ mode: 'down' });
    await expect(adapter.getCitizens([NAMED_IDS.head])).rejects.toMatchObject({ extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'population' } });
    mock.setFault({ mode: 'error' });
    await expect(adapter.ping()).rejects.toMatchObject({ extensions: { code: 'SYSTEM_UNAVAILABLE' } });
  });

  it('turns a slow answer into SYSTEM_TIMEOUT at its deadline', async () => {
    mock.setFault({ mode: 'slow', latencyMs: 3000 });
    await expect(adapter.ping()).rejects.toMatchObject({ extensions: { code: 'SYSTEM_TIMEOUT', system: 'population' } });
  });

  it('refuses an answer of the wrong shape', async () => {
    const client = new BackendClient({ system: 'population', baseUrl: mock.url, timeoutMs: 1000 });
    // /v1/health answers {status, system}: valid JSON, but not a batch answer.
    const { citizensBatchResponse } = await import('./adapter/wire.ts');
    await expect(client.get('/v1/health', citizensBatchResponse)).rejects.toMatchObject({ extensions: { code: 'SYSTEM_BAD_RESPONSE' } });
    await client.close();
  });
});

describe('population adapter, on wire answers written from the contract', () => {
  /** The citizen of the CONTRACT.md example. */
  const CONTRACT_CITIZEN = {
    personalId: '001085012345',
    fullName: 'Nguyễn Văn An',
    gender: 'NAM',
    dateOfBirth: { year: 1985, month: 3, day: 12 },
    status: 'ALIVE',
    permanentResidence: {
      registeredOn: '2011-03-15',
      street: 'Số 18, ngõ 42 phố Trần Quốc Hoàn',
      asRegistered: { provinceCode: '001', district: 'quận Cầu Giấy', commune: 'phường Dịch Vọng Hậu' },
      current: { provinceCode: '001', commune: 'phường Cầu Giấy' },
    },
    householdId: 'HO-001-CGDVH-000042',
    relationshipToHead: 'CHU_HO',
    fatherId: '001035000456',
    motherId: '036138000123',
    spouseId: '036187004321',
    idCard: { number: '001085012345', kind: 'CAN_CUOC', issuedOn: '2025-02-20', expiresOn: '2045-03-12' },
    vneidLevel: 2,
  };
  const RELATIONSHIPS = [
    ['CHU_HO', 'HEAD'],
    ['VO_CHONG', 'SPOUSE'],
    ['CON', 'CHILD'],
    ['CHA', 'FATHER'],
    ['ME', 'MOTHER'],
    ['CHAU', 'GRANDCHILD'],
    ['KHAC', 'OTHER'],
  ] as const;
  const idOf = (serial: number) => encodePersonalId('001', 'MALE', 1985, serial);
  /** Encodes birth year 2099: twelve digits, but no one can hold it yet. */
  const FUTURE_ID = '079299123456';
  const serveCitizens = (...citizens: object[]) => wireAnswers.set('/v1/citizens/batch-get', { citizens, notFound: [] });
  const serveHousehold = (household: object) => wireAnswers.set('/v1/households/batch-get', { households: [household], notFound: [] });
  const household = (members: { personalId: string; relationship: string }[]) => ({
    householdId: 'HO-1',
    headId: CONTRACT_CITIZEN.personalId,
    residence: CONTRACT_CITIZEN.permanentResidence,
    members,
    endedOn: null,
  });

  it('maps every relationship code of a citizen', async () => {
    serveCitizens(...RELATIONSHIPS.map(([code], i) => ({ ...CONTRACT_CITIZEN, personalId: idOf(i + 1), relationshipToHead: code })));
    const found = await wireAdapter.getCitizens(RELATIONSHIPS.map((_, i) => idOf(i + 1)));
    expect(RELATIONSHIPS.map((_, i) => found.get(idOf(i + 1))?.relationshipToHead)).toEqual(RELATIONSHIPS.map(([, r]) => r));
  });

  it('maps every relationship code of a household member', async () => {
    serveHousehold(household(RELATIONSHIPS.map(([relationship], i) => ({ personalId: idOf(i + 1), relationship }))));
    const found = await wireAdapter.getHouseholds(['HO-1']);
    expect(found.get('HO-1')?.members).toEqual(RELATIONSHIPS.map(([, relationship], i) => ({ personalId: idOf(i + 1), relationship })));
  });

  it('maps each gender, card kind and VNeID level, and a citizen recorded with nothing but the required fields', async () => {
    const NOT_RECORDED = { householdId: null, relationshipToHead: null, fatherId: null, motherId: null, spouseId: null, idCard: null };
    serveCitizens(
      CONTRACT_CITIZEN,
      {
        ...CONTRACT_CITIZEN,
        personalId: idOf(1),
        gender: 'NU',
        status: 'DECEASED',
        idCard: { ...CONTRACT_CITIZEN.idCard, kind: 'CCCD', expiresOn: null },
        vneidLevel: 1,
      },
      { ...CONTRACT_CITIZEN, personalId: idOf(2), ...NOT_RECORDED, permanentResidence: null, vneidLevel: 0 },
    );
    const found = await wireAdapter.getCitizens([CONTRACT_CITIZEN.personalId, idOf(1), idOf(2)]);
    expect(found.get(CONTRACT_CITIZEN.personalId)).toEqual({
      personalId: '001085012345',
      fullName: 'Nguyễn Văn An',
      dateOfBirth: { year: 1985, month: 3, day: 12 },
      sex: 'MALE',
      lifeStatus: 'ALIVE',
      residence: CONTRACT_CITIZEN.permanentResidence,
      householdId: 'HO-001-CGDVH-000042',
      relationshipToHead: 'HEAD',
      fatherId: '001035000456',
      motherId: '036138000123',
      spouseId: '036187004321',
      idCard: { number: '001085012345', kind: 'IDENTITY_CARD', issuedOn: '2025-02-20', expiresOn: '2045-03-12' },
      vneidLevel: 'LEVEL_2',
    });
    expect(found.get(idOf(1))).toMatchObject({
      sex: 'FEMALE',
      lifeStatus: 'DECEASED',
      idCard: { kind: 'CHIP_CITIZEN_ID', expiresOn: null },
      vneidLevel: 'LEVEL_1',
    });
    expect(found.get(idOf(2))).toMatchObject({ ...NOT_RECORDED, residence: null, vneidLevel: 'NONE' });
  });

  it('refuses a card issued on a day that does not exist, or a birth on 29 February of a common year', async () => {
    for (const citizen of [
      { ...CONTRACT_CITIZEN, idCard: { ...CONTRACT_CITIZEN.idCard, issuedOn: '2024-13-45' } },
      { ...CONTRACT_CITIZEN, dateOfBirth: { year: 2015, month: 2, day: 29 } },
    ]) {
      serveCitizens(citizen);
      await expect(wireAdapter.getCitizens([CONTRACT_CITIZEN.personalId])).rejects.toMatchObject({
        extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'population' },
      });
    }
  });

  it('refuses a citizen or household that names an ID with a birth year in the future', async () => {
    for (const field of ['personalId', 'fatherId', 'motherId', 'spouseId']) {
      serveCitizens({ ...CONTRACT_CITIZEN, [field]: FUTURE_ID });
      await expect(wireAdapter.getCitizens([CONTRACT_CITIZEN.personalId]), field).rejects.toMatchObject({
        extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'population' },
      });
    }
    for (const broken of [{ ...household([]), headId: FUTURE_ID }, household([{ personalId: FUTURE_ID, relationship: 'CON' }])]) {
      serveHousehold(broken);
      await expect(wireAdapter.getHouseholds(['HO-1'])).rejects.toMatchObject({ extensions: { code: 'SYSTEM_BAD_RESPONSE' } });
    }
  });

  it('refuses a residence registered before 2025-07-01 without its district, or after it with one', async () => {
    const { permanentResidence } = CONTRACT_CITIZEN;
    for (const broken of [
      { ...permanentResidence, asRegistered: { ...permanentResidence.asRegistered, district: null } },
      { ...permanentResidence, registeredOn: '2025-07-01' },
    ]) {
      serveCitizens({ ...CONTRACT_CITIZEN, permanentResidence: broken });
      await expect(wireAdapter.getCitizens([CONTRACT_CITIZEN.personalId])).rejects.toMatchObject({
        extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'population' },
      });
    }
  });

  it('serves a residence registered in Quận 1 in 2020 as registered then, and today in the Thành phố Hồ Chí Minh of 2025-07-01 without a district', async () => {
    serveCitizens({
      ...CONTRACT_CITIZEN,
      permanentResidence: {
        registeredOn: '2020-05-04',
        street: 'Số 7, đường Lê Lợi',
        asRegistered: { provinceCode: '079', district: 'Quận 1', commune: 'phường Bến Nghé' },
        current: { provinceCode: '079', commune: 'phường Sài Gòn' },
      },
    });
    const result = await execute(
      `{ citizen(personalId: "${CONTRACT_CITIZEN.personalId}") { permanentResidence {
        fullAddress addressLine commune province { id } registeredOn
        asRegistered { fullAddress addressLine commune district province { id } } } } }`,
      {},
      wireAdapter,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      citizen: {
        permanentResidence: {
          fullAddress: 'Số 7, đường Lê Lợi, phường Sài Gòn, Thành phố Hồ Chí Minh',
          addressLine: 'Số 7, đường Lê Lợi, phường Sài Gòn',
          commune: 'phường Sài Gòn',
          province: { id: '079-2025-07-01' },
          registeredOn: '2020-05-04',
          asRegistered: {
            fullAddress: 'Số 7, đường Lê Lợi, phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh',
            addressLine: 'Số 7, đường Lê Lợi, phường Bến Nghé, Quận 1',
            commune: 'phường Bến Nghé',
            district: 'Quận 1',
            province: { id: '079' },
          },
        },
      },
    });
  });

  it('answers the personalIdInfo of a member with an impossible ID as SYSTEM_BAD_RESPONSE, not an internal error', async () => {
    serveHousehold(household([{ personalId: FUTURE_ID, relationship: 'CON' }]));
    serveCitizens({ ...CONTRACT_CITIZEN, personalId: FUTURE_ID });
    const result = await execute('{ household(id: "HO-1") { members { citizen { personalIdInfo { birthYear } } } } }', {}, wireAdapter);
    expect(result.errors?.map((e) => e.extensions)).toEqual([{ code: 'SYSTEM_BAD_RESPONSE', system: 'population' }]);
  });
});

describe('population subgraph', () => {
  it('publishes its federation SDL with the Citizen entity', async () => {
    const result = await execute('{ _service { sdl } }');
    const sdl = (result.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toMatch(/type Citizen\s+@key\(fields: "personalId"\)/);
    expect(sdl).toContain('verifyCitizen(personalId: ID!, fullName: String!, dateOfBirth: String!): CitizenVerification\n');
  });

  it('resolves 20 Citizen references with one backend call', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `0790${String(80 + (i % 10)).padStart(2, '0')}${String(123400 + i).padStart(6, '0')}`);
    const result = await execute('query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { personalId fullName } } }', {
      r: ids.map((personalId) => ({ __typename: 'Citizen', personalId })),
    });
    expect(result.errors).toBeUndefined();
    const entities = (result.data as { _entities: { personalId: string; fullName: string }[] })._entities;
    expect(entities.map((e) => e.personalId)).toEqual(ids);
    expect(entities.every((e) => e.fullName.split(' ').length >= 3)).toBe(true);
    expect(mock.stats().byRoute).toEqual({ 'POST /v1/citizens/batch-get': 1 });
  });

  it('answers the household with members, parents and a year-only birth date', async () => {
    const result = await execute(`{ citizen(personalId: "${NAMED_IDS.head}") {
      fullName dateOfBirth { text } father { fullName lifeStatus } mother { fullName dateOfBirth { year month day precision text } }
      household { head { personalId } members { relationship citizen { fullName } } } spouse { personalId } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      citizen: {
        fullName: 'Nguyễn Văn An',
        dateOfBirth: { text: '1985-03-12' },
        father: { fullName: 'Nguyễn Văn Đức', lifeStatus: 'DECEASED' },
        mother: { fullName: 'Lê Thị Cúc', dateOfBirth: { year: 1938, month: null, day: null, precision: 'YEAR', text: '1938' } },
        household: {
          head: { personalId: NAMED_IDS.head },
          members: [
            { relationship: 'HEAD', citizen: { fullName: 'Nguyễn Văn An' } },
            { relationship: 'SPOUSE', citizen: { fullName: 'Trần Thị Bình' } },
            { relationship: 'CHILD', citizen: { fullName: 'Nguyễn Minh Khang' } },
            { relationship: 'CHILD', citizen: { fullName: 'Nguyễn Ngọc Hà' } },
            { relationship: 'MOTHER', citizen: { fullName: 'Lê Thị Cúc' } },
          ],
        },
        spouse: { personalId: NAMED_IDS.wife },
      },
    });
    // One call per level of the query: the head; then father, mother and spouse (with the household
    // beside them); then the members not already loaded (the children).
    expect(mock.stats().byRoute).toEqual({ 'POST /v1/citizens/batch-get': 3, 'POST /v1/households/batch-get': 1 });
  });

  it("serves the named head's address today without a district, and as registered in 2011 with it", async () => {
    const result = await execute(`{ citizen(personalId: "${NAMED_IDS.head}") {
      permanentResidence { fullAddress commune province { id } registeredOn asRegistered { fullAddress district province { id } } } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      citizen: {
        permanentResidence: {
          fullAddress: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy, Thành phố Hà Nội',
          commune: 'phường Cầu Giấy',
          province: { id: '001' },
          registeredOn: '2011-03-15',
          asRegistered: {
            fullAddress: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Dịch Vọng Hậu, quận Cầu Giấy, Thành phố Hà Nội',
            district: 'quận Cầu Giấy',
            province: { id: '001' },
          },
        },
      },
    });
  });

  it('decodes the ID prefix to the birth-registration province of the time and, separately, the unit of today', async () => {
    const result = await execute(`{ citizen(personalId: "${NAMED_IDS.grandmother}") {
      personalIdInfo { provinceCode birthRegistrationProvince { id } currentProvince { id } province { id } birthYear } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      citizen: {
        personalIdInfo: {
          provinceCode: '036',
          birthRegistrationProvince: { id: '036' },
          currentProvince: { id: '037-2025-07-01' },
          province: { id: '036' },
          birthYear: 1938,
        },
      },
    });
  });

  it('serves synthetic residences that keep the contract: a district only for registrations before 2025-07-01', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => encodePersonalId(['001', '079', '040', '036'][i % 4]!, i % 2 ? 'FEMALE' : 'MALE', 1940 + (i % 80), 5000 + i * 7919));
    const found = await adapter.getCitizens(ids);
    expect(found.size).toBe(100);
    const residences = [...found.values()].map((c) => c.residence!);
    for (const r of residences) expect(r.asRegistered.district === null).toBe(r.registeredOn >= '2025-07-01');
    expect(residences.some((r) => r.asRegistered.district === null)).toBe(true);
    expect(new Set(residences.map((r) => r.current.provinceCode))).toEqual(new Set(['001', '040', '079']));
  });

  it("serves a household's residence in today's units and as registered", async () => {
    const result = await execute(`{ household(id: "HO-001-CGDVH-000042") { residence { fullAddress asRegistered { district commune } } } }`);
    expect(result.data).toEqual({
      household: {
        residence: {
          fullAddress: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy, Thành phố Hà Nội',
          asRegistered: { district: 'quận Cầu Giấy', commune: 'phường Dịch Vọng Hậu' },
        },
      },
    });
  });

  it('closes a household at its last member’s death and says DECEASED of the dead', async () => {
    // Born 1920: past 105, so certainly dead in the synthetic population.
    const centenarian = encodePersonalId('001', 'MALE', 1920, 123_457);
    const result = await execute(`{
      household(id: "HO-001-CGDVH-000017") { endedOn head { lifeStatus } members { relationship citizen { fullName } } }
      citizen(personalId: "${centenarian}") { lifeStatus }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      household: {
        endedOn: '2020-11-02',
        head: { lifeStatus: 'DECEASED' },
        members: [{ relationship: 'HEAD', citizen: { fullName: 'Nguyễn Văn Đức' } }],
      },
      citizen: { lifeStatus: 'DECEASED' },
    });
  });

  it('verifies identity as match or no match only', async () => {
    const result = await execute(`{
      exact: verifyCitizen(personalId: "${NAMED_IDS.grandmother}", fullName: "lê thị  cúc", dateOfBirth: "1938") { match }
      inventedDay: verifyCitizen(personalId: "${NAMED_IDS.grandmother}", fullName: "Lê Thị Cúc", dateOfBirth: "1938-01-01") { match }
      unknown: verifyCitizen(personalId: "079090000000", fullName: "Lê Thị Cúc", dateOfBirth: "1938") { match } }`);
    expect(result.data).toMatchObject({ exact: { match: true }, inventedDay: { match: false }, unknown: { match: false } });
  });

  it('refuses a bad date of birth in verifyCitizen before calling the backend', async () => {
    const result = await execute(`{ verifyCitizen(personalId: "${NAMED_IDS.head}", fullName: "Nguyễn Văn An", dateOfBirth: "12/03/1985") { match } }`);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'dateOfBirth' });
    expect(mock.stats().requests).toBe(0);
  });
});
