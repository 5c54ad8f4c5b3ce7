import { parseSettings, QUERY_LIMIT_SETTINGS } from '../lib/runtime/settings.ts';
import { ApolloServer } from '@apollo/server';
import { buildSchema, Kind, parse, specifiedRules, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentLimitRules, findListTooLong, findTooManyListItems, queryProtection } from './limits.ts';

describe('query limits from the environment', () => {
  it('has working defaults', () => {
    expect(parseSettings(QUERY_LIMIT_SETTINGS, {})).toEqual({
      maxDepth: 12,
      maxAliases: 30,
      maxCost: 5000,
      maxTokens: 2000,
      maxDirectives: 50,
      maxListItems: 100,
      maxListItemsPerRequest: 500,
      maxFields: 500,
      maxSelections: 100,
      maxFieldRepeats: 100,
      maxFieldPairs: 5000,
    });
  });

  it('reads every limit from its variable', () => {
    expect(
      parseSettings(QUERY_LIMIT_SETTINGS, {
        MAX_QUERY_DEPTH: '7',
        MAX_QUERY_ALIASES: '3',
        MAX_QUERY_COST: '900',
        MAX_QUERY_TOKENS: '400',
        MAX_QUERY_DIRECTIVES: '5',
        MAX_LIST_ITEMS: '20',
        MAX_LIST_ITEMS_PER_REQUEST: '60',
        MAX_QUERY_FIELDS: '80',
        MAX_QUERY_SELECTIONS: '40',
        MAX_QUERY_FIELD_REPEATS: '4',
        MAX_QUERY_FIELD_PAIRS: '10',
      }),
    ).toEqual({
      maxDepth: 7,
      maxAliases: 3,
      maxCost: 900,
      maxTokens: 400,
      maxDirectives: 5,
      maxListItems: 20,
      maxListItemsPerRequest: 60,
      maxFields: 80,
      maxSelections: 40,
      maxFieldRepeats: 4,
      maxFieldPairs: 10,
    });
  });

  it('refuses a value that is not a non-negative integer', () => {
    expect(() => parseSettings(QUERY_LIMIT_SETTINGS, { MAX_QUERY_DEPTH: 'deep' })).toThrow('Invalid settings: MAX_QUERY_DEPTH is "deep", expected an integer from 1 to 2147483647');
  });
});

describe('production hardening', () => {
  it('turns introspection off and hides suggestions in production only', () => {
    const limits = parseSettings(QUERY_LIMIT_SETTINGS, {});
    expect(queryProtection(limits, true)).toMatchObject({ introspection: false, hideSchemaDetailsFromClientErrors: true, csrfPrevention: true, allowBatchedHttpRequests: false });
    expect(queryProtection(limits, false)).toMatchObject({ introspection: true, hideSchemaDetailsFromClientErrors: false, csrfPrevention: true, allowBatchedHttpRequests: false });
  });
});

// A self-referencing type, so any depth can be written.
const schema = buildSchema(`
  type Query { person(id: ID!): Person }
  type Person { name: String, parent: Person }
`);
const limitErrors = (query: string, limits: Partial<Parameters<typeof documentLimitRules>[0]> = {}) =>
  validate(schema, parse(query), [...specifiedRules, ...documentLimitRules({ maxDepth: 12, maxAliases: 30, maxCost: 5000, maxDirectives: 50, ...limits })]).map(
    (error) => error.message,
  );
const nested = (depth: number) => `{ person(id: "1") { ${'parent { '.repeat(depth - 2)}name${' }'.repeat(depth - 2)} } }`;

describe("document limits (graphql-armor rules, in the gateway's words)", () => {
  it('states the depth found and the limit, without "Syntax Error"', () => {
    expect(limitErrors(nested(12))).toEqual([]);
    expect(limitErrors(nested(13))).toEqual(['Query depth 13 exceeds the limit of 12.']);
  });

  it('counts aliases, but not aliases of __typename', () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: person(id: "${i}") { name }`).join(' ')} t1: __typename t2: __typename }`;
    expect(limitErrors(aliases(30))).toEqual([]);
    expect(limitErrors(aliases(31))).toEqual(['Query has 31 aliases, exceeding the limit of 30.']);
  });

  it('counts directives', () => {
    const directives = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename @include(if: true)`).join(' ')} }`;
    expect(limitErrors(directives(50))).toEqual([]);
    expect(limitErrors(directives(51))).toEqual(['Query has 51 directives, exceeding the limit of 50.']);
  });

  it('states the cost, rounded up, and the limit', () => {
    // person (2) + 1.5 × name (1) = 3.5 per field.
    expect(limitErrors('{ a: person(id: "1") { name } b: person(id: "2") { name } }', { maxCost: 7 })).toEqual([]);
    expect(limitErrors('{ a: person(id: "1") { name } b: person(id: "2") { name } c: person(id: "3") { name } }', { maxCost: 7 })).toEqual([
      'Query cost 11 exceeds the limit of 7.',
    ]);
  });

  it('reports only the first limit a document exceeds', () => {
    expect(limitErrors(nested(30), { maxCost: 10 })).toEqual(['Query depth 30 exceeds the limit of 12.']);
  });

  it('does not count introspection towards depth or cost', () => {
    const introspection = `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`;
    expect(limitErrors(introspection, { maxDepth: 3, maxCost: 10 })).toEqual([]);
  });
});

describe('list sizes', () => {
  const document = parse('query($ids: [ID!]!, $other: [ID!] = ["1", "2", "3"]) { citizens(personalIds: $ids) { fullName } }');

  it('accepts lists up to the limit', () => {
    expect(findListTooLong(document, { ids: ['1', '2', '3'] }, 3)).toBeUndefined();
  });

  it('names the variable and the argument it feeds', () => {
    expect(findListTooLong(document, { ids: ['1', '2', '3', '4'] }, 3)).toEqual({
      message: 'Variable $ids has 4 items, exceeding the limit of 3 per list.',
      argument: 'personalIds',
    });
  });

  it('finds a list nested in a variable', () => {
    expect(findListTooLong(parse('query($f: Filter) { x(filter: $f) }'), { f: { groups: [[1], [1, 2, 3]] } }, 2)).toEqual({
      message: 'Variable $f.groups[1] has 3 items, exceeding the limit of 2 per list.',
      argument: 'filter',
    });
  });

  it('finds a literal list in an argument or a variable default', () => {
    expect(findListTooLong(parse('{ citizens(personalIds: ["1", "2", "3"]) { fullName } }'), {}, 2)).toEqual({
      message: 'Argument personalIds has 3 items, exceeding the limit of 2 per list.',
      argument: 'personalIds',
    });
    expect(findListTooLong(document, { ids: [] }, 2)).toEqual({ message: 'The default value of $other has 3 items, exceeding the limit of 2 per list.' });
  });

  it('reads only the operation run and the fragments it spreads', () => {
    const two = parse('query A { ...F } query B { citizens(personalIds: ["1", "2", "3"]) { fullName } } fragment F on Query { citizens(personalIds: ["1", "2"]) { fullName } }');
    const [a, b] = two.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    expect(findListTooLong(two, {}, 2, a)).toBeUndefined();
    expect(findListTooLong(two, {}, 1, a)).toEqual({ message: 'Argument personalIds has 2 items, exceeding the limit of 1 per list.', argument: 'personalIds' });
    expect(findListTooLong(two, {}, 2, b)).toEqual({ message: 'Argument personalIds has 3 items, exceeding the limit of 2 per list.', argument: 'personalIds' });
  });

  it('walks deeply nested variables without overflowing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findListTooLong(document, { ids: deep }, 100)).toBeUndefined();
  });
});

describe('list sizes, checked by the plugin once per parsed document', () => {
  it('refuses each request by its own variables, and a literal list on every request', async () => {
    const limits = { ...parseSettings(QUERY_LIMIT_SETTINGS, {}), maxListItems: 2 };
    const server = new ApolloServer({
      typeDefs: 'type Query { count(ids: [ID!]): Int }',
      resolvers: { Query: { count: (_: unknown, { ids }: { ids?: string[] }) => ids?.length ?? 0 } },
      ...queryProtection(limits, false),
    });
    await server.start();
    const ask = async (query: string, variables?: Record<string, unknown>) => {
      const { body } = await server.executeOperation({ query, variables });
      return body.kind === 'single' ? body.singleResult : undefined;
    };
    const withVariable = 'query($ids: [ID!]) { count(ids: $ids) }';
    expect((await ask(withVariable, { ids: ['1', '2'] }))?.data).toEqual({ count: 2 });
    expect((await ask(withVariable, { ids: ['1', '2', '3'] }))?.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ids' });
    expect((await ask(withVariable, { ids: ['1'] }))?.data).toEqual({ count: 1 });
    const literal = '{ count(ids: ["1", "2", "3"]) }';
    for (let i = 0; i < 2; i++) expect((await ask(literal))?.errors?.[0]?.message).toBe('Argument ids has 3 items, exceeding the limit of 2 per list.');
    await server.stop();
  });
});

describe('list items in all the arguments of one query', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  const run = (query: string, variables: Record<string, unknown>, max: number, operationName?: string) => {
    const document = parse(query);
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || d.name?.value === operationName),
    )!;
    return findTooManyListItems(document, operation, variables, max);
  };
  const six = Array.from({ length: 6 }, (_, i) => `a${i}: citizens(personalIds: $ids) { fullName }`).join(' ');

  it('counts a variable at every field that uses it, aliases included', () => {
    expect(run(`query($ids: [ID!]!) { ${six} }`, { ids: ids(100) }, 500)).toEqual({
      message: 'The arguments of this query carry 600 list items in all, exceeding the limit of 500 per request.',
    });
    expect(run(`query($ids: [ID!]!) { ${six} }`, { ids: ids(80) }, 500)).toBeUndefined();
  });

  it('counts lists written in the query', () => {
    const list = JSON.stringify(ids(3));
    expect(run(`{ a: citizens(personalIds: ${list}) { fullName } b: citizens(personalIds: ${list}) { fullName } }`, {}, 5)).toMatchObject({
      message: 'The arguments of this query carry 6 list items in all, exceeding the limit of 5 per request.',
    });
  });

  it('counts a variable the request leaves out with its default', () => {
    expect(run(`query($ids: [ID!]! = ${JSON.stringify(ids(100))}) { ${six} }`, {}, 500)).toMatchObject({
      message: 'The arguments of this query carry 600 list items in all, exceeding the limit of 500 per request.',
    });
  });

  it('counts through fragments, at every spread', () => {
    const query = `query($ids: [ID!]!) { a: citizen(personalId: "1") { ...F } b: citizen(personalId: "2") { ...F } c: citizens(personalIds: $ids) { fullName } }
      fragment F on Citizen { fullName }
      query Other($ids: [ID!]!) { x: citizens(personalIds: $ids) { fullName } y: citizens(personalIds: $ids) { fullName } }`;
    expect(run(query, { ids: ids(4) }, 4, undefined)).toBeUndefined();
    const spreads = `query($ids: [ID!]!) { ...Q ...Q2 } fragment Q on Query { a: citizens(personalIds: $ids) { fullName } } fragment Q2 on Query { b: citizens(personalIds: $ids) { fullName } ...Q }`;
    expect(run(spreads, { ids: ids(4) }, 11)).toMatchObject({ message: 'The arguments of this query carry 12 list items in all, exceeding the limit of 11 per request.' });
  });

  it('counts only the operation being run', () => {
    const query = `query A($ids: [ID!]!) { a: citizens(personalIds: $ids) { fullName } } query B($ids: [ID!]!) { b: citizens(personalIds: $ids) { fullName } }`;
    expect(run(query, { ids: ids(300) }, 500, 'A')).toBeUndefined();
  });
});
