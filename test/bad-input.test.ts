import { readFileSync } from 'node:fs';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { README_PATH, startSystem, type GraphQLBody, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { perSystem } from '../lib/runtime/systems.ts';
import { credentialHeaders, DEFAULT_CREDENTIAL } from '../lib/devkit/test-credentials.ts';

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());
beforeEach(() => system.resetCounters());

const noBackendCalls = perSystem(() => 0);

describe('bad personal IDs are refused before any backend is called', () => {
  it.each([
    ['too short', '00108501234', 'Invalid argument personalId: personal ID must be exactly 12 digits, got 11 characters.'],
    ['too long', '0010850123456', 'Invalid argument personalId: personal ID must be exactly 12 digits, got 13 characters.'],
    ['letters', '00108501234X', 'Invalid argument personalId: personal ID must contain only the ASCII digits 0-9.'],
    ['full-width digits', '００１０８５０１２３４５', 'Invalid argument personalId: personal ID must contain only the ASCII digits 0-9.'],
    ['spaces', '001 85012345', 'Invalid argument personalId: personal ID must contain only the ASCII digits 0-9.'],
    ['future birth year', '001299012345', 'Invalid argument personalId: personal ID encodes birth year 2099, which is in the future.'],
  ])('%s', async (_case, personalId, message) => {
    const { status, body } = await system.query('query($id: ID!) { citizen(personalId: $id) { fullName birthRegistration { registrationNumber } landParcels { parcelId } } }', {
      id: personalId,
    });
    expect(status).toBe(200);
    expect(body.data).toEqual({ citizen: null });
    expect(body.errors).toEqual([{ message, path: ['citizen'], extensions: { code: 'BAD_USER_INPUT', argument: 'personalId' } }]);
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('names the bad element of a list', async () => {
    const { body } = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', {
      ids: ['001085012345', '036187004321', '12345'],
    });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Invalid argument personalIds[2]: personal ID must be exactly 12 digits, got 5 characters.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds[2]' },
    });
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('refuses more than 100 IDs in one request (at the gateway, MAX_LIST_ITEMS)', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => encodePersonalId('001', 'MALE', 1980, i + 1));
    const { body } = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', { ids });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Variable $ids has 101 items, exceeding the limit of 100 per list.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds' },
    });
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('refuses a bad identity claim in verifyCitizen', async () => {
    const { body } = await system.query('{ verifyCitizen(personalId: "001085012345", fullName: "Nguyễn Văn An", dateOfBirth: "12/03/1985") { match } }');
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'dateOfBirth' });
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('accepts an ID with a province code outside the 63 (births registered abroad)', async () => {
    const { body } = await system.query('{ citizen(personalId: "003085012345") { personalIdInfo { provinceCode province { code } birthYear } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ citizen: { personalIdInfo: { provinceCode: '003', province: null, birthYear: 1985 } } });
  });
});

/** A raw request to the gateway, for what `system.query` cannot send. */
async function send(init: RequestInit & { search?: string }): Promise<{ status: number; headers: Headers; body: GraphQLBody }> {
  const response = await fetch(`${system.gateway.graphqlUrl}${init.search ?? ''}`, init);
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLBody };
}
const postJson = (payload: unknown) => send({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });

/** Refused with exactly this one error, without any backend call; the gateway then still answers. */
async function expectRefused(response: { status: number; body: GraphQLBody }, expected: { status: number; message: string; extensions: Record<string, unknown> }): Promise<void> {
  expect(response.status).toBe(expected.status);
  expect(response.body.data).toBeUndefined();
  expect(response.body.errors).toHaveLength(1);
  expect(response.body.errors?.[0]).toMatchObject({ message: expected.message });
  expect(response.body.errors?.[0]?.extensions).toEqual(expected.extensions);
  expect(system.backendRequests()).toEqual(noBackendCalls);
  const after = await system.query('{ citizen(personalId: "001085012345") { fullName } }');
  expect(after).toEqual({ status: 200, body: { data: { citizen: { fullName: 'Nguyễn Văn An' } } } });
}

const AN = '001085012345';
/** citizen → household → head → household → head → … → the leaf: `depth` fields deep (even). */
function chain(depth: number, leaf = 'fullName'): string {
  if (depth % 2 !== 0 || depth < 2) throw new Error(`chain depth must be even, got ${depth}`);
  return `{ citizen(personalId: "${AN}") { ${'household { head { '.repeat((depth - 2) / 2)}${leaf}${' } }'.repeat((depth - 2) / 2)} } }`;
}
const portalQuery = /<!-- example: portal -->\n```graphql\n([\s\S]*?)```/.exec(readFileSync(README_PATH, 'utf8'))?.[1] ?? '';
const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: citizen(personalId: "${AN}") { fullName }`).join(' ')} }`;
const tenThousandIds = Array.from({ length: 10_000 }, (_, i) => encodePersonalId('001', 'MALE', 1980, (i % 999) + 1));

describe('malformed requests are refused at the door', () => {
  it('a body that is not JSON', async () => {
    const response = await send({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{ citizen(personalId: \\"001085012345\\") { fullName } }"' });
    await expectRefused(response, { status: 400, message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } });
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])('content type %s', async (contentType) => {
    const response = await send({ method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ query: '{ __typename }' }) });
    await expectRefused(response, {
      status: 415,
      message: `Unsupported content type "${contentType}": send the GraphQL request as application/json.`,
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('a charset other than UTF-8', async () => {
    const response = await send({ method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: JSON.stringify({ query: '{ __typename }' }) });
    await expectRefused(response, { status: 415, message: 'Unsupported charset "latin1": send the request body as UTF-8.', extensions: { code: 'BAD_REQUEST' } });
  });

  it('an unknown content encoding', async () => {
    const response = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    await expectRefused(response, { status: 415, message: 'Unsupported content encoding "compress".', extensions: { code: 'BAD_REQUEST' } });
  });

  it('a body over MAX_REQUEST_BYTES (1 MiB)', async () => {
    const body = JSON.stringify({ query: `{ citizen(personalId: "${AN}") { fullName } }${' '.repeat(2 * 1024 * 1024)}` });
    const response = await send({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await expectRefused(response, {
      status: 413,
      message: `Request body of ${Buffer.byteLength(body)} bytes exceeds the limit of 1048576 bytes.`,
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('a batch of operations (batching is off)', async () => {
    const response = await postJson([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    await expectRefused(response, { status: 400, message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } });
  });

  it('a variable of the wrong type', async () => {
    const response = await system.query('query($id: ID!) { citizen(personalId: $id) { fullName } }', { id: true });
    await expectRefused(response, { status: 400, message: 'Variable "$id" got invalid value true; ID cannot represent value: true', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('an unknown operationName', async () => {
    const response = await postJson({ query: `query Prefill { citizen(personalId: "${AN}") { fullName } }`, operationName: 'Prefil' });
    await expectRefused(response, { status: 400, message: 'Unknown operation named "Prefil".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
  });

  it('several operations and no operationName', async () => {
    const response = await postJson({ query: 'query A { __typename } query B { __typename }' });
    await expectRefused(response, {
      status: 400,
      message: 'Must provide operation name if query contains multiple operations.',
      extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
    });
  });

  it('a mutation sent by GET: Apollo answers 405, and runs nothing', async () => {
    const response = await send({
      search: `?query=${encodeURIComponent('mutation { testConnection(system: LAND) { ok } }')}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.headers.get('allow')).toBe('POST');
    await expectRefused(response, { status: 405, message: 'GET requests only support query operations, not mutation operations', extensions: { code: 'BAD_REQUEST' } });
  });

  it('a mutation the graph does not have', async () => {
    const response = await system.query('mutation { registerBirth }');
    await expectRefused(response, { status: 400, message: 'Cannot query field "registerBirth" on type "Mutation".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('a subscription: the graph has none', async () => {
    const response = await system.query('subscription { connections { status } }');
    await expectRefused(response, { status: 400, message: 'This graph has no subscription operations.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('a GET without a CSRF-preventing header (a browser could have sent it cross-site)', async () => {
    const response = await send({ search: `?query=${encodeURIComponent(`{ citizen(personalId: "${AN}") { fullName } }`)}` });
    await expectRefused(response, {
      status: 400,
      message:
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header (with a type that is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty value for one of the following headers: x-apollo-operation-name, apollo-require-preflight\n",
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('the same GET with apollo-require-preflight is answered', async () => {
    const response = await send({
      search: `?query=${encodeURIComponent(`{ citizen(personalId: "${AN}") { fullName } }`)}`,
      headers: { 'apollo-require-preflight': 'true', ...credentialHeaders(DEFAULT_CREDENTIAL) },
    });
    expect(response).toMatchObject({ status: 200, body: { data: { citizen: { fullName: 'Nguyễn Văn An' } } } });
  });
});

describe('query limits refuse abusive documents before planning', () => {
  it('a query 50 deep', async () => {
    await expectRefused(await system.query(chain(50)), { status: 400, message: 'Query depth 50 exceeds the limit of 12.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('an alias bomb of 1,000 citizens: too many tokens, refused while parsing', async () => {
    await expectRefused(await system.query(aliases(1000)), {
      status: 400,
      message: 'Query exceeds the limit of 2000 tokens (parsing stopped at token 2001).',
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('31 aliases of citizen', async () => {
    await expectRefused(await system.query(aliases(31)), {
      status: 400,
      message: 'Query has 31 aliases, exceeding the limit of 30.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('a query too costly though within the depth limit', async () => {
    // 12 deep, with 60 fields at the bottom: graphql-armor weighs each level 1.5 times the one above.
    await expectRefused(await system.query(chain(12, 'fullName '.repeat(60))), {
      status: 400,
      message: 'Query cost 5532 exceeds the limit of 5000.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('too many directives', async () => {
    const query = `{ ${Array.from({ length: 60 }, (_, i) => `t${i}: __typename @include(if: true)`).join(' ')} }`;
    await expectRefused(await system.query(query), {
      status: 400,
      message: 'Query has 60 directives, exceeding the limit of 50.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('10,000 IDs in a variable', async () => {
    const response = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', { ids: tenThousandIds });
    await expectRefused(response, {
      status: 400,
      message: 'Variable $ids has 10000 items, exceeding the limit of 100 per list.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds' },
    });
  });

  it('10,000 IDs written in the query: too many tokens', async () => {
    const response = await system.query(`{ citizens(personalIds: ${JSON.stringify(tenThousandIds)}) { fullName } }`);
    await expectRefused(response, {
      status: 400,
      message: 'Query exceeds the limit of 2000 tokens (parsing stopped at token 2001).',
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('30 aliases of citizens, each with the same 100 IDs: 3,000 lookups in one request', async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `a${i}: citizens(personalIds: $ids) { fullName }`).join(' ');
    const response = await system.query(`query($ids: [ID!]!) { ${fields} }`, { ids: tenThousandIds.slice(0, 100) });
    await expectRefused(response, {
      status: 400,
      message: 'The arguments of this query carry 3000 list items in all, exceeding the limit of 500 per request.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('150 IDs written in the query', async () => {
    const response = await system.query(`{ citizens(personalIds: ${JSON.stringify(tenThousandIds.slice(0, 150))}) { fullName } }`);
    await expectRefused(response, {
      status: 400,
      message: 'Argument personalIds has 150 items, exceeding the limit of 100 per list.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds' },
    });
  });
});

describe('query limits let legitimate work through', () => {
  it("the README's portal query", async () => {
    expect(portalQuery).toContain('query PortalPrefill');
    const { status, body } = await system.query(portalQuery, { personalId: AN });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({ citizen: { fullName: 'Nguyễn Văn An', landParcels: [{ rightHolders: [{ share: 0.5 }, { share: 0.5 }] }] } });
  });

  it('citizen → household → members → citizen → landParcels → rightHolders → citizen → fullName', async () => {
    const { status, body } = await system.query(`{ citizen(personalId: "${AN}") { household { members { citizen { landParcels { rightHolders { citizen { fullName } } } } } } } }`);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const members = (body.data as { citizen: { household: { members: { citizen: { landParcels: { rightHolders: { citizen: { fullName: string } }[] }[] } }[] } } }).citizen
      .household.members;
    expect(members[0]!.citizen.landParcels[0]!.rightHolders.map((holder) => holder.citizen.fullName)).toEqual(['Nguyễn Văn An', 'Trần Thị Bình']);
  });

  it('a query exactly at the depth limit (12)', async () => {
    const { status, body } = await system.query(chain(12));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('100 IDs in one list', async () => {
    const { status, body } = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { personalId } }', { ids: tenThousandIds.slice(0, 100) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.citizens).toHaveLength(100);
  });

  it('introspection in development, however deep', async () => {
    const { status, body } = await system.query(getIntrospectionQuery());
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect((body.data as { __schema: { queryType: { name: string } } }).__schema.queryType.name).toBe('Query');
  });

  it('suggestions in development', async () => {
    const { status, body } = await system.query(`{ citizen(personalId: "${AN}") { fullNam } }`);
    expect(status).toBe(400);
    expect(body.errors?.map((error) => error.message)).toEqual(['Cannot query field "fullNam" on type "Citizen". Did you mean "fullName"?']);
  });
});

describe('production mode', () => {
  let production: RunningSystem;
  beforeAll(async () => {
    production = await startSystem({ production: true });
  });
  afterAll(() => production.close());

  it('refuses introspection', async () => {
    const { status, body } = await production.query(getIntrospectionQuery());
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message:
        'GraphQL introspection is not allowed by Apollo Server, but the query contained __schema or __type. To enable introspection, pass introspection: true to ApolloServer in production',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('gives no "Did you mean" for a misspelt field', async () => {
    const { status, body } = await production.query(`{ citizen(personalId: "${AN}") { fullNam } }`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { message: 'Cannot query field "fullNam" on type "Citizen".', locations: [{ line: 1, column: 41 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
  });

  it('gives no "Did you mean" for a misspelt enum value in variables', async () => {
    const { status, body } = await production.query('query($kind: AgencyKind) { agencies(kind: $kind) { name } }', { kind: 'MINISTERY' });
    expect(status).toBe(400);
    expect(body.errors?.map((error) => error.message)).toEqual(['Variable "$kind" got invalid value "MINISTERY"; Value "MINISTERY" does not exist in "AgencyKind" enum.']);
  });

  it('still answers queries', async () => {
    expect(await production.query(`{ citizen(personalId: "${AN}") { fullName } }`)).toEqual({ status: 200, body: { data: { citizen: { fullName: 'Nguyễn Văn An' } } } });
  });
});

describe('limits are configurable', () => {
  let configured: RunningSystem;
  beforeAll(async () => {
    configured = await startSystem({ limits: { maxDepth: 5, maxTokens: 30_000, maxListItems: 200 } });
  });
  afterAll(() => configured.close());
  beforeEach(() => configured.resetCounters());

  it('a lower depth limit refuses the portal query, which is 6 deep', async () => {
    const { status, body } = await configured.query(portalQuery, { personalId: AN });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ message: 'Query depth 6 exceeds the limit of 5.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    expect(configured.backendRequests()).toEqual(noBackendCalls);
  });

  it('with room for the tokens, 10,000 literal IDs meet the list limit', async () => {
    const { status, body } = await configured.query(`{ citizens(personalIds: ${JSON.stringify(tenThousandIds)}) { fullName } }`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { message: 'Argument personalIds has 10000 items, exceeding the limit of 200 per list.', extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds' } },
    ]);
    expect(configured.backendRequests()).toEqual(noBackendCalls);
  });

  it('with a higher list limit, the population subgraph still refuses more than 100 IDs', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => encodePersonalId('001', 'MALE', 1980, i + 1));
    const { body } = await configured.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', { ids });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Invalid argument personalIds: at most 100 personal IDs per request, got 101.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds' },
    });
    expect(configured.backendRequests()).toEqual(noBackendCalls);
  });
});
