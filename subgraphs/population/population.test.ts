import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackendClient } from '../../lib/backend-client.ts';
import { SystemError } from '../../lib/errors.ts';
import { startMockBackend, type RunningMock } from '../../lib/mock-server.ts';
import { createSubgraphApollo } from '../../lib/subgraph.ts';
import { NAMED_IDS } from '../../lib/synthetic/named.ts';
import { PopulationAdapter } from './adapter/client.ts';
import { populationSubgraph } from './index.ts';
import { populationHandlers } from './mock/handlers.ts';

let mock: RunningMock;
let adapter: PopulationAdapter;
const apollo = createSubgraphApollo(populationSubgraph);

beforeAll(async () => {
  mock = await startMockBackend('population', populationHandlers());
  adapter = new PopulationAdapter(new BackendClient({ system: 'population', baseUrl: mock.url, timeoutMs: 1000 }));
  await apollo.start();
});
afterAll(async () => {
  await apollo.stop();
  await adapter.close();
  await mock.close();
});
beforeEach(() => {
  mock.setFault({ mode: 'ok' });
  mock.resetStats();
});

async function execute(query: string, variables: Record<string, unknown> = {}) {
  const response = await apollo.executeOperation(
    { query, variables },
    { contextValue: { requestId: 'test', loaders: populationSubgraph.createLoaders(adapter, 'test') } },
  );
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

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

describe('population subgraph', () => {
  it('publishes its federation SDL with the Citizen entity', async () => {
    const result = await execute('{ _service { sdl } }');
    const sdl = (result.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toMatch(/type Citizen\s+@key\(fields: "personalId"\)/);
    expect(sdl).toContain('verifyCitizen(personalId: ID!, fullName: String!, dateOfBirth: String!): CitizenVerification!');
  });

  it('resolves 20 Citizen references with one backend call', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `0790${String(80 + (i % 10)).padStart(2, '0')}${String(123400 + i).padStart(6, '0')}`);
    const result = await execute(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { personalId fullName } } }',
      { r: ids.map((personalId) => ({ __typename: 'Citizen', personalId })) },
    );
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
