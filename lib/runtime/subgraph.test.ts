import { GraphQLError, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AnswerFreshness } from './http-caching.ts';
import { publicAnswerHeaders } from './subgraph.ts';

const answered: ExecutionResult = { data: { name: 'Hà Nội' } };

/** The Cache-Control of an answer, as the guard and the backend calls left the context. */
function cacheControlOf(readsPersonalData: boolean | undefined, freshSeconds: (number | undefined)[], result = answered): string | undefined {
  const answerFreshness = new AnswerFreshness();
  for (const seconds of freshSeconds) answerFreshness.observe(seconds);
  return publicAnswerHeaders({ ...(readsPersonalData === undefined ? {} : { readsPersonalData }), answerFreshness }, result)?.['cache-control'];
}

describe('publicAnswerHeaders: the freshness a subgraph states for its answer', () => {
  it('is public, for as long as the least fresh backend answer used, for an operation without personal data', () => {
    expect(cacheControlOf(false, [60, 12])).toBe('public, max-age=12');
  });

  it('is never stated for an operation that reads personal data, however cacheable its backend answers', () => {
    expect(cacheControlOf(true, [60])).toBeUndefined();
  });

  it('is not stated when no guard judged the operation, when a backend answer was not cacheable, or when none was used', () => {
    expect(cacheControlOf(undefined, [60])).toBeUndefined();
    expect(cacheControlOf(false, [60, undefined])).toBeUndefined();
    expect(cacheControlOf(false, [])).toBeUndefined();
  });

  it('is not stated for an answer with an error', () => {
    expect(cacheControlOf(false, [60], { data: { name: null }, errors: [new GraphQLError('the backend failed')] })).toBeUndefined();
  });
});
