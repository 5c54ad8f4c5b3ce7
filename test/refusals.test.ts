import { parseSettings, QUERY_LIMIT_SETTINGS } from '../lib/runtime/settings.ts';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { ValidationRule } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryProtection, refusalOf } from '../gateway/limits.ts';
import { ABUSIVE_DOCUMENTS, type AbusiveDocument } from '../lib/devkit/abusive-documents.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

const documents = Object.entries(ABUSIVE_DOCUMENTS) as [string, AbusiveDocument][];

/**
 * Apollo Server with the gateway's protection and spies: `validations` counts the documents
 * graphql-js's `validate` is called on (it calls every rule's factory, OverlappingFieldsCanBeMerged
 * and graphql-armor's among them, before visiting anything), apart from `standIns`, the one-field
 * stand-ins of refused documents; `parses` counts parses.
 */
describe("the shape limits stop a document before graphql-js's validation", () => {
  let validations = 0;
  let standIns = 0;
  let parses = 0;
  const validationSpy: ValidationRule = (context) => {
    if (refusalOf(context.getDocument()) === undefined) validations += 1;
    else standIns += 1;
    return {};
  };
  const parseSpy: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async parsingDidStart() {
          parses += 1;
        },
      };
    },
  };
  const protection = queryProtection(parseSettings(QUERY_LIMIT_SETTINGS, {}), false, [parseSpy]);
  const server = new ApolloServer({
    typeDefs: `
      type Query { provinces: [Province!]!, citizen(personalId: ID!): Citizen }
      type Province { code: ID!, name: String! }
      type Citizen { fullName: String, father: Citizen }
    `,
    resolvers: { Query: { provinces: () => [{ code: '001', name: 'Hà Nội' }], citizen: () => null } },
    ...protection,
    validationRules: [...protection.validationRules, validationSpy],
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    validations = 0;
    standIns = 0;
    parses = 0;
  });

  async function post(
    query: string,
    operationName?: string,
  ): Promise<{ status: number; body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } }> {
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: 'POST',
        headers: new HeaderMap([['content-type', 'application/json']]),
        search: '',
        body: { query, ...(operationName ? { operationName } : {}) },
      },
      context: async () => ({}),
    });
    if (response.body.kind !== 'complete') throw new Error('expected a complete body');
    return { status: response.status ?? 200, body: JSON.parse(response.body.string) as never };
  }

  it('validates, and parses, a normal query (the spies work)', async () => {
    const { status, body } = await post('{ provinces { code name } }');
    expect(status).toBe(200);
    expect(body).toEqual({ data: { provinces: [{ code: '001', name: 'Hà Nội' }] } });
    expect({ validations, standIns, parses }).toEqual({ validations: 1, standIns: 0, parses: 1 });
  });

  it.each(documents)('%s: 400 GRAPHQL_VALIDATION_FAILED, never validated', async (_name, { query, operationName }) => {
    const { status, body } = await post(query, operationName);
    expect(status).toBe(400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(body.errors![0]!.message).toMatch(/^Query .* exceeding the limit of \d+\.$/);
    expect({ validations, standIns, parses }).toEqual({ validations: 0, standIns: 1, parses: 1 });
  });

  it('answers the same refused text again from the document store, neither parsed nor validated', async () => {
    const query = `${ABUSIVE_DOCUMENTS['repeated-450'].query} # cache test`;
    const first = await post(query);
    expect({ validations, standIns, parses }).toEqual({ validations: 0, standIns: 1, parses: 1 });
    const second = await post(query);
    expect(second).toEqual(first);
    expect(second.status).toBe(400);
    expect({ validations, standIns, parses }).toEqual({ validations: 0, standIns: 1, parses: 1 });
    // One character more is another text: parsed (and refused) afresh.
    await post(`${query} `);
    expect({ validations, standIns, parses }).toEqual({ validations: 0, standIns: 2, parses: 2 });
  });

  it('refuses a stand-in even under an operation name it does not have', async () => {
    const { query, operationName } = ABUSIVE_DOCUMENTS['many-operations'];
    for (let attempt = 0; attempt < 2; attempt++) {
      const { status, body } = await post(query, operationName);
      expect(status).toBe(400);
      expect(body.errors).toEqual([{ message: 'Query has 792 fields (fragments expanded), exceeding the limit of 500.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    }
  });

  it('caches nothing for a document it accepts', async () => {
    await post('{ provinces { name } }');
    await post('{ provinces { name } }');
    // Apollo's document store keeps the validated document: parsed and validated once.
    expect({ validations, standIns, parses }).toEqual({ validations: 1, standIns: 0, parses: 1 });
  });
});

describe('the gateway refuses abusive documents, unauthenticated, and keeps answering', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.close());

  it('refuses the 450 × provinces { name } document (8.6 KB) with a 400 naming the limit', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { status, body } = await system.query(ABUSIVE_DOCUMENTS['repeated-450'].query, undefined, { as: null });
      expect(status).toBe(400);
      expect(body).toEqual({
        errors: [{ message: 'Query has 450 selections in one selection set, exceeding the limit of 100.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
      });
    }
  });

  it.each(documents)('%s', async (_name, { query }) => {
    const { status, body } = await system.query(query, undefined, { as: null });
    expect(status).toBe(400);
    expect(body.errors?.map((error) => error.extensions)).toEqual([{ code: 'GRAPHQL_VALIDATION_FAILED' }]);
    expect(body.errors?.[0]?.message).toMatch(/exceeding the limit of \d+\.$/);
  });

  it('still answers a public query', async () => {
    const { status, body } = await system.query('{ provinces { code name } }', undefined, { as: null });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect((body.data as { provinces: unknown[] }).provinces.length).toBeGreaterThan(0);
  });
});
