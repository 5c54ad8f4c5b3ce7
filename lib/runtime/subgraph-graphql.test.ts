import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PurposefulOfficer } from '../access/caller.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../access/policy.ts';
import { operationGuard, type CallerFacts } from '../access/subgraph-guard.ts';
import { AnswerFreshness } from './http-caching.ts';
import { createGraphQLHttpServer, listen, type RunningServer } from './http-server.ts';
import { createLogger } from './logger.ts';
import { publicAnswerHeaders } from './subgraph.ts';
import { subgraphGraphQL } from './subgraph-graphql.ts';

interface Context extends CallerFacts {
  answerFreshness: AnswerFreshness;
}

const officer: PurposefulOfficer = { kind: 'officer', agency: 'BNNMT', officer: 'test', roles: [], purpose: 'land-transfer', caseNumber: 'HS-TEST', issuer: 'api-key' };
/** An agency the access policy grants nothing. */
const stranger: PurposefulOfficer = { ...officer, agency: 'KHONG-CO' };

// Built as the subgraphs build theirs (@apollo/subgraph); `Citizen.fullName` is personal data in the access policy.
const schema = buildSubgraphSchema({
  typeDefs: parse(`type Query { name: String, citizen: Citizen, broken: String, echo(times: Int!): String }
    type Mutation { rename(name: String!): String }
    type Citizen { fullName: String }`),
  resolvers: {
    Query: {
      name: () => 'Hà Nội',
      citizen: () => ({ fullName: 'Nguyễn Văn An' }),
      broken: () => {
        throw new Error('the backend failed at http://10.0.0.7/internal');
      },
      echo: (_: unknown, { times }: { times: number }) => 'a'.repeat(times),
    },
    Mutation: { rename: (_: unknown, { name }: { name: string }) => name },
  },
});

/** Who calls: set by each test, as the subgraph's caller verification would have. */
let caller: PurposefulOfficer | undefined;
const servers: RunningServer[] = [];
async function serve(introspection: boolean): Promise<string> {
  const graphql = subgraphGraphQL<Context>({ schema, guard: operationGuard(loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE)), introspection, answerHeaders: publicAnswerHeaders });
  const running = await listen(
    createGraphQLHttpServer<Context>({
      answer: graphql.answer,
      logger: createLogger('test'),
      context: async () => {
        const answerFreshness = new AnswerFreshness();
        // Every backend answer as cacheable as a reference list: only the guard's judgement is left.
        answerFreshness.observe(60);
        return { answerFreshness, ...(caller ? { caller } : {}) };
      },
      readiness: async () => ({ ready: true }),
    }),
    0,
    '127.0.0.1',
  );
  servers.push(running);
  return `${running.url}/graphql`;
}

let url: string;
let production: string;
beforeAll(async () => {
  url = await serve(true);
  production = await serve(false);
});
afterAll(() => Promise.all(servers.map((server) => server.close())));

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown>; locations?: unknown; path?: unknown }[] };
}
async function post(body: unknown, options: { to?: string; accept?: string; as?: PurposefulOfficer } = {}): Promise<Answer> {
  caller = options.as;
  const response = await fetch(options.to ?? url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.accept ? { accept: options.accept } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}
const codes = (answer: Answer) => answer.body.errors?.map((error) => error.extensions?.code);

describe('a subgraph answers GraphQL over HTTP (graphql-http)', () => {
  it('answers a query, with the request id and as application/json', async () => {
    const answer = await post({ query: '{ name }' });
    expect(answer).toMatchObject({ status: 200, body: { data: { name: 'Hà Nội' } } });
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('answers application/graphql-response+json to a client that accepts it', async () => {
    const answer = await post({ query: '{ name }' }, { accept: 'application/graphql-response+json, application/json' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
  });

  it('answers the same query again from its kept document, with other variables', async () => {
    for (const times of [1, 2, 3]) {
      expect((await post({ query: 'query Echo($times: Int!) { echo(times: $times) }', variables: { times } })).body).toEqual({ data: { echo: 'a'.repeat(times) } });
    }
  });

  it('refuses a request error with 400 and its code, whatever the client accepts', async () => {
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json']) {
      const cases: [unknown, string][] = [
        [{ query: '{ name' }, 'GRAPHQL_PARSE_FAILED'],
        [{ query: '{ nom }' }, 'GRAPHQL_VALIDATION_FAILED'],
        [{ query: 'query Echo($times: Int!) { echo(times: $times) }', variables: { times: 'three' } }, 'BAD_USER_INPUT'],
        [{ query: 'query A { name } query B { name }', operationName: 'C' }, 'OPERATION_RESOLUTION_FAILURE'],
        [{ query: 'query A { name } query B { name }' }, 'OPERATION_RESOLUTION_FAILURE'],
        [{ variables: {} }, 'BAD_REQUEST'],
        [{ query: '{ name }', variables: 'none' }, 'BAD_REQUEST'],
      ];
      for (const [body, code] of cases) {
        const answer = await post(body, accept ? { accept } : {});
        expect({ status: answer.status, codes: codes(answer) }, `${JSON.stringify(body)} ${accept}`).toEqual({ status: 400, codes: [code] });
      }
    }
    // The same document refused again: a refused document is never kept as if it were valid.
    expect((await post({ query: '{ nom }' })).status).toBe(400);
  });

  it('gives an error without a code INTERNAL_SERVER_ERROR, with its path, and no stack', async () => {
    const answer = await post({ query: '{ name broken }' });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ name: 'Hà Nội', broken: null });
    expect(answer.body.errors).toEqual([
      { message: 'the backend failed at http://10.0.0.7/internal', locations: [{ line: 1, column: 8 }], path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
  });

  it('answers personal data only to a caller it vouched for, refusing with 401 and a challenge, or 403', async () => {
    expect((await post({ query: '{ citizen { fullName } }' }, { as: officer })).body).toEqual({ data: { citizen: { fullName: 'Nguyễn Văn An' } } });

    const anonymous = await post({ query: '{ citizen { fullName } }' });
    expect({ status: anonymous.status, codes: codes(anonymous), data: anonymous.body.data }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'], data: undefined });
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="lien-thong"');
    expect(anonymous.body.errors?.[0]?.message).toContain('no caller assertion from the gateway');

    const denied = await post({ query: '{ citizen { fullName } }' }, { as: stranger });
    expect({ status: denied.status, codes: codes(denied), data: denied.body.data }).toEqual({ status: 403, codes: ['FORBIDDEN'], data: undefined });
    expect(JSON.stringify(denied.body)).not.toContain('http');
  });

  it('says how long a public answer stays fresh, and never for an answer about a citizen', async () => {
    expect((await post({ query: '{ name }' })).headers.get('cache-control')).toBe('public, max-age=60');
    expect((await post({ query: '{ citizen { fullName } }' }, { as: officer })).headers.get('cache-control')).toBeNull();
    expect((await post({ query: '{ name citizen { fullName } }' }, { as: officer })).headers.get('cache-control')).toBeNull();
    expect((await post({ query: '{ name broken }' })).headers.get('cache-control')).toBeNull();
  });

  it('answers a query over GET, and refuses a mutation over GET with 405', async () => {
    const query = await fetch(`${url}?query=${encodeURIComponent('{ name }')}`);
    expect({ status: query.status, body: await query.json() }).toEqual({ status: 200, body: { data: { name: 'Hà Nội' } } });
    const mutation = await fetch(`${url}?query=${encodeURIComponent('mutation { rename(name: "x") }')}`);
    expect({ status: mutation.status, allow: mutation.headers.get('allow') }).toEqual({ status: 405, allow: 'POST' });
    expect((await post({ query: 'mutation { rename(name: "Huế") }' })).body).toEqual({ data: { rename: 'Huế' } });
  });

  it('answers introspection in development and refuses it in production', async () => {
    expect((await post({ query: '{ __schema { queryType { name } } }' })).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const refused = await post({ query: '{ __schema { queryType { name } } }' }, { to: production });
    expect({ status: refused.status, codes: [...new Set(codes(refused))] }).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(refused.body.errors?.[0]?.message).toContain('introspection has been disabled');
    // The federation's own fields are not introspection: the gateway's composition may still read the SDL.
    expect((await post({ query: '{ _service { sdl } }' }, { to: production })).status).toBe(200);
  });
});
