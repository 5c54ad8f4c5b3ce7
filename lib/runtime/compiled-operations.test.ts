import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { commonJsGraphql } from './commonjs-graphql.ts';
import { compiledOperations } from './compiled-operations.ts';
import { subgraphGraphQL } from './subgraph-graphql.ts';

interface Context {
  calls: string[];
}

const citizens: Record<string, { personalId: string; fullName: string; sex: 'MALE' | 'FEMALE'; householdId: string | null }> = {
  '001085012345': { personalId: '001085012345', fullName: 'Nguyễn Văn An', sex: 'MALE', householdId: 'HO-1' },
  '001187004567': { personalId: '001187004567', fullName: 'Trần Thị Bình', sex: 'FEMALE', householdId: null },
};

// Built as the subgraphs build theirs (@apollo/subgraph): entities, an enum, a union, a non-null field
// that fails, errors with and without a code, fields resolved later than others.
const schema = buildSubgraphSchema({
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    enum Sex { MALE FEMALE }
    type Citizen @key(fields: "personalId") {
      personalId: ID!
      fullName: String
      sex: Sex!
      household: Household
      unavailable: String
      required: String!
    }
    type Household @key(fields: "id") { id: ID!, size: Int! }
    type Parcel { parcelId: ID!, area: Float! }
    union Holding = Parcel | Household
    type Query {
      citizen(personalId: ID!): Citizen
      citizens(personalIds: [ID!]!, limit: Int = 10): [Citizen]!
      holdings: [Holding!]!
    }`),
  resolvers: {
    Query: {
      citizen: (_: unknown, { personalId }: { personalId: string }, context: unknown) => {
        (context as Context).calls.push(`citizen ${personalId}`);
        return citizens[personalId] ?? null;
      },
      citizens: async (_: unknown, { personalIds, limit }: { personalIds: string[]; limit: number }) => personalIds.slice(0, limit).map((id) => citizens[id] ?? null),
      holdings: () => [
        { __typename: 'Parcel', parcelId: 'TD-1', area: 92.5 },
        { __typename: 'Household', id: 'HO-1' },
      ],
    },
    Citizen: {
      __resolveReference: async ({ personalId }: { personalId: string }) => citizens[personalId] ?? null,
      household: async (citizen: { householdId: string | null }) => (citizen.householdId ? { id: citizen.householdId } : null),
      unavailable: () => {
        throw new commonJsGraphql.GraphQLError('The population system is unavailable.', { extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'population' } });
      },
      required: () => null,
    },
    Household: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      size: async () => 5,
    },
    Holding: {
      __resolveType: (holding: { __typename: string }) => holding.__typename,
    },
  },
});

/** Documents and variables of every shape the subgraphs answer, errors included. */
const CASES: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  { name: 'a field and a nested entity', query: 'query($id: ID!) { citizen(personalId: $id) { fullName sex household { id size } } }', variables: { id: '001085012345' } },
  { name: 'no such citizen', query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables: { id: '999999999999' } },
  {
    name: "the gateway's entity call",
    query:
      'query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Citizen { fullName household { size } } ... on Household { id size } } }',
    variables: {
      representations: [
        { __typename: 'Citizen', personalId: '001187004567' },
        { __typename: 'Household', id: 'HO-2' },
        { __typename: 'Citizen', personalId: '001085012345' },
      ],
    },
  },
  {
    name: 'a list with a default argument and aliases',
    query: 'query($ids: [ID!]!) { all: citizens(personalIds: $ids) { name: fullName } one: citizens(personalIds: $ids, limit: 1) { sex } }',
    variables: { ids: ['001085012345', '000000000000', '001187004567'] },
  },
  { name: 'a union', query: '{ holdings { __typename ... on Parcel { parcelId area } ... on Household { id } } }' },
  {
    name: '@skip and @include',
    query: 'query($more: Boolean!) { citizen(personalId: "001085012345") { fullName @include(if: $more) sex @skip(if: $more) } }',
    variables: { more: true },
  },
  { name: 'an error with a code', query: '{ citizen(personalId: "001085012345") { fullName unavailable } }' },
  { name: 'a null in a non-null field', query: '{ citizen(personalId: "001085012345") { fullName required } }' },
  // The error's location is on the third line, after a CRLF: compiled, it is found back on the document's source.
  { name: 'an error below the first line', query: '{\r\n  citizen(personalId: "001085012345") {\n    fullName required\n  }\n}' },
  { name: 'a null in a non-null field of a list item', query: 'query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName required } }', variables: { ids: ['001085012345'] } },
  { name: 'variables that do not fit', query: 'query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', variables: { ids: [null] } },
  { name: 'a missing variable', query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables: {} },
  // Literals end up near generated code: text that would break out of a string must stay text.
  {
    name: 'literals that look like code',
    query: '{ x: citizen(personalId: "\\"); process.exit(1); //\\u0027`${1}") { fullName } y: citizen(personalId: """ "); throw 1 //""") { sex } }',
  },
  { name: 'named operations', query: 'query A { holdings { __typename } } query B { citizen(personalId: "001085012345") { sex } }' },
];

const contextOf = (): Context => ({ calls: [] });

describe('compiled operations', () => {
  it.each(CASES.filter((c) => !c.name.startsWith('named')))('answer $name alike through graphql-js and compiled', async ({ query, variables }) => {
    const operations = compiledOperations(schema);
    const document = commonJsGraphql.parse(query);
    // The answer, and what the resolvers saw of the context.
    const run = async () => {
      const contextValue = contextOf();
      const result = await operations.execute({ schema, document, variableValues: variables, contextValue });
      return { answer: JSON.parse(JSON.stringify(result)) as unknown, calls: contextValue.calls };
    };
    const first = await run();
    expect(operations.compiled).toBe(0);
    const second = await run();
    expect(operations.compiled).toBe(1);
    expect(second).toEqual(first);
    // The compiled operation is kept: a third run compiles nothing.
    expect(await run()).toEqual(first);
    expect(operations.compiled).toBe(1);
  });

  it('compiles each operation of a document by its name', async () => {
    const operations = compiledOperations(schema);
    const document = commonJsGraphql.parse(CASES.at(-1)!.query);
    const run = async (operationName: string) => JSON.stringify(await operations.execute({ schema, document, operationName, contextValue: contextOf() }));
    const firstA = await run('A');
    const firstB = await run('B');
    expect(JSON.parse(firstA)).toEqual({ data: { holdings: [{ __typename: 'Parcel' }, { __typename: 'Household' }] } });
    expect(JSON.parse(firstB)).toEqual({ data: { citizen: { sex: 'MALE' } } });
    expect([await run('A'), await run('B'), await run('A')]).toEqual([firstA, firstB, firstA]);
    expect(operations.compiled).toBe(2);
  });

  it('never compiles a schema of the other copy of graphql (a test of its own)', async () => {
    const graphql = await import('graphql');
    // Under vitest, `import 'graphql'` is the ES module copy, not the CommonJS one @apollo/subgraph uses.
    expect(graphql.GraphQLSchema).not.toBe(commonJsGraphql.GraphQLSchema);
    const other = graphql.buildSchema('type Query { name: String }');
    const operations = compiledOperations(other);
    const document = graphql.parse('{ name }');
    for (let i = 0; i < 3; i++) expect(await operations.execute({ schema: other, document, rootValue: { name: 'Hà Nội' } })).toEqual({ data: { name: 'Hà Nội' } });
    expect(operations.compiled).toBe(0);
  });
});

describe("a subgraph's answers", () => {
  it.each(CASES.filter((c) => !c.name.startsWith('named')))('answer $name over HTTP alike, first and again', async ({ query, variables }) => {
    const graphql = subgraphGraphQL<Context>({ schema, introspection: false });
    const first = await graphql.execute({ query, variables }, contextOf());
    const again = await graphql.execute({ query, variables }, contextOf());
    expect(again).toEqual(first);
    for (const error of first.body.errors ?? []) {
      expect(error.extensions?.code).toEqual(expect.any(String));
      expect(error).not.toHaveProperty('extensions.http');
    }
  });

  it('keeps the code and the system of an error, and makes a code for an error without one', async () => {
    const graphql = subgraphGraphQL<Context>({ schema, introspection: false });
    const query = '{ citizen(personalId: "001085012345") { fullName unavailable required } }';
    for (let i = 0; i < 3; i++) {
      const { status, body } = await graphql.execute({ query }, contextOf());
      expect(status).toBe(200);
      expect(body.data).toEqual({ citizen: null });
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'The population system is unavailable.',
          path: ['citizen', 'unavailable'],
          locations: [{ line: 1, column: 50 }],
          extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'population' },
        }),
        expect.objectContaining({
          message: 'Cannot return null for non-nullable field Citizen.required.',
          path: ['citizen', 'required'],
          locations: [{ line: 1, column: 62 }],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      ]);
    }
  });
});
