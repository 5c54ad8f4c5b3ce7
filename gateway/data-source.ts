import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { CALLER_ASSERTION_HEADER, type Caller } from '../lib/access/caller.ts';
import { SystemError, SystemErrorCode } from '../lib/runtime/errors.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import type { SubgraphCallMetrics } from '../lib/runtime/metrics.ts';
import { CircuitRefusal, type CircuitBreaker } from '../lib/runtime/resilience.ts';
import { DEADLINE_HEADER } from '../lib/runtime/subgraph.ts';
import type { SystemId } from '../lib/runtime/systems.ts';
import { mediaTypeOf } from '../lib/runtime/media-type.ts';
import { classifyHttpStatus, classifyTransportError, describeTransportError, parseJsonOrUndefined } from '../lib/runtime/transport.ts';
import type { SubgraphCallOutcome } from './connection-board.ts';
import { firstOperation, fragmentDefinitions } from './documents.ts';
import type { SubgraphAnswer, SubgraphTransport } from './subgraph-transport.ts';

export interface GatewayContext {
  requestId: string;
  /** When the whole request must be answered (ms since epoch); no subgraph call outlives it. */
  deadlineAt: number;
  /**
   * When the last subgraph call must have ended, if earlier than `deadlineAt`: the time between is
   * kept for committing the answer's access records, so that a system that uses up the request's
   * time costs its own fields, not the whole personal answer.
   */
  subgraphDeadlineAt?: number;
  /** The verified caller; undefined for an anonymous request. */
  caller?: Caller;
  /** Whether the operation reads personal data, as the access policy judged it (access-plugin.ts); undefined with access control off. */
  readsPersonalData?: boolean;
  /** The caller, signed for one call to one subgraph (lib/access/caller-assertion.ts). */
  callerAssertion?: (subgraph: SystemId, query: string, variables: unknown) => Promise<string>;
}

/**
 * Whether what the gateway works out for this request may serve other callers: only when the access
 * policy judged the operation public. Unjudged (access control off, in benchmarks) counts as personal.
 */
export function judgedPublic(context: Pick<GatewayContext, 'readsPersonalData'>): boolean {
  return context.readsPersonalData === false;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
/** A GraphQL response as @apollo/gateway takes it from a data source. */
type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource<GatewayContext>['process']>>;

/**
 * A subgraph call with a deadline: the smaller of the subgraph's own timeout and what is left of the
 * request's, sent along as `x-deadline-ms` so the subgraph's backend calls respect it too.
 *
 * A failed call (refused, reset, timed out, HTTP error, not a GraphQL response) does not become one
 * pathless error carrying the subgraph URL and body: it becomes the answer the subgraph would have
 * given had its backend failed, one SystemError per field the call was to supply, at that field's
 * path. Apollo then places each error at the right path of the client's query.
 *
 * Every call goes through the subgraph's circuit breaker (the connection board's): a subgraph that
 * keeps failing or hanging is not called at all, and its fields fail at once as SYSTEM_UNAVAILABLE
 * saying that the circuit is open, until a trial call succeeds.
 *
 * It speaks HTTP through the gateway's subgraph transport rather than extending Apollo's
 * RemoteGraphQLDataSource, which builds a node-fetch Request and two Headers for every call and
 * needs a fetch-shaped Response back (5–6 % of the gateway's CPU under the portal query, docs/BENCHMARKS.md).
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly url: URL;

  constructor(
    private readonly system: SystemId,
    url: string,
    private readonly transport: Pick<SubgraphTransport, 'send'>,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly observer?: SubgraphCallObserver,
    private readonly circuit?: CircuitBreaker,
    private readonly metrics?: Pick<SubgraphCallMetrics, 'observe'>,
  ) {
    this.url = new URL(url);
  }

  async process(options: ProcessOptions): Promise<SubgraphResponse> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const call = () => this.send(options);
    try {
      const response = await (this.circuit ? this.circuit.run(call) : call());
      this.metrics?.observe(this.system, 'ok', seconds());
      this.observer?.recordSubgraphCall(this.system, { ok: true, backendFailed: reportsBackendFailure(response, this.system) });
      return response;
    } catch (error) {
      restrictCachePolicy(options, undefined);
      if (error instanceof CircuitRefusal) this.metrics?.observe(this.system, 'refused');
      else this.metrics?.observe(this.system, 'failed', seconds());
      // Failed calls arrive here as SystemErrors (send); anything else is a defect of the gateway,
      // reported as an internal error rather than as the system's outage.
      if (!(error instanceof SystemError)) throw error;
      const failure = error;
      // A refused call was not made, and the circuit logged its opening once: nothing to record.
      if (!(failure instanceof CircuitRefusal)) {
        // A call that ran out of the client request's time, not the subgraph's own, says nothing about the subgraph.
        if (!failure.callerDeadline) this.observer?.recordSubgraphCall(this.system, { ok: false, code: failure.systemCode, reason: failure.reason });
        this.logger.warn({ system: this.system, code: failure.systemCode, detail: failure.detail, requestId: options.context.requestId }, 'subgraph call failed');
      }
      const paths = fieldPathsOf(options);
      const extensions = { code: failure.systemCode, system: this.system };
      if (paths.length === 0) return { errors: [{ message: failure.message, extensions }] };
      return { errors: paths.map((path) => ({ message: failure.message, path, extensions })) };
    }
  }

  /** One call: the request id, the caller signed for this call, and the deadline travel with it. */
  private async send(options: ProcessOptions): Promise<SubgraphResponse> {
    const { request, context } = options;
    const { query, variables, operationName } = request;
    if (!query) throw new Error('a subgraph call without a query');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (context.requestId) headers['x-request-id'] = context.requestId;
    if (context.callerAssertion) headers[CALLER_ASSERTION_HEADER] = await context.callerAssertion(this.system, query, variables);
    const remaining = (context.subgraphDeadlineAt ?? context.deadlineAt) - Date.now();
    if (remaining <= 0) {
      throw new SystemError(this.system, SystemErrorCode.TIMEOUT, 'request deadline passed before the subgraph call', {
        reason: 'request deadline passed',
        callerDeadline: true,
      });
    }
    const timeoutMs = Math.min(this.timeoutMs, remaining);
    headers[DEADLINE_HEADER] = String(timeoutMs);
    let answer: SubgraphAnswer;
    try {
      answer = await this.transport.send({
        system: this.system,
        url: this.url,
        body: JSON.stringify({ query, variables, operationName }),
        headers,
        timeoutMs,
        // A call signed for a caller is bound to that caller, whatever it asks.
        shareable: judgedPublic(context) && !context.callerAssertion,
      });
    } catch (error) {
      const failure = classifyTransportError(error);
      throw new SystemError(this.system, failure.code, `subgraph: ${describeTransportError(error)}`, {
        reason: failure.reason,
        retryable: failure.retryable,
        // A timeout at what was left of the client request's deadline, shorter than the subgraph's own,
        // is the caller's: marked so, it counts neither on the board nor against the circuit.
        callerDeadline: failure.code === SystemErrorCode.TIMEOUT && timeoutMs < this.timeoutMs,
      });
    }
    const response = this.graphqlResponse(answer);
    restrictCachePolicy(options, response.errors ? undefined : answer.freshSeconds);
    return response;
  }

  /** The subgraph's answer, if it is a GraphQL response over HTTP 2xx. */
  private graphqlResponse({ status, contentType, body }: SubgraphAnswer): SubgraphResponse {
    if (status < 200 || status >= 300) {
      const failure = classifyHttpStatus(status);
      throw new SystemError(this.system, failure.code, `subgraph: ${failure.reason}`, { reason: failure.reason, retryable: failure.retryable });
    }
    const json = isJson(contentType) ? parseJsonOrUndefined(body) : undefined;
    if (!isGraphQLResponse(json)) {
      throw new SystemError(this.system, SystemErrorCode.BAD_RESPONSE, `subgraph: HTTP ${status} ${contentType ?? 'without a content type'}, not a GraphQL response`, {
        reason: 'answer is not a GraphQL response',
      });
    }
    return json;
  }
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = mediaTypeOf(contentType);
  return mediaType === 'application/json' || mediaType === 'application/graphql-response+json';
}

/** An object whose `data`, if any, is an object or null and whose `errors`, if any, is a list (GraphQL over HTTP). */
function isGraphQLResponse(json: unknown): json is SubgraphResponse {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const { data, errors } = json as { data?: unknown; errors?: unknown };
  return (data === undefined || typeof data === 'object') && (errors === undefined || Array.isArray(errors));
}

/** The part of Apollo Server's `CachePolicy` a data source uses. */
interface RestrictablePolicy {
  restrict(hint: { maxAge?: number }): void;
}

/**
 * The whole answer may be kept no longer than the least fresh subgraph answer in it, and not at all
 * once one of them may not be kept (Apollo's RemoteGraphQLDataSource reads the subgraph's
 * `Cache-Control` the same way): what Apollo Server's cache-control header and the gateway's cache of
 * public responses (public-responses.ts) go by.
 */
function restrictCachePolicy(options: ProcessOptions, freshSeconds: number | undefined): void {
  // Only a client's operation has a policy: not the gateway's health checks or schema loading.
  if (!('incomingRequestContext' in options)) return;
  (options.incomingRequestContext.overallCachePolicy as RestrictablePolicy | undefined)?.restrict({ maxAge: freshSeconds ?? 0 });
}

/** A data source whose answers are never kept: the gateway's own subgraphs, which answer live state (the connection board, the access log). */
export function uncacheable(source: GraphQLDataSource<GatewayContext>): GraphQLDataSource<GatewayContext> {
  return {
    process: (options) => {
      restrictCachePolicy(options, undefined);
      return source.process(options);
    },
  };
}

/** Who wants to know how each subgraph call went (the connection board). */
export interface SubgraphCallObserver {
  recordSubgraphCall(system: SystemId, outcome: SubgraphCallOutcome): void;
}

/** Whether the subgraph's answer carries an error in which it reports that its own backend failed. */
function reportsBackendFailure(response: SubgraphResponse, system: SystemId): boolean {
  return (response.errors ?? []).some((error) => {
    const { code, system: failed } = (error.extensions ?? {}) as { code?: unknown; system?: unknown };
    return failed === system && typeof code === 'string' && code.startsWith('SYSTEM_');
  });
}

/**
 * The paths, in the subgraph's own answer, of the fields a call was to supply: `[field]` for a root
 * field, `['_entities', i, field]` for each entity representation sent.
 */
export function fieldPathsOf(options: ProcessOptions): (string | number)[][] {
  let document: DocumentNode;
  try {
    document = ('document' in options ? options.document : undefined) ?? parse(options.request.query ?? '');
  } catch {
    return [];
  }
  const fragments = fragmentDefinitions(document);
  const operation = firstOperation(document);
  if (!operation) return [];

  const paths: (string | number)[][] = [];
  for (const key of responseKeys(operation.selectionSet, undefined, fragments, 'skip-entities')) paths.push([key]);
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value !== '_entities' || !selection.selectionSet) continue;
    const alias = selection.alias?.value ?? '_entities';
    const representations = options.request.variables?.representations;
    if (!Array.isArray(representations)) continue;
    representations.forEach((representation: unknown, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      for (const key of responseKeys(selection.selectionSet!, typeof typename === 'string' ? typename : undefined, fragments)) {
        paths.push([alias, index, key]);
      }
    });
  }
  return paths;
}

/** Response keys of a selection set for one type, through inline fragments and fragment spreads. */
function responseKeys(
  selectionSet: SelectionSetNode,
  typename: string | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  mode: 'all' | 'skip-entities' = 'all',
): Set<string> {
  const keys = new Set<string>();
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename' || (mode === 'skip-entities' && name === '_entities')) continue;
      keys.add(selection.alias?.value ?? name);
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment) continue;
    const condition = fragment.typeCondition?.name.value;
    if (condition !== undefined && typename !== undefined && condition !== typename) continue;
    for (const key of responseKeys(fragment.selectionSet, typename, fragments, mode)) keys.add(key);
  }
  return keys;
}
