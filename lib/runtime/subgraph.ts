import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { BackendClient, type CallContext } from '../backend/backend-client.ts';
import { testBackendConnection, type ConnectionTestReport, type ContractCheck } from '../backend/connection-test.ts';
import { createGraphQLHttpServer, listen, requestIdOf, sendJson, type RunningServer } from './http-server.ts';
import { createLogger, type Logger } from './logger.ts';
import { BackendCallMetrics, metricsEndpoint, ServiceMetrics } from './metrics.ts';
import { subgraphSettings, type SubgraphSettings } from './process-settings.ts';
import { parseSettings, type Environment } from './settings.ts';
import { processEnvironment, startOrExit, stopOnSignals } from './process.ts';
import { DEFAULT_RESILIENCE, type BackendHealth, type ResilienceOptions } from './resilience.ts';
import type { SystemId } from './systems.ts';
import { roundMs } from './transport.ts';
import { AnswerFreshness } from './http-caching.ts';
import { healthResponse } from '../backend/wire.ts';
import { SystemError, SystemErrorCode } from './errors.ts';
import { backendStatus, type LiveStatusThresholds, type ProbeOutcome, type SubgraphReadiness } from './live-status.ts';
import { callerAssertionSecret } from '../access/caller-assertion.ts';
import { loadAccessPolicy, DEFAULT_ACCESS_POLICY_FILE, type AccessPolicy } from '../access/policy.ts';
import { createReplayStore, replayStoreConfig } from '../access/replay-store.ts';
import { urlWithoutPassword } from './cli.ts';
import { startTracing } from './tracing.ts';
import { CallerVerifier, operationGuard, type CallerFacts, type SubgraphAccess } from '../access/subgraph-guard.ts';
import { subgraphGraphQL, type SubgraphGraphQL } from './subgraph-graphql.ts';

/**
 * What every subgraph resolver receives: the request id, loaders made for this request only, and
 * the caller the gateway vouched for (checked against the access policy before execution).
 */
export interface SubgraphContext<TLoaders> extends CallerFacts {
  requestId: string;
  loaders: TLoaders;
  /** Told the freshness of every backend answer the loaders get (see {@link publicAnswerHeaders}). */
  answerFreshness?: AnswerFreshness;
}

/**
 * The caller's remaining time budget in milliseconds, sent by the gateway with every subgraph call
 * (as gRPC sends `grpc-timeout`), so that backend calls never outlive the request that made them.
 */
export const DEADLINE_HEADER = 'x-deadline-ms';
/** Kept back from the budget so that the subgraph's answer reaches the gateway before its deadline. */
const DEADLINE_MARGIN_MS = 50;

export function callContextOf(headers: IncomingHttpHeaders, requestId: string, now = Date.now()): CallContext {
  const raw = headers[DEADLINE_HEADER];
  const budget = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
  return budget === undefined ? { requestId } : { requestId, deadlineAt: now + budget - DEADLINE_MARGIN_MS };
}

/**
 * An adapter owns its backend's wire format; `ping` makes one cheap round trip for `/ready`, and
 * `health` reports the circuit and recent outcomes of its backend calls.
 */
export interface Adapter {
  ping(call?: CallContext): Promise<void>;
  health(): BackendHealth;
  close(): Promise<void>;
}

/** An adapter over a BackendClient; every backend contract has `GET /v1/health`. */
export abstract class BackendAdapter implements Adapter {
  /** What the adapter derived from each answer the client validated (see `derived`). */
  private readonly derivations = new WeakMap<object, unknown>();

  constructor(protected readonly client: BackendClient) {}

  /**
   * `derive(answer)`, made once per answer object: the client hands back the very same object for an
   * unchanged cached answer (same strong ETag), so reference data is mapped once, not on every call.
   * What it returns is shared between requests: never mutate it.
   */
  protected derived<TAnswer extends object, TModel>(answer: TAnswer, derive: (answer: TAnswer) => TModel): TModel {
    if (this.derivations.has(answer)) return this.derivations.get(answer) as TModel;
    const model = derive(answer);
    this.derivations.set(answer, model);
    return model;
  }

  async ping(call?: CallContext): Promise<void> {
    await this.client.get('/v1/health', healthResponse, { ...call, probe: true });
  }

  health(): BackendHealth {
    return this.client.health();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export interface SubgraphDefinition<TAdapter extends Adapter, TLoaders> {
  system: SystemId;
  /** The subgraph's SDL file (schema-first). */
  schemaFile: URL;
  /** Declared with the subgraph's generated `Resolvers` type (generated/resolvers.ts, `npm run codegen`). */
  resolvers: object;
  createAdapter(client: BackendClient): TAdapter;
  createLoaders(adapter: TAdapter, call: CallContext): TLoaders;
  /** The connection test of the backend (`POST /connection-test`): reads only, health first (adapter/contract-checks.ts). */
  contractChecks: readonly ContractCheck[];
}

export interface SubgraphConfig {
  backendUrl: string;
  backendTimeoutMs: number;
  /** Cacheable backend answers kept (reference data); unset or 0: no cache. */
  backendCacheEntries?: number;
  resilience: ResilienceOptions;
  /** When `/ready` calls the backend connection DEGRADED (slow probe, recent failures). */
  liveStatus: LiveStatusThresholds;
  port: number;
  /** A port of its own for `/metrics` (the monitoring network's); unset: `/metrics` on `port`. */
  metricsPort?: number;
  host: string;
  /** The access policy and the secret that verifies the gateway's caller assertions. */
  access: SubgraphAccess;
  /** `NODE_ENV=production`: introspection is refused. */
  production?: boolean;
}

/** A subgraph's configuration from its parsed settings (lib/runtime/process-settings.ts); the access policy is read here. */
export function subgraphConfig(settings: SubgraphSettings): SubgraphConfig {
  return {
    backendUrl: settings.backendUrl,
    backendTimeoutMs: settings.backendTimeoutMs,
    backendCacheEntries: settings.backendCacheEntries,
    resilience: { ...DEFAULT_RESILIENCE, ...settings.resilience },
    liveStatus: settings.liveStatus,
    port: settings.port,
    metricsPort: settings.metricsPort,
    host: settings.host,
    production: settings.nodeEnv === 'production',
    access: {
      enabled: true,
      policy: loadAccessPolicy(settings.access.policyFile),
      callerSecret: callerAssertionSecret(settings.access.callerSecret),
      replay: replayStoreConfig(settings.access.replay),
    },
  };
}

/** Parses the system's subgraph settings from `env` (one `SettingsError` for every invalid variable), then `subgraphConfig`. */
export function subgraphConfigFromEnv(system: SystemId, env: Environment): SubgraphConfig {
  return subgraphConfig(parseSettings(subgraphSettings(system), env));
}

/**
 * `/ready`: one probe of the backend (bypassing the circuit), judged with the backend calls' health.
 * Ready (200) while the backend answers, even DEGRADED; 503 when it does not.
 */
export async function subgraphReadiness(system: SystemId, adapter: Adapter, thresholds: LiveStatusThresholds, call?: CallContext): Promise<SubgraphReadiness> {
  const started = performance.now();
  let probe: ProbeOutcome;
  try {
    // Within the prober's deadline (`x-deadline-ms`), so that a slow backend is reported as this
    // subgraph's finding, not as a subgraph that does not answer.
    await adapter.ping(call);
    probe = { ok: true, latencyMs: roundMs(performance.now() - started) };
  } catch (error) {
    probe = error instanceof SystemError ? { ok: false, code: error.systemCode, reason: error.reason } : { ok: false, code: SystemErrorCode.UNAVAILABLE, reason: 'probe failed' };
  }
  const calls = adapter.health();
  const { status, reasons } = backendStatus(probe, calls, thresholds);
  return {
    ready: probe.ok,
    system,
    status,
    reasons,
    backend: probe.ok ? 'UP' : 'DOWN',
    latencyMs: probe.ok ? probe.latencyMs : null,
    error: probe.ok ? null : { code: probe.code, reason: probe.reason },
    calls,
  };
}

export function readSchema(file: URL): string {
  return readFileSync(file, 'utf8');
}

/** The resolver map `buildSubgraphSchema` takes; @apollo/subgraph exports no name for it. */
type ApolloResolverMap = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;

/**
 * A subgraph schema from its SDL file and its resolvers. `resolvers` is declared with the generated
 * `Resolvers` of that SDL (`npm run codegen`), which checks every resolver against it; Apollo's own
 * map types the context as `unknown`, hence the one cast here.
 */
export function buildSubgraphSchemaFromFile(schemaFile: URL, resolvers: object): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(readSchema(schemaFile)), resolvers: resolvers as ApolloResolverMap });
}

/**
 * How long the answer to a public operation stays fresh, `Cache-Control: public, max-age=N`: N is
 * what is left of the freshness of the least fresh backend answer it was built from, so nothing is
 * served staler than the backend allows, however many caches it passes. Only when the guard found
 * no personal data in the operation, the answer has no error and every backend answer used said a
 * shared cache may keep it; any other answer states no cache policy. The gateway keeps the public
 * ones (gateway/subgraph-transport.ts).
 */
export function publicAnswerHeaders(contextValue: CallerFacts & { answerFreshness?: AnswerFreshness }, result: ExecutionResult): Record<string, string> | undefined {
  if (contextValue.readsPersonalData !== false || result.errors?.length) return undefined;
  const maxAge = contextValue.answerFreshness?.maxAgeSeconds;
  return maxAge === undefined ? undefined : { 'cache-control': `public, max-age=${String(maxAge)}` };
}

/**
 * A subgraph's GraphQL over HTTP (lib/runtime/subgraph-graphql.ts) on its schema, with the guard of
 * the access policy. `policy`: null for no guard (benchmarks only).
 */
export function createSubgraphGraphQL<TAdapter extends Adapter, TLoaders>(
  definition: SubgraphDefinition<TAdapter, TLoaders>,
  options: { policy?: AccessPolicy | null; production?: boolean; metrics?: ServiceMetrics } = {},
): SubgraphGraphQL<SubgraphContext<TLoaders>> {
  const policy = options.policy === undefined ? loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE) : options.policy;
  return subgraphGraphQL<SubgraphContext<TLoaders>>({
    schema: buildSubgraphSchemaFromFile(definition.schemaFile, definition.resolvers),
    ...(policy ? { guard: operationGuard(policy), answerHeaders: publicAnswerHeaders } : {}),
    introspection: !options.production,
    ...(options.metrics ? { observer: options.metrics } : {}),
  });
}

export interface RunningSubgraph<TAdapter> extends RunningServer {
  adapter: TAdapter;
  /** Where Prometheus scrapes this subgraph. */
  metricsUrl: string;
}

export async function startSubgraph<TAdapter extends Adapter, TLoaders>(
  definition: SubgraphDefinition<TAdapter, TLoaders>,
  config: SubgraphConfig,
  logger: Logger = createLogger(`${definition.system}-subgraph`),
): Promise<RunningSubgraph<TAdapter>> {
  // Before anything else: an assertion issued before this instance began may have been used by the one before it.
  const replays = createReplayStore(config.access.replay ?? { clockSkewMs: 0 }, Date.now(), logger);
  const metrics = new ServiceMetrics(`${definition.system}-subgraph`);
  const client = new BackendClient({
    metrics: new BackendCallMetrics(metrics.registry),
    system: definition.system,
    baseUrl: config.backendUrl,
    timeoutMs: config.backendTimeoutMs,
    cacheEntries: config.backendCacheEntries,
    resilience: config.resilience,
    logger,
  });
  const adapter = definition.createAdapter(client);
  const graphql = createSubgraphGraphQL(definition, { policy: config.access.enabled ? config.access.policy : null, production: config.production, metrics });
  const callers = new CallerVerifier(definition.system, config.access.callerSecret, replays, logger);
  const metricsAt = await metricsEndpoint(metrics, config.metricsPort, config.host).catch(async (error: unknown) => {
    await adapter.close();
    await replays.close();
    throw error;
  });
  const server = createGraphQLHttpServer<SubgraphContext<TLoaders>>({
    answer: graphql.answer,
    logger,
    metrics,
    routes: metricsAt.routes,
    context: async (req, requestId) => {
      const answerFreshness = new AnswerFreshness();
      return {
        requestId,
        loaders: definition.createLoaders(adapter, { ...callContextOf(req.headers, requestId), freshness: answerFreshness }),
        answerFreshness,
        ...(await callers.callerOf(req.headers, (req as { body?: unknown }).body)),
      };
    },
    readiness: (req) => subgraphReadiness(definition.system, adapter, config.liveStatus, callContextOf(req.headers, requestIdOf(req))),
    postRoutes: { '/connection-test': connectionTestRoute(definition, config, logger) },
  });
  const running = await listen(server, config.port, config.host).catch(async (error: unknown) => {
    await metricsAt.close();
    await adapter.close();
    await replays.close();
    throw error;
  });
  let closed: Promise<void> | undefined;
  return {
    ...running,
    adapter,
    metricsUrl: `${metricsAt.server?.url ?? running.url}/metrics`,
    close: () =>
      (closed ??= (async () => {
        await running.close();
        await metricsAt.close();
        await adapter.close();
        await replays.close();
      })()),
  };
}

/**
 * `POST /connection-test`: a real round trip to the configured backend, on a connection of its own
 * (never the adapter's: its circuit and counters are untouched), checked against the contract.
 * Answers 200 with the report whatever the verdict; concurrent requests share one test.
 */
function connectionTestRoute(
  definition: Pick<SubgraphDefinition<Adapter, unknown>, 'system' | 'contractChecks'>,
  config: Pick<SubgraphConfig, 'backendUrl' | 'backendTimeoutMs'>,
  logger: Logger,
) {
  let running: Promise<ConnectionTestReport> | undefined;
  const test = (deadlineAt: number | undefined) =>
    (running ??= testBackendConnection({
      system: definition.system,
      baseUrl: config.backendUrl,
      checks: definition.contractChecks,
      timeoutMs: config.backendTimeoutMs,
      deadlineAt,
    })
      .then((report) => {
        const { verdict, problem, connectMs, firstByteMs, totalMs } = report;
        logger.info({ system: definition.system, verdict, problem, connectMs, firstByteMs, totalMs }, 'connection test');
        return report;
      })
      .finally(() => (running = undefined)));
  // The caller (the gateway's testConnection) sends its own deadline, so the test ends before the caller gives up.
  return async (req: IncomingMessage, res: ServerResponse) => sendJson(res, 200, await test(callContextOf(req.headers, '').deadlineAt));
}

/** Entry point of a subgraph process: configuration from the environment, clean stop on signals. */
export async function runSubgraphProcess<TAdapter extends Adapter, TLoaders>(definition: SubgraphDefinition<TAdapter, TLoaders>): Promise<void> {
  const logger = createLogger(`${definition.system}-subgraph`);
  await startOrExit(logger, async () => {
    const settings = parseSettings(subgraphSettings(definition.system), processEnvironment());
    startTracing(`${definition.system}-subgraph`, logger, settings.tracing);
    const config = subgraphConfig(settings);
    if (!config.access.callerSecret) logger.warn('CALLER_ASSERTION_SECRET is not set: this subgraph refuses every request for personal data');
    const running = await startSubgraph(definition, config, logger);
    const replayDatabase = config.access.replay?.databaseUrl;
    // Where accepted caller assertions are remembered: in memory, a second instance would accept what this one did.
    const callerReplayStore = replayDatabase ? urlWithoutPassword(replayDatabase) : 'memory (one instance only: set CALLER_REPLAY_DATABASE_URL for more)';
    logger.info({ url: `${running.url}/graphql`, backend: config.backendUrl, callerReplayStore }, 'subgraph listening');
    stopOnSignals(logger, running.close);
  });
}
