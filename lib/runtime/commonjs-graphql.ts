import { createRequire } from 'node:module';
import * as moduleGraphql from 'graphql';

/**
 * graphql as loaded by CommonJS packages (@apollo/gateway, @apollo/subgraph): the copy whose
 * classes their schemas are made of. Where a test runner resolves this project's own
 * `import 'graphql'` to the ES module build, that is a second copy, whose `instanceof` checks fail
 * on the first copy's schemas and errors (under Node both are the same).
 */
export const commonJsGraphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** The copy of graphql a schema was built with: what must parse, validate and execute against it. */
export function graphqlOf(schema: object): typeof import('graphql') {
  return schema instanceof commonJsGraphql.GraphQLSchema ? commonJsGraphql : moduleGraphql;
}
