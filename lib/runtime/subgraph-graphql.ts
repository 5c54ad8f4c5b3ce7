/**
 * A subgraph's GraphQL over HTTP: graphql-http (the reference implementation of the GraphQL over
 * HTTP specification) over graphql-js, in place of Apollo Server, whose request pipeline took a
 * sixth to a quarter of each subgraph's CPU per call (docs/BENCHMARKS.md). Each document is parsed
 * and validated once and kept: the gateway sends the same few documents again and again, with
 * other variables. Every operation is checked before it runs (`guard`: the access policy,
 * lib/access/subgraph-guard.ts).
 *
 * The answers keep Apollo Server's shape, which the gateway and the tests know: a request error
 * (body, parse, validation, operation, variables) is a 400 whatever the client accepts, with
 * `extensions.code` (`BAD_REQUEST`, `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`,
 * `OPERATION_RESOLUTION_FAILURE`, `BAD_USER_INPUT`); an error without a code is
 * `INTERNAL_SERVER_ERROR`; a refusal answers its own status and headers (`extensions.http`); no
 * error carries a stack.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DocumentNode, ExecutionResult, FormattedExecutionResult, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import { createHandler, type Request, type Response } from 'graphql-http';
import { LRUCache } from 'lru-cache';
import { graphqlOf } from './commonjs-graphql.ts';
import { compiledOperations, type CompiledOperations } from './compiled-operations.ts';
import { graphqlOperationSpan, type GraphQLOperationSpan } from './tracing.ts';

/** Throws the refusal of an operation (a GraphQLError whose `extensions.http` carries its status and headers). */
export type OperationGuard<TContext> = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  contextValue: TContext,
  variables: Record<string, unknown>,
) => Promise<void>;

export interface SubgraphGraphQLOptions<TContext> {
  schema: GraphQLSchema;
  guard?: OperationGuard<TContext>;
  /** Off in production (`NODE_ENV=production`), as Apollo Server has it: `__schema` and `__type` are then refused. */
  introspection: boolean;
  /** Headers an answer carries from its context and result (the Cache-Control of a public answer). */
  answerHeaders?: (contextValue: TContext, result: ExecutionResult) => Record<string, string> | undefined;
  /** Told each request's operation and result (lib/runtime/metrics.ts). */
  observer?: { noteGraphQLRequest(operationName: string | null | undefined, result?: ExecutionResult): void };
}

export interface SubgraphGraphQL<TContext> {
  /** One GraphQL request over HTTP, its JSON body already parsed (lib/runtime/http-server.ts). */
  answer(req: IncomingMessage, res: ServerResponse, body: unknown, context: () => Promise<TContext>, extraHeaders: Record<string, string>): Promise<void>;
  /** The same pipeline in this process, for a subgraph's own tests: the HTTP status and the answer. */
  execute<TData = Record<string, unknown>>(
    request: { query: string; variables?: Record<string, unknown>; operationName?: string },
    contextValue: TContext,
  ): Promise<{ status: number; body: FormattedExecutionResult<TData> }>;
}

/** What one request carries through graphql-http's hooks. */
interface Call<TContext> {
  context: () => Promise<TContext>;
  /** The media type of an answer made here (graphql-http chooses its own the same way). */
  mediaType: string;
  contextValue?: TContext;
  operationName?: string;
  result?: ExecutionResult;
  span?: GraphQLOperationSpan;
  endExecution?: (failed: boolean) => void;
  /** The codes of an answer of errors made before execution (a request error or a refusal). */
  errorAnswerCodes?: string[];
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';
/** Documents kept parsed and validated, and the characters of their text at most. */
const KEPT_DOCUMENTS = 1000;
const KEPT_TEXT_LENGTH = 8 * 1024 * 1024;

export function subgraphGraphQL<TContext extends object>(options: SubgraphGraphQLOptions<TContext>): SubgraphGraphQL<TContext> {
  const { schema, guard, answerHeaders, observer } = options;
  const graphql = graphqlOf(schema);
  const rules: readonly ValidationRule[] = options.introspection ? graphql.specifiedRules : [...graphql.specifiedRules, graphql.NoSchemaIntrospectionCustomRule];
  // Only valid documents are kept: a client sending garbage cannot push the gateway's documents out.
  const documents = new LRUCache<string, DocumentNode>({ max: KEPT_DOCUMENTS, maxSize: KEPT_TEXT_LENGTH, sizeCalculation: (_document, query) => Math.max(1, query.length) });
  // A kept document that comes again runs compiled (graphql-jit); the rest through graphql-js.
  const operations: CompiledOperations = compiledOperations(schema);

  /**
   * An error as a client sees it: `extensions.code` (`code` when it has none), no `extensions.http`.
   * Any error with `extensions` is a GraphQL error, from whichever copy of graphql it came; any other
   * is graphql-http's refusal of a malformed body, a bad request.
   */
  function clientError(error: Readonly<GraphQLError | Error>, code = 'INTERNAL_SERVER_ERROR'): GraphQLError {
    if (!('extensions' in error)) return new graphql.GraphQLError(error.message, { extensions: { code: 'BAD_REQUEST' } });
    const { http, ...extensions } = error.extensions;
    if (http === undefined && typeof extensions.code === 'string' && error instanceof graphql.GraphQLError) return error;
    return new graphql.GraphQLError(error.message, {
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...extensions, code: typeof extensions.code === 'string' ? extensions.code : code },
    });
  }

  /** An answer of errors only, made before execution: a request error (400, `code` for errors without one) or a refusal. */
  function errorAnswer(call: Call<TContext>, status: number, errors: readonly GraphQLError[], code?: string, headers: Iterable<[string, string]> = []): Response {
    const formatted = errors.map((error) => clientError(error, code));
    call.errorAnswerCodes = formatted.map((error) => error.extensions.code as string);
    return [JSON.stringify({ errors: formatted }), { status, statusText: '', headers: { 'content-type': call.mediaType, ...Object.fromEntries(headers) } }];
  }

  /** The document of a query text, parsed and validated once; or the 400 that refuses it. */
  function prepared(query: string, call: Call<TContext>): DocumentNode | Response {
    const kept = documents.get(query);
    if (kept) return kept;
    const parsing = call.span?.step('graphql.parse');
    let document: DocumentNode;
    try {
      document = graphql.parse(query);
    } catch (error) {
      parsing?.(true);
      return errorAnswer(call, 400, [error as GraphQLError], 'GRAPHQL_PARSE_FAILED');
    }
    parsing?.(false);
    const validating = call.span?.step('graphql.validate');
    const errors = graphql.validate(schema, document, rules);
    validating?.(errors.length > 0);
    if (errors.length > 0) return errorAnswer(call, 400, errors, 'GRAPHQL_VALIDATION_FAILED');
    if (query.length <= KEPT_TEXT_LENGTH) documents.set(query, document);
    return document;
  }

  // graphql-http types an operation's context as a record; the subgraph's is an interface, hence the one cast below.
  const handler = createHandler<IncomingMessage | undefined, Call<TContext>, Record<PropertyKey, unknown>>({
    schema,
    execute: operations.execute,
    formatError: (error) => clientError(error),
    async onSubscribe(req, params) {
      const call = req.context;
      const document = prepared(params.query, call);
      if (!('kind' in document)) return document;
      const operation = graphql.getOperationAST(document, params.operationName);
      if (!operation) {
        const message = params.operationName ? `Unknown operation named "${params.operationName}".` : 'Must provide operation name if query contains multiple operations.';
        return errorAnswer(call, 400, [new graphql.GraphQLError(message)], 'OPERATION_RESOLUTION_FAILURE');
      }
      call.operationName = operation.name?.value;
      call.span?.resolved(operation.operation, call.operationName);
      const contextValue = await call.context();
      call.contextValue = contextValue;
      if (guard) {
        try {
          await guard(schema, document, params.operationName, contextValue, params.variables ?? {});
        } catch (error) {
          // A refusal carries its status and headers in `extensions.http`; any other error is the server's own.
          const http = (error as { extensions?: { http?: { status?: unknown; headers?: Iterable<[string, string]> } } } | null)?.extensions?.http;
          if (!(error instanceof Error) || typeof http?.status !== 'number') throw error;
          return errorAnswer(call, http.status, [error as GraphQLError], undefined, http.headers);
        }
      }
      call.endExecution = call.span?.step('graphql.execute');
      return { schema, document, operationName: params.operationName, variableValues: params.variables, contextValue: contextValue as unknown as Record<PropertyKey, unknown> };
    },
    onOperation(req, _args, result) {
      const call = req.context;
      call.endExecution?.(Boolean(result.errors?.length));
      // graphql-js answers errors without `data` when the variables do not fit their definitions.
      if (!('data' in result) && result.errors?.length) return errorAnswer(call, 400, result.errors, 'BAD_USER_INPUT');
      call.result = result;
      return undefined;
    },
  });

  async function respond(req: Request<IncomingMessage | undefined, Call<TContext>>): Promise<Response> {
    const call = req.context;
    try {
      return await handler(req);
    } finally {
      observer?.noteGraphQLRequest(call.operationName, call.result);
      call.span?.end(call.errorAnswerCodes ?? (call.result?.errors ?? []).map((error) => clientError(error).extensions.code as string));
    }
  }

  return {
    async answer(req, res, body, context, extraHeaders) {
      const call: Call<TContext> = { context, mediaType: answerMediaType(req.headers.accept), span: graphqlOperationSpan() };
      const [text, init] = await respond({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: requestBody(body), raw: req, context: call });
      res.statusCode = init.status;
      for (const [name, value] of Object.entries(init.headers ?? {})) res.setHeader(name, value);
      const headers = call.contextValue && call.result ? answerHeaders?.(call.contextValue, call.result) : undefined;
      for (const [name, value] of Object.entries({ ...headers, ...extraHeaders })) res.setHeader(name, value);
      res.end(text ?? undefined);
    },
    async execute<TData>(request: { query: string; variables?: Record<string, unknown>; operationName?: string }, contextValue: TContext) {
      const call: Call<TContext> = { context: async () => contextValue, mediaType: JSON_TYPE };
      const [text, init] = await respond({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: { ...request },
        // In this process: no HTTP request.
        raw: undefined,
        context: call,
      });
      return { status: init.status, body: JSON.parse(text ?? '{}') as FormattedExecutionResult<TData> };
    },
  };
}

/** The parsed JSON body as graphql-http takes it: an object, or nothing (which it refuses as a bad request). */
function requestBody(body: unknown): Record<string, unknown> | null {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null;
}

/** `application/graphql-response+json` to a client that accepts it (the specification's own type), `application/json` otherwise. */
function answerMediaType(accept: string | undefined): string {
  return accept?.includes('application/graphql-response+json') ? GRAPHQL_RESPONSE_TYPE : JSON_TYPE;
}
