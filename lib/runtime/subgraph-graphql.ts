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
  /** Documents kept parsed and validated, and the characters of their text at most (default 1,000 and 8 MiB). */
  documents?: { max: number; maxTextLength: number };
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
  contextValue?: TContext;
  result?: ExecutionResult;
  span?: GraphQLOperationSpan;
  endExecution?: (failed: boolean) => void;
  operationName?: string;
  errorCodes: string[];
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

export function subgraphGraphQL<TContext extends object>(options: SubgraphGraphQLOptions<TContext>): SubgraphGraphQL<TContext> {
  const { schema, guard, answerHeaders, observer } = options;
  const graphql = graphqlOf(schema);
  const rules: readonly ValidationRule[] = options.introspection ? graphql.specifiedRules : [...graphql.specifiedRules, graphql.NoSchemaIntrospectionCustomRule];
  const limits = options.documents ?? { max: 1000, maxTextLength: 8 * 1024 * 1024 };
  // Only valid documents are kept: a client sending garbage cannot push the gateway's documents out.
  const documents = new LRUCache<string, DocumentNode>({ max: limits.max, maxSize: limits.maxTextLength, sizeCalculation: (_document, query) => Math.max(1, query.length) });

  /** A request refused before it runs: 400, each error with `code` unless it has one. */
  function requestErrors(call: Call<TContext>, mediaType: string, errors: readonly GraphQLError[], code: string): Response {
    const formatted = errors.map((error) => formatError(withDefaultCode(error, code)));
    for (const error of formatted) call.errorCodes.push(errorCode(error));
    return [JSON.stringify({ errors: formatted }), { status: 400, statusText: 'Bad Request', headers: { 'content-type': mediaType } }];
  }

  function withDefaultCode(error: GraphQLError, code: string): GraphQLError {
    if (error instanceof graphql.GraphQLError && typeof error.extensions.code === 'string') return error;
    return new graphql.GraphQLError(error.message, { source: error.source, positions: error.positions, path: error.path, extensions: { ...error.extensions, code } });
  }

  /**
   * An error as a client sees it: its `extensions.code` (`INTERNAL_SERVER_ERROR` when it has none),
   * no `extensions.http`; an error that is not a GraphQL error is a bad request (graphql-http's
   * refusals of a malformed body).
   */
  function formatError(error: Readonly<GraphQLError | Error>): GraphQLError {
    if (!(error instanceof graphql.GraphQLError)) return new graphql.GraphQLError(error.message, { extensions: { code: 'BAD_REQUEST' } });
    const { http, ...extensions } = error.extensions;
    if (http === undefined && typeof extensions.code === 'string') return error;
    return new graphql.GraphQLError(error.message, {
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...extensions, code: extensions.code ?? 'INTERNAL_SERVER_ERROR' },
    });
  }

  /** The document of a query text, parsed and validated once; or the 400 that refuses it. */
  function prepared(query: string, call: Call<TContext>, mediaType: string): DocumentNode | Response {
    const kept = documents.get(query);
    if (kept) return kept;
    const parsing = call.span?.step('graphql.parse');
    let document: DocumentNode;
    try {
      document = graphql.parse(query);
    } catch (error) {
      parsing?.(true);
      return requestErrors(call, mediaType, [error as GraphQLError], 'GRAPHQL_PARSE_FAILED');
    }
    parsing?.(false);
    const validating = call.span?.step('graphql.validate');
    const errors = graphql.validate(schema, document, rules);
    validating?.(errors.length > 0);
    if (errors.length > 0) return requestErrors(call, mediaType, errors, 'GRAPHQL_VALIDATION_FAILED');
    if (query.length <= limits.maxTextLength) documents.set(query, document);
    return document;
  }

  // graphql-http types an operation's context as a record; the subgraph's is an interface, hence the one cast below.
  const handler = createHandler<IncomingMessage | undefined, Call<TContext>, Record<PropertyKey, unknown>>({
    schema,
    execute: graphql.execute,
    formatError,
    async onSubscribe(req, params) {
      const call = req.context;
      const mediaType = answerMediaType(req.headers);
      const document = prepared(params.query, call, mediaType);
      if (!('kind' in document)) return document;
      const operation = graphql.getOperationAST(document, params.operationName);
      if (!operation) {
        const message = params.operationName ? `Unknown operation named "${params.operationName}".` : 'Must provide operation name if query contains multiple operations.';
        return requestErrors(call, mediaType, [new graphql.GraphQLError(message)], 'OPERATION_RESOLUTION_FAILURE');
      }
      call.operationName = operation.name?.value;
      call.span?.resolved(operation.operation, call.operationName);
      observer?.noteGraphQLRequest(call.operationName);
      const contextValue = await call.context();
      call.contextValue = contextValue;
      if (guard) {
        try {
          await guard(schema, document, params.operationName, contextValue, params.variables ?? {});
        } catch (error) {
          const refused = refusalResponse(error, mediaType);
          if (!refused) throw error;
          call.errorCodes.push(refused.code);
          return refused.response;
        }
      }
      call.endExecution = call.span?.step('graphql.execute');
      return { schema, document, operationName: params.operationName, variableValues: params.variables, contextValue: contextValue as unknown as Record<PropertyKey, unknown> };
    },
    onOperation(req, _args, result) {
      const call = req.context;
      call.endExecution?.(Boolean(result.errors?.length));
      // graphql-js answers errors without `data` when the variables do not fit their definitions.
      if (!('data' in result) && result.errors?.length) return requestErrors(call, answerMediaType(req.headers), result.errors, 'BAD_USER_INPUT');
      call.result = result;
      for (const error of result.errors ?? []) call.errorCodes.push(errorCode(error));
      observer?.noteGraphQLRequest(call.operationName, result);
      return undefined;
    },
  });

  async function respond(req: Request<IncomingMessage | undefined, Call<TContext>>): Promise<Response> {
    const call = req.context;
    try {
      return await handler(req);
    } finally {
      call.span?.end(call.errorCodes);
    }
  }

  return {
    async answer(req, res, body, context, extraHeaders) {
      const call: Call<TContext> = { context, span: graphqlOperationSpan(), errorCodes: [] };
      const [text, init] = await respond({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: requestBody(body), raw: req, context: call });
      res.statusCode = init.status;
      for (const [name, value] of Object.entries(init.headers ?? {})) res.setHeader(name, value);
      const headers = call.contextValue && call.result ? answerHeaders?.(call.contextValue, call.result) : undefined;
      for (const [name, value] of Object.entries({ ...headers, ...extraHeaders })) res.setHeader(name, value);
      res.end(text ?? undefined);
    },
    async execute<TData>(request: { query: string; variables?: Record<string, unknown>; operationName?: string }, contextValue: TContext) {
      const call: Call<TContext> = { context: async () => contextValue, errorCodes: [] };
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
function answerMediaType(headers: Request<unknown, unknown>['headers']): string {
  const accept = 'get' in headers && typeof headers.get === 'function' ? headers.get('accept') : (headers as Record<string, string | string[] | undefined>).accept;
  return typeof accept === 'string' && accept.includes('application/graphql-response+json') ? GRAPHQL_RESPONSE_TYPE : JSON_TYPE;
}

function errorCode(error: GraphQLError): string {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** The answer of a refusal the guard threw: its status and headers from `extensions.http`; undefined for any other error. */
function refusalResponse(error: unknown, mediaType: string): { response: Response; code: string } | undefined {
  const http = (error as { extensions?: { http?: { status?: unknown; headers?: Iterable<[string, string]> } } } | null)?.extensions?.http;
  if (!(error instanceof Error) || typeof http?.status !== 'number') return undefined;
  const { http: _http, ...extensions } = (error as GraphQLError).extensions;
  const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
  const headers: Record<string, string> = { 'content-type': mediaType };
  for (const [name, value] of http.headers ?? []) headers[name] = value;
  const body = JSON.stringify({ errors: [{ message: error.message, extensions: { ...extensions, code } }] });
  return { response: [body, { status: http.status, statusText: '', headers }], code };
}
