import { ApolloServer } from '@apollo/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from './data-source.ts';
import type { PublicResponseOutcome } from '../lib/runtime/metrics.ts';
import { publicResponseCache } from './public-responses.ts';

/**
 * The cache of whole public answers on its own, in an Apollo Server without a gateway: a resolver
 * counts the executions and sets the answer's cache policy, as the gateway's data sources do from
 * the subgraphs' `Cache-Control`.
 */
const typeDefs = 'type Query { provinces(maxAge: Int!): Int! }';

/** Servers started by a test, stopped after it. */
const started: ApolloServer<GatewayContext>[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

/** A started server with the cache, and what it did. */
async function serverWith(options: { circuitsClosed?: () => boolean; bytes?: number } = {}) {
  let clock = 1_000_000;
  let executions = 0;
  const outcomes: PublicResponseOutcome[] = [];
  const server = new ApolloServer<GatewayContext>({
    typeDefs,
    resolvers: {
      Query: {
        provinces: (_: unknown, { maxAge }: { maxAge: number }, __: unknown, info: { cacheControl: { setCacheHint(hint: { maxAge: number }): void } }) => {
          info.cacheControl.setCacheHint({ maxAge });
          return ++executions;
        },
      },
    },
    plugins: [
      publicResponseCache({
        bytes: options.bytes ?? 1024 * 1024,
        circuitsClosed: options.circuitsClosed ?? (() => true),
        onOutcome: (outcome) => outcomes.push(outcome),
        now: () => clock,
      }),
    ],
  });
  await server.start();
  started.push(server);
  /** As the access policy judged the operation: public (false) unless said otherwise; 'unjudged' as with access control off. */
  const ask = async (maxAge: number, readsPersonalData: boolean | 'unjudged' = false) => {
    const response = await server.executeOperation(
      { query: 'query($maxAge: Int!) { provinces(maxAge: $maxAge) }', variables: { maxAge } },
      { contextValue: { requestId: 'r', deadlineAt: Number.MAX_SAFE_INTEGER, ...(readsPersonalData === 'unjudged' ? {} : { readsPersonalData }) } },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { answer: (response.body.singleResult.data as { provinces: number }).provinces, age: response.http.headers.get('age') };
  };
  return {
    ask,
    outcomes,
    executions: () => executions,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("the gateway's cache of whole public answers", () => {
  it('answers the same query again without executing it, with its Age, until its max-age has passed', async () => {
    const { ask, outcomes, executions, advance } = await serverWith();
    const first = await ask(30);
    advance(29_999);
    const again = await ask(30);
    expect(again.answer).toBe(first.answer);
    expect(again.age).not.toBeUndefined();
    expect(executions()).toBe(1);
    advance(1);
    expect((await ask(30)).answer).toBe(first.answer + 1);
    expect(outcomes).toEqual(['miss', 'stored', 'hit', 'miss', 'stored']);
  });

  it('keeps nothing whose policy says it may not be kept (max-age 0)', async () => {
    const { ask, outcomes, executions } = await serverWith();
    await ask(0);
    await ask(0);
    expect(executions()).toBe(2);
    expect(outcomes).toEqual(['miss', 'miss']);
  });

  it('neither reads nor keeps an operation the access policy found personal, whatever its policy says', async () => {
    const { ask, outcomes, executions } = await serverWith();
    await ask(30, true);
    await ask(30, true);
    expect(executions()).toBe(2);
    expect(outcomes).toEqual([]);
    // Judged public, the same query is looked up (it was never stored) and kept.
    await ask(30, false);
    expect(executions()).toBe(3);
    expect(outcomes).toEqual(['miss', 'stored']);
  });

  it('neither reads nor keeps an operation the access policy did not judge (access control off)', async () => {
    const { ask, outcomes, executions } = await serverWith();
    await ask(30, 'unjudged');
    await ask(30, 'unjudged');
    expect(executions()).toBe(2);
    expect(outcomes).toEqual([]);
  });

  it('works every answer out while a circuit is open, and serves the kept one again once they are all closed', async () => {
    let closed = true;
    const { ask, outcomes, executions } = await serverWith({ circuitsClosed: () => closed });
    const kept = await ask(30);
    closed = false;
    expect((await ask(30)).answer).toBe(kept.answer + 1);
    closed = true;
    expect((await ask(30)).answer).toBe(kept.answer);
    expect(executions()).toBe(2);
    expect(outcomes).toEqual(['miss', 'stored', 'hit']);
  });

  it('keeps at most its bytes of answers', async () => {
    const { ask, outcomes, executions } = await serverWith({ bytes: 10 });
    await ask(30);
    await ask(30);
    expect(executions()).toBe(2);
    expect(outcomes).toEqual(['miss', 'miss']);
  });
});
