/**
 * A subgraph's operations compiled to JavaScript by graphql-jit once their document comes again: the
 * gateway sends the same few documents over and over with other variables, and a compiled operation
 * runs in a third of graphql-js's CPU on the subgraphs' entity calls (docs/BENCHMARKS.md). A document
 * seen once runs through graphql-js and is never compiled, so a client sending one-off documents
 * costs no compilation; an operation graphql-jit cannot compile keeps running through graphql-js.
 *
 * Both paths answer alike: the same data, and errors with the same message, locations, path and
 * `extensions` (lib/runtime/compiled-operations.test.ts runs each document through both); variables
 * that do not fit their definitions are refused by graphql-js.
 */
import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLSchema, Source } from 'graphql';
import { commonJsGraphql, graphqlOf } from './commonjs-graphql.ts';

type GraphqlJit = typeof import('graphql-jit');
type CompiledQuery = import('graphql-jit').CompiledQuery;

// graphql-jit's CommonJS build: it checks schemas and documents with the CommonJS copy of graphql,
// the one @apollo/subgraph builds the subgraphs' schemas with (see commonjs-graphql.ts).
const { compileQuery, isCompiledQuery } = createRequire(import.meta.url)('graphql-jit') as GraphqlJit;

/** Runs of a document through graphql-js before its operations are compiled. */
const RUNS_BEFORE_COMPILING = 1;

export interface CompiledOperations {
  /** graphql-js's `execute`, or the compiled operation once its document has run before. */
  execute(args: ExecutionArgs): Promise<ExecutionResult> | ExecutionResult;
  /** How many operations have been compiled. */
  readonly compiled: number;
}

interface DocumentRuns {
  runs: number;
  /** By operation name ('' for the document's only operation); null: it could not be compiled. */
  operations: Map<string, CompiledQuery | null>;
}

export function compiledOperations(schema: GraphQLSchema): CompiledOperations {
  const graphql = graphqlOf(schema);
  // graphql-jit knows only the CommonJS copy; a schema of the other copy (a test's own) is never compiled.
  const compilable = graphql === commonJsGraphql;
  // Kept with the document itself: a document the subgraph forgets takes its compiled operations with it.
  const byDocument = new WeakMap<DocumentNode, DocumentRuns>();
  let compiled = 0;

  function compiledOperation(document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null | undefined {
    let runs = byDocument.get(document);
    if (!runs) byDocument.set(document, (runs = { runs: 0, operations: new Map() }));
    if (runs.runs < RUNS_BEFORE_COMPILING) {
      runs.runs++;
      return undefined;
    }
    const key = operationName ?? '';
    if (runs.operations.has(key)) return runs.operations.get(key);
    const made = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
    const operation = isCompiledQuery(made) ? made : null;
    if (operation) compiled++;
    runs.operations.set(key, operation);
    return operation;
  }

  /**
   * graphql-jit's errors are its own: `extensions` undefined when there are none, `locations` with no
   * source or positions behind them. Made whole graphql-js errors here, on the document's source, so
   * that whoever formats or rebuilds them sees one kind.
   */
  function withGraphqlJsErrors(result: ExecutionResult, document: DocumentNode): ExecutionResult {
    if (!result.errors?.length) return result;
    const source = document.loc?.source;
    const lineStarts = source && lineStartsOf(source);
    const errors = result.errors.map(
      (error) =>
        new graphql.GraphQLError(error.message, {
          source,
          positions: lineStarts && error.locations?.map(({ line, column }) => (lineStarts[line - 1] ?? 0) + column - 1),
          path: error.path,
          originalError: error.originalError,
          extensions: error.extensions ?? undefined,
        }),
    );
    return { ...result, errors };
  }

  return {
    execute(args) {
      const operation = compilable && args.schema === schema ? compiledOperation(args.document, args.operationName) : undefined;
      if (!operation) return graphql.execute(args);
      const result = operation.query(args.rootValue, args.contextValue, args.variableValues);
      // Variables that do not fit are refused at once, without data, in graphql-jit's own words:
      // graphql-js refuses them again in the words clients know.
      if (!(result instanceof Promise)) return 'data' in result ? withGraphqlJsErrors(result, args.document) : graphql.execute(args);
      return result.then((settled) => withGraphqlJsErrors(settled, args.document));
    },
    get compiled() {
      return compiled;
    },
  };
}

/**
 * The offset at which each line of `source` starts, to turn an error's line and column back into the
 * position graphql-js builds its errors on (its `getLocation` counts lines the same way).
 */
function lineStartsOf(source: Source): number[] {
  const starts = [0];
  for (const lineEnd of source.body.matchAll(/\r\n|[\n\r]/g)) starts.push(lineEnd.index! + lineEnd[0].length);
  return starts;
}
