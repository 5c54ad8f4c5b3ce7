/**
 * Prometheus metrics (prom-client), one registry per service: the gateway and each subgraph expose
 * theirs at `GET /metrics`, on their own port or, when `<…>_METRICS_PORT` is set, on a port of their
 * own for the monitoring network only. Counts that the services already keep (circuit refusals,
 * retries, abandoned batches) and states (circuits, connection status) are read at scrape time, so
 * the hot path only pays for latency observations and request counts.
 *
 * Labels are bounded: `system` from the fixed list, `operation` from the parsed operation name (at
 * most MAX_OPERATION_NAMES distinct names, then `other`), `outcome` and `state` from fixed sets.
 * Nothing personal, no URL, address or error message is ever a label.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { listen, type RouteHandler, type RunningServer } from './http-server.ts';
import { currentRequestContext, type RequestContext } from './request-context.ts';
import type { CircuitStateName } from './resilience.ts';
import { SYSTEM_IDS, type SystemId } from './systems.ts';

export const METRIC_PREFIX = 'lien_thong_';

/** How often the event loop's delay is sampled for `nodejs_eventloop_lag_*` (prom-client's `eventLoopMonitoringPrecision`). */
const EVENT_LOOP_SAMPLE_MS = 100;

export const METRICS_PATH = '/metrics';
/** Distinct operation names one process labels; later names are counted as `other`. */
export const MAX_OPERATION_NAMES = 100;
const MAX_OPERATION_NAME_LENGTH = 64;

const CIRCUIT_STATES: readonly CircuitStateName[] = ['CLOSED', 'HALF_OPEN', 'OPEN'];
/** Seconds: a read that the mocks answer in a millisecond, up to a whole request deadline (10 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

export type RequestOutcome = 'ok' | 'partial' | 'error' | 'rejected';
export type CallOutcome = 'ok' | 'failed' | 'refused';

/** What is noted about the GraphQL request running in this request context (its operation and result). */
interface GraphQLNote {
  operation?: string;
  /** The result the answer carries, read when the HTTP answer ends. */
  result?: () => GraphQLResultShape | undefined;
}
type GraphQLResultShape = { data?: unknown; errors?: readonly unknown[] };
const graphqlNotes = new WeakMap<RequestContext, GraphQLNote>();

/**
 * The metrics of one service. `service` is for the help texts only: Prometheus tells the services
 * apart by the scrape target's `job` and `instance`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly requestDuration: Histogram<'operation' | 'outcome'>;

  constructor(readonly service: string) {
    // prom-client samples the event loop's delay every 10 ms by default: a hundred wake-ups a second
    // in a process with nothing to do, half of an idle subgraph's CPU. Ten a second still see a stall
    // the lag alert cares about (monitoring/prometheus/alerts.yml). Node counts the interval in each
    // sample, so an idle process now reads about 0.1 s instead of 0.01.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.requests = new Counter({
      name: `${METRIC_PREFIX}graphql_requests_total`,
      help: 'GraphQL requests answered, by operation name and outcome (ok, partial: data with errors, error: no data or HTTP 5xx, rejected: HTTP 4xx).',
      labelNames: ['operation', 'outcome'],
      registers: [this.registry],
    });
    this.requestDuration = new Histogram({
      name: `${METRIC_PREFIX}graphql_request_duration_seconds`,
      help: 'Time from receiving a GraphQL request to the end of its answer, by operation name and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  /** Notes the operation name and the answer of each GraphQL request, for `observeGraphQLRequest`. */
  apolloPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
    return {
      async requestDidStart() {
        const context = currentRequestContext();
        if (!context) return;
        const note: GraphQLNote = {};
        graphqlNotes.set(context, note);
        return {
          async didResolveOperation({ operationName }) {
            if (operationName) note.operation = operationName;
          },
          async willSendResponse({ response }) {
            // Read when the HTTP answer ends: later plugins (the access log) may still replace it.
            note.result = () => (response.body.kind === 'single' ? response.body.singleResult : undefined);
          },
        };
      },
    };
  }

  /**
   * For a server without Apollo's plugins (the subgraphs, lib/runtime/subgraph-graphql.ts): the
   * operation of the GraphQL request running in this request context, and its result if it ran.
   */
  noteGraphQLRequest(operationName: string | null | undefined, result?: GraphQLResultShape): void {
    const context = currentRequestContext();
    if (context) graphqlNotes.set(context, { operation: operationName ?? undefined, result: () => result });
  }

  /** Called by lib/runtime/http-server.ts when a request to the GraphQL path has been answered. */
  observeGraphQLRequest(context: RequestContext | undefined, status: number, seconds: number): void {
    const note = context ? graphqlNotes.get(context) : undefined;
    const operation = this.operationLabel(note?.operation);
    const outcome = requestOutcome(status, note?.result?.());
    this.requests.inc({ operation, outcome });
    this.requestDuration.observe({ operation, outcome }, seconds);
  }

  private operationLabel(name: string | undefined): string {
    if (!name) return 'anonymous';
    if (this.operations.has(name)) return name;
    // A name is the client's to choose: one that could carry a personal id (9+ digits in a row) is not
    // shown, nor a long one, nor any once the set is full.
    if (name.length > MAX_OPERATION_NAME_LENGTH || /\d{9}/.test(name) || this.operations.size >= MAX_OPERATION_NAMES) return 'other';
    this.operations.add(name);
    return name;
  }

  /** The text format Prometheus scrapes. */
  readonly route: RouteHandler = async (_req: IncomingMessage, res: ServerResponse) => {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  };
}

function requestOutcome(status: number, result: GraphQLResultShape | undefined): RequestOutcome {
  if (status >= 500) return 'error';
  if (status >= 400) return 'rejected';
  if (!result?.errors?.length) return 'ok';
  return result.data === null || result.data === undefined ? 'error' : 'partial';
}

/** A gauge per state with 1 for the current one (the usual encoding of an enum, e.g. kube-state-metrics). */
function setStates<L extends string>(gauge: Gauge<L | 'state'>, labels: Record<L, string>, states: readonly string[], current: string): void {
  for (const state of states) gauge.set({ ...labels, state: state.toLowerCase() } as Record<L | 'state', string>, state === current ? 1 : 0);
}

/** A counter whose value is kept elsewhere (a monotonic count), set from it at each scrape. */
function countedElsewhere<L extends string>(counter: Counter<L>, values: [Record<L, string>, number][]): void {
  counter.reset();
  for (const [labels, value] of values) counter.inc(labels, value);
}

/** What the gateway's metrics read from the connection board at scrape time. */
export interface SubgraphCircuitSource {
  circuit(system: SystemId): { readonly state: CircuitStateName; readonly refusedByOpenCircuit: number };
  view(system: SystemId): { status: string };
}

/** The gateway's calls to each subgraph. */
export class SubgraphCallMetrics {
  private readonly calls: Counter<'system' | 'outcome'>;
  private readonly duration: Histogram<'system'>;
  private readonly publicAnswers: Counter<'system' | 'outcome'>;

  constructor(registry: Registry, board: SubgraphCircuitSource, systems: readonly SystemId[] = SYSTEM_IDS) {
    this.calls = new Counter({
      name: `${METRIC_PREFIX}subgraph_calls_total`,
      help: 'Gateway calls to each subgraph, by outcome (ok, failed, refused: not made because the circuit was open).',
      labelNames: ['system', 'outcome'],
      registers: [registry],
    });
    this.publicAnswers = new Counter({
      name: `${METRIC_PREFIX}subgraph_public_answers_total`,
      help: "The gateway's cache of public subgraph answers (reference data), by subgraph: hit (served without calling the subgraph), stored (kept for as long as its Cache-Control allows).",
      labelNames: ['system', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}subgraph_call_duration_seconds`,
      help: 'Duration of gateway calls to each subgraph that were made (refused calls excluded).',
      labelNames: ['system'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: `${METRIC_PREFIX}subgraph_circuit_state`,
      help: "The gateway's circuit breaker to each subgraph: 1 for its current state (closed, half_open, open), 0 for the others.",
      labelNames: ['system', 'state'],
      registers: [registry],
      collect() {
        for (const system of systems) setStates(this, { system }, CIRCUIT_STATES, board.circuit(system).state);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}subgraph_circuit_refusals_total`,
      help: "Gateway calls to each subgraph refused without trying because the gateway's circuit to it was open or half-open.",
      labelNames: ['system'],
      registers: [registry],
      collect() {
        countedElsewhere(
          this,
          systems.map((system) => [{ system }, board.circuit(system).refusedByOpenCircuit]),
        );
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}system_status`,
      help: "Each system's connection as the gateway's connection board sees it (gateway → subgraph → backend): 1 for its current status (up, degraded, down, unknown), 0 for the others.",
      labelNames: ['system', 'status'],
      registers: [registry],
      collect() {
        for (const system of systems) {
          const current = board.view(system).status;
          for (const status of ['UP', 'DEGRADED', 'DOWN', 'UNKNOWN']) this.set({ system, status: status.toLowerCase() }, status === current ? 1 : 0);
        }
      },
    });
  }

  /** Called by gateway/data-source.ts for each subgraph call; `seconds` undefined for a refused one. */
  observe(system: SystemId, outcome: CallOutcome, seconds?: number): void {
    this.calls.inc({ system, outcome });
    if (seconds !== undefined) this.duration.observe({ system }, seconds);
  }

  /** A public answer of the subgraph served from the gateway's cache, or stored there. */
  observePublicAnswer(system: SystemId, outcome: 'hit' | 'stored'): void {
    this.publicAnswers.inc({ system, outcome });
  }
}

/** What a subgraph's metrics read from its backend client at scrape time. */
export interface BackendHealthSource {
  readonly system: SystemId;
  health(): { circuit: CircuitStateName; retries: number; refusedByOpenCircuit: number };
}

/** A subgraph's calls to its backend (lib/backend/backend-client.ts). */
export class BackendCallMetrics {
  private readonly calls: Counter<'system' | 'outcome'>;
  private readonly duration: Histogram<'system' | 'outcome'>;
  private readonly cacheAnswers: Counter<'system'>;
  private readonly sources: BackendHealthSource[] = [];

  constructor(registry: Registry) {
    const sources = this.sources;
    this.calls = new Counter({
      name: `${METRIC_PREFIX}backend_calls_total`,
      help: 'Calls to the backend, retries included in one call, by outcome (ok, failed, refused: not made because the circuit was open). Health probes are not counted.',
      labelNames: ['system', 'outcome'],
      registers: [registry],
    });
    this.cacheAnswers = new Counter({
      name: `${METRIC_PREFIX}backend_cache_answers_total`,
      help: 'Backend calls answered from the HTTP cache of reference data (fresh stored answers, RFC 9111) without a request to the backend; also counted in backend_calls_total.',
      labelNames: ['system'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}backend_call_duration_seconds`,
      help: 'Duration of backend calls, retries and backoff included, by outcome.',
      labelNames: ['system', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    new Counter({
      name: `${METRIC_PREFIX}backend_retries_total`,
      help: 'Extra attempts made after a transient failure of an idempotent backend read.',
      labelNames: ['system'],
      registers: [registry],
      collect() {
        countedElsewhere(
          this,
          sources.map((source) => [{ system: source.system }, source.health().retries]),
        );
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}backend_circuit_refusals_total`,
      help: 'Backend calls refused without trying because the circuit to the backend was open or half-open.',
      labelNames: ['system'],
      registers: [registry],
      collect() {
        countedElsewhere(
          this,
          sources.map((source) => [{ system: source.system }, source.health().refusedByOpenCircuit]),
        );
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}backend_circuit_state`,
      help: 'The circuit breaker to the backend: 1 for its current state (closed, half_open, open), 0 for the others.',
      labelNames: ['system', 'state'],
      registers: [registry],
      collect() {
        for (const source of sources) setStates(this, { system: source.system }, CIRCUIT_STATES, source.health().circuit);
      },
    });
  }

  /** Reads this client's circuit, retries and refusals at each scrape. */
  watch(source: BackendHealthSource): void {
    this.sources.push(source);
  }

  observe(system: SystemId, outcome: CallOutcome, seconds: number): void {
    this.calls.inc({ system, outcome });
    this.duration.observe({ system, outcome }, seconds);
  }

  /** A call answered by the HTTP cache of reference data, without a request to the backend. */
  observeCacheAnswer(system: SystemId): void {
    this.cacheAnswers.inc({ system });
  }
}

/** What lib/access-log/group-commit.ts reports about each batch it writes. */
export interface BatchObserver {
  batchWritten(records: number, seconds: number, ok: boolean): void;
}

/** What the access-log metrics read from the store at scrape time. */
export interface AccessLogHealthSource {
  health(): { circuit: CircuitStateName; refusedWhileOpen: number; abandonedBatches: number; status: string };
}

/** The gateway's access log: batches, their size and write time, failures, circuit and refusals. */
export class AccessLogMetrics implements BatchObserver {
  private readonly batches: Counter<'outcome'>;
  private readonly batchRecords: Histogram;
  private readonly writeDuration: Histogram<'outcome'>;
  private source: AccessLogHealthSource | undefined;

  constructor(registry: Registry) {
    // prom-client calls collect() with `this` bound to the metric: the log's health is read through this arrow.
    const health = () => this.source?.health();
    this.batches = new Counter({
      name: `${METRIC_PREFIX}access_log_batches_total`,
      help: 'Access-log transactions (group commits) written, by outcome (ok, failed: rolled back, timed out or abandoned).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.batchRecords = new Histogram({
      name: `${METRIC_PREFIX}access_log_batch_records`,
      help: 'Access records per access-log transaction.',
      buckets: BATCH_BUCKETS,
      registers: [registry],
    });
    this.writeDuration = new Histogram({
      name: `${METRIC_PREFIX}access_log_write_duration_seconds`,
      help: 'Time to write one access-log transaction, by outcome.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: `${METRIC_PREFIX}access_log_circuit_state`,
      help: 'The circuit breaker over the access-log store: 1 for its current state (closed, half_open, open), 0 for the others. Open: personal data is refused.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const state = health();
        if (state) setStates<never>(this, {}, CIRCUIT_STATES, state.circuit);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}access_log_up`,
      help: '1 while the access log takes writes (circuit closed and the last batch committed), 0 otherwise.',
      registers: [registry],
      collect() {
        const state = health();
        if (state) this.set(state.status === 'UP' ? 1 : 0);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}access_log_refusals_total`,
      help: 'Access-log appends refused at once because the circuit over the store was open (the request got 503 ACCESS_LOG_UNAVAILABLE).',
      registers: [registry],
      collect() {
        const state = health();
        if (state) countedElsewhere(this, [[{}, state.refusedWhileOpen]]);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}access_log_abandoned_batches_total`,
      help: 'Access-log transactions abandoned because the store did not answer before every caller gave up.',
      registers: [registry],
      collect() {
        const state = health();
        if (state) countedElsewhere(this, [[{}, state.abandonedBatches]]);
      },
    });
  }

  watch(source: AccessLogHealthSource): void {
    this.source = source;
  }

  batchWritten(records: number, seconds: number, ok: boolean): void {
    const outcome = ok ? 'ok' : 'failed';
    this.batches.inc({ outcome });
    this.batchRecords.observe(records);
    this.writeDuration.observe({ outcome }, seconds);
  }
}

/** Data items of one sector at one agency level, as the reuse counters classify them (lib/access-log/reuse.ts), summed over records. */
export interface SectorItems {
  sector: string;
  level: string;
  items: number;
  reused: number;
}

/** What the gateway's cache of whole public answers reports: an answer served from it, a look-up that found none, an answer stored. */
export type PublicResponseOutcome = 'hit' | 'miss' | 'stored';

/** The gateway's cache of whole public answers (gateway/public-responses.ts). */
export class PublicResponseMetrics {
  private readonly outcomes: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.outcomes = new Counter({
      name: `${METRIC_PREFIX}public_responses_total`,
      help: "The gateway's cache of whole answers to public queries: hit (answered from it, no query plan executed), miss (looked up, not there), stored (kept for as long as every subgraph answer in it may be).",
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  observe(outcome: PublicResponseOutcome): void {
    this.outcomes.inc({ outcome });
  }
}

/**
 * Once-only reuse as a rate: the data items personal answers returned, by the sector they came from,
 * the level of the agency that took them, and whether they were reused (taken from a system the
 * agency does not own). Counted once the records are committed. Agencies, purposes and provinces
 * are in `reuseStatistics`, not in labels: sector (the systems) and level are small fixed sets.
 */
export class ReuseMetrics {
  private readonly items: Counter<'sector' | 'level' | 'reused'>;

  constructor(registry: Registry) {
    this.items = new Counter({
      name: `${METRIC_PREFIX}data_items_total`,
      help: 'Data items (leaf fields of one citizen) in personal answers, by the sector system they came from, the level of the agency that took them (LOCAL, CENTRAL, UNKNOWN), and reused (true: from a system the agency does not own).',
      labelNames: ['sector', 'level', 'reused'],
      registers: [registry],
    });
  }

  observe(counts: Iterable<SectorItems>): void {
    for (const { sector, level, items, reused } of counts) {
      if (reused > 0) this.items.inc({ sector, level, reused: 'true' }, reused);
      if (items > reused) this.items.inc({ sector, level, reused: 'false' }, items - reused);
    }
  }
}

/**
 * Where `/metrics` is served: with a port, on a listener of its own (only `/metrics` there, and not on
 * the service's port); without one, as a route of the service's own server.
 */
export interface MetricsEndpoint {
  /** Routes to add to the service's server: `/metrics`, unless it has a port of its own. */
  routes: Record<string, RouteHandler>;
  /** The listener of its own, when a port was given; undefined otherwise. */
  server: RunningServer | undefined;
  close(): Promise<void>;
}

export async function metricsEndpoint(metrics: ServiceMetrics, port: number | undefined, host: string): Promise<MetricsEndpoint> {
  if (port === undefined) return { routes: { [METRICS_PATH]: metrics.route }, server: undefined, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Not found: this port serves ${METRICS_PATH} only.\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Send GET.\n');
      return;
    }
    Promise.resolve(metrics.route(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const running = await listen(server, port, host);
  return { routes: {}, server: running, close: () => running.close() };
}
