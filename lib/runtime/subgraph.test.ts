import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { afterAll, describe, expect, it } from 'vitest';
import type { PurposefulOfficer } from '../access/caller.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../access/policy.ts';
import { subgraphAccessPlugin, type CallerFacts } from '../access/subgraph-guard.ts';
import { AnswerFreshness } from './http-caching.ts';
import { publicAnswerCaching } from './subgraph.ts';

interface Context {
  readsPersonalData?: boolean;
  answerFreshness?: AnswerFreshness;
}

const server = new ApolloServer<Context>({
  typeDefs: 'type Query { name: String, broken: String }',
  resolvers: {
    Query: {
      name: () => 'Hà Nội',
      broken: () => {
        throw new Error('the backend failed');
      },
    },
  },
  // As in the subgraphs: Apollo's own cache policy off, so only this plugin states one.
  plugins: [ApolloServerPluginCacheControlDisabled(), publicAnswerCaching<Context>()],
});
await server.start();
afterAll(() => server.stop());

/** The Cache-Control of the answer to `query`, as the guard and the backend calls left the context. */
async function cacheControlOf(query: string, readsPersonalData: boolean | undefined, freshSeconds: (number | undefined)[]): Promise<string | undefined> {
  const answerFreshness = new AnswerFreshness();
  for (const seconds of freshSeconds) answerFreshness.observe(seconds);
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: { query } },
    context: async () => ({ ...(readsPersonalData === undefined ? {} : { readsPersonalData }), answerFreshness }),
  });
  return response.headers.get('cache-control');
}

describe('publicAnswerCaching: the freshness a subgraph states for its answer', () => {
  it('is public, for as long as the least fresh backend answer used, for an operation without personal data', async () => {
    expect(await cacheControlOf('{ name }', false, [60, 12])).toBe('public, max-age=12');
  });

  it('is never stated for an operation that reads personal data, however cacheable its backend answers', async () => {
    expect(await cacheControlOf('{ name }', true, [60])).toBeUndefined();
  });

  it('is not stated when no guard judged the operation, when a backend answer was not cacheable, or when none was used', async () => {
    expect(await cacheControlOf('{ name }', undefined, [60])).toBeUndefined();
    expect(await cacheControlOf('{ name }', false, [60, undefined])).toBeUndefined();
    expect(await cacheControlOf('{ name }', false, [])).toBeUndefined();
  });

  it('is not stated for an answer with an error', async () => {
    expect(await cacheControlOf('{ name broken }', false, [60])).toBeUndefined();
  });
});

describe("publicAnswerCaching behind the subgraph's guard", () => {
  const officer: PurposefulOfficer = { kind: 'officer', agency: 'BNNMT', officer: 'test', roles: [], purpose: 'land-transfer', caseNumber: 'HS-TEST', issuer: 'api-key' };
  const guarded = new ApolloServer<Context & CallerFacts>({
    typeDefs: 'type Query { citizen: Citizen, name: String } type Citizen { fullName: String }',
    resolvers: { Query: { citizen: () => ({ fullName: 'Nguyễn Văn An' }), name: () => 'Hà Nội' } },
    plugins: [ApolloServerPluginCacheControlDisabled(), subgraphAccessPlugin(loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE)), publicAnswerCaching()],
  });
  const ask = async (query: string) => {
    const answerFreshness = new AnswerFreshness();
    // Every backend answer as cacheable as a reference list: only the guard's judgement is left.
    answerFreshness.observe(60);
    const response = await guarded.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: { query } },
      context: async () => ({ caller: officer, answerFreshness }),
    });
    expect(response.body.kind === 'complete' ? response.body.string : '').not.toContain('errors');
    return response.headers.get('cache-control');
  };
  afterAll(() => guarded.stop());

  it('marks the answer about no one public, and never the answer about a citizen', async () => {
    await guarded.start();
    expect(await ask('{ name }')).toBe('public, max-age=60');
    expect(await ask('{ citizen { fullName } }')).toBeUndefined();
    expect(await ask('{ name citizen { fullName } }')).toBeUndefined();
  });
});
