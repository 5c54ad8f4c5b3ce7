import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { CALLER_ASSERTION_HEADER, type Caller } from '../lib/access/caller.ts';
import { SystemError, SystemErrorCode } from '../lib/runtime/errors.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import type { SubgraphCallMetrics } from '../lib/runtime/metrics.ts';
import { CircuitRefusal, type CircuitBreaker } from '../lib/runtime/resilience.ts';
import { DEADLINE_HEADER } from '../lib/runtime/subgraph.ts';
import type { SystemId } from '../lib/runtime/systems.ts';
import { classifyTransportError } from '../lib/runtime/transport.ts';
import type { SubgraphCallOutcome } from './connection-board.ts';
import { firstOperation, fragmentDefinitions } from './documents.ts';

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
  /** The caller, signed for one call to one subgraph (lib/access/caller-assertion.ts). */
  callerAssertion?: (subgraph: SystemId, query: string, variables: unknown) => Promise<string>;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']>>;
type WillSendRequestOptions = Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0];

/**
 * A subgraph call with a deadline: the smaller of the subgraph's own timeout and what is left of the
 * request's, sent along as `x-deadline-ms` so the subgraph's backend calls respect it too.
 *
 * A failed call (refused, reset, timed out, HTTP error, not JSON) does not become Apollo's one
 * pathless error carrying the subgraph URL and body: it becomes the answer the subgraph would have
 * given had its backend failed, one SystemError per field the call was to supply, at that field's
 * path. Apollo then places each error at the right path of the client's query.
 *
 * Every call goes through the subgraph's circuit breaker (the connection board's): a subgraph that
 * keeps failing or hanging is not called at all, and its fields fail at once as SYSTEM_UNAVAILABLE
 * saying that the circuit is open, until a trial call succeeds.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly system: SystemId,
    url: string,
    fetcher: Fetcher,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly observer?: SubgraphCallObserver,
    private readonly circuit?: CircuitBreaker,
    private readonly metrics?: Pick<SubgraphCallMetrics, 'observe'>,
  ) {
    // The subgraphs send no cache policy (their cache-control plugin is off): nothing to combine per call.
    super({ url, fetcher, honorSubgraphCacheControlHeader: false });
  }

  /** Calls whose deadline is what was left of the client's request, shorter than the subgraph's own. */
  private readonly boundByRequestDeadline = new WeakSet<object>();

  override async willSendRequest({ request, context }: WillSendRequestOptions) {
    if (context.requestId) request.http?.headers.set('x-request-id', context.requestId);
    if (context.callerAssertion && request.query) {
      request.http?.headers.set(CALLER_ASSERTION_HEADER, await context.callerAssertion(this.system, request.query, request.variables));
    }
    const remaining = (context.subgraphDeadlineAt ?? context.deadlineAt) - Date.now();
    if (remaining <= 0) {
      throw new SystemError(this.system, SystemErrorCode.TIMEOUT, 'request deadline passed before the subgraph call', {
        reason: 'request deadline passed',
        callerDeadline: true,
      });
    }
    if (remaining < this.timeoutMs) this.boundByRequestDeadline.add(request);
    request.http?.headers.set(DEADLINE_HEADER, String(Math.min(this.timeoutMs, remaining)));
  }

  override async process(options: ProcessOptions): Promise<SubgraphResponse> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const call = () => super.process(options).catch((error: unknown) => Promise.reject(this.withCallersDeadline(error, options.request)));
    try {
      const response = await (this.circuit ? this.circuit.run(call) : call());
      this.metrics?.observe(this.system, 'ok', seconds());
      this.observer?.recordSubgraphCall(this.system, { ok: true, backendFailed: reportsBackendFailure(response, this.system) });
      return response;
    } catch (error) {
      if (error instanceof CircuitRefusal) this.metrics?.observe(this.system, 'refused');
      else this.metrics?.observe(this.system, 'failed', seconds());
      // Failed calls arrive here as SystemErrors (didEncounterError, willSendRequest); anything else
      // is a defect of the gateway, reported as an internal error rather than as the system's outage.
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

  /**
   * A timeout at what was left of the client request's deadline, shorter than the subgraph's own,
   * is the caller's: marked so, it counts neither on the board nor against the circuit.
   */
  private withCallersDeadline(error: unknown, request: object): unknown {
    if (!(error instanceof SystemError) || error.callerDeadline) return error;
    if (error.systemCode !== SystemErrorCode.TIMEOUT || !this.boundByRequestDeadline.has(request)) return error;
    return new SystemError(this.system, error.systemCode, error.detail, { reason: error.reason, retryable: error.retryable, callerDeadline: true });
  }

  override didEncounterError(error: Error): never {
    throw this.toSystemError(error);
  }

  private toSystemError(error: unknown): SystemError {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // An answer that is not a JSON object breaks the contract; anything else failed in transport.
    const contractBroken = error instanceof SyntaxError || (error instanceof Error && error.message.startsWith('Expected JSON response body'));
    const failure = contractBroken ? { code: SystemErrorCode.BAD_RESPONSE, reason: 'answer is not a GraphQL response', retryable: false } : classifyTransportError(error);
    return new SystemError(this.system, failure.code, `subgraph: ${detail}`, { reason: failure.reason, retryable: failure.retryable });
  }
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
