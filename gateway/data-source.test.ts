import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import { fieldPathsOf, type GatewayContext } from './data-source.ts';

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
