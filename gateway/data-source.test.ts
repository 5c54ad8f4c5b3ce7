import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import type { SubgraphCallOutcome } from './connection-board.ts';
import { fieldPathsOf, SubgraphDataSource, type GatewayContext } from './data-source.ts';

const call = (query: string, variables: Record<string, unknown> = {}) =>
  ({
    request: { query, variables },
    context: { requestId: 't', deadlineAt: 0 },
  }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

describe('the fields a failed subgraph call was to supply', () => {
  it('are its root fields, by response key', () => {
    expect(fieldPathsOf(call('{ __typename citizen(personalId: "1") { fullName } head: household(id: "h") { id } }'))).toEqual([
      ['citizen'],
      ['head'],
    ]);
  });

  it("are each representation's fields of its own type, through inline fragments and fragment spreads", () => {
    const query = `query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        __typename
        ... on Citizen { landParcels { parcelId } ...Extra }
        ... on Province { landDigitization { status } }
      }
    }
    fragment Extra on Citizen { parcels: landParcels { area } }`;
    const representations = [
      { __typename: 'Citizen', personalId: '001085012345' },
      { __typename: 'Province', code: '001' },
    ];
    expect(fieldPathsOf(call(query, { representations }))).toEqual([
      ['_entities', 0, 'landParcels'],
      ['_entities', 0, 'parcels'],
      ['_entities', 1, 'landDigitization'],
    ]);
  });

  it('are none when the operation cannot be read', () => {
    expect(fieldPathsOf(call('{ unclosed'))).toEqual([]);
  });
});

describe('what the connection board learns from a failed subgraph call', () => {
  const timingOut = (async () => {
    throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  }) as unknown as Fetcher;
  const refusing = (async () => {
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }) as unknown as Fetcher;

  async function failedCall(fetcher: Fetcher, requestTimeLeftMs: number) {
    const seen: { system: string; outcome: SubgraphCallOutcome }[] = [];
    const source = new SubgraphDataSource('land', 'http://land.invalid/graphql', fetcher, 5000, createLogger('test'), {
      recordSubgraphCall: (system, outcome) => seen.push({ system, outcome }),
    });
    const response = await source.process({
      kind: 'health check',
      request: { query: '{ landParcel(parcelId: "x") { area } }', variables: {} },
      context: { requestId: 't', deadlineAt: Date.now() + requestTimeLeftMs },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    return { seen, response };
  }

  it('counts a timeout at the subgraph’s own deadline, and a refused connection, against the subgraph', async () => {
    for (const [fetcher, code, reason] of [
      [timingOut, 'SYSTEM_TIMEOUT', 'no answer before the deadline'],
      [refusing, 'SYSTEM_UNAVAILABLE', 'connection refused'],
    ] as const) {
      const { seen, response } = await failedCall(fetcher, 60_000);
      expect(response.errors?.[0]?.extensions).toEqual({ code, system: 'land' });
      expect(seen).toEqual([{ system: 'land', outcome: { ok: false, code, reason } }]);
    }
  });

  it('does not hold against the subgraph a timeout at what was left of the client request’s deadline', async () => {
    const { seen, response } = await failedCall(timingOut, 1000);
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'SYSTEM_TIMEOUT', system: 'land' });
    expect(seen).toEqual([]);
  });
});
