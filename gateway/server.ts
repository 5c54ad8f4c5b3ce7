import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../lib/runtime/process-settings.ts';
import { parseSettings, type Environment } from '../lib/runtime/settings.ts';
import { answerWithApollo } from '../lib/runtime/apollo-answer.ts';
import { createGraphQLHttpServer, listen, type RunningServer } from '../lib/runtime/http-server.ts';
import { createLogger, type Logger } from '../lib/runtime/logger.ts';
import { AccessLogMetrics, metricsEndpoint, PublicResponseMetrics, ReuseMetrics, ServiceMetrics, SubgraphCallMetrics } from '../lib/runtime/metrics.ts';
import { perSystem, type SystemId } from '../lib/runtime/systems.ts';
import { SubgraphDataSource, uncacheable, type GatewayContext } from './data-source.ts';
import { publicResponseCache } from './public-responses.ts';
import { createErrorFormatter } from './errors.ts';
import { createSubgraphTransport } from './subgraph-transport.ts';
import { queryProtection, type QueryLimits } from './limits.ts';
import { queryPage } from './query-page.ts';
import { ConnectionBoard, connectionBoardOptions, type ConnectionBoardOptions } from './connection-board.ts';
import { ConnectionTester } from './connection-tester.ts';
import { SubgraphRoutes } from './subgraph-routes.ts';
import { CONNECTIONS_SUBGRAPH, connectionsDataSource } from './connections.ts';
import { statusPage } from './status-page.ts';
import { accessLogConfig, citizenFieldSectors, openAccessLog, type AccessLogConfig } from '../lib/access-log/index.ts';
import type { AccessLogStore, AccessRecord } from '../lib/access-log/types.ts';
import { ReuseClassifier, sectorItems } from '../lib/access-log/reuse.ts';
import { AuthenticationError, authenticationConfig, Authenticator, type AuthenticationConfig } from '../lib/access/authentication.ts';
import { callerAssertionSecret, callerAssertionSigner, callHash } from '../lib/access/caller-assertion.ts';
import { loadAccessPolicy, localSchema, policyProblems, type AccessPolicy } from '../lib/access/policy.ts';
import { refusal } from '../lib/access/refusal.ts';
import { accessControlPlugin } from './access-plugin.ts';
import { ACCESS_LOG_SUBGRAPH, accessLogCsvRoute, accessLogDataSource } from './access-log.ts';
import { CASE_HEADER, EXAMPLE_PURPOSE, PURPOSE_HEADER } from '../lib/access/caller.ts';

export interface GatewayConfig {
  supergraphPath: string;
  /** Where each subgraph is reached; overrides the routing URLs in the supergraph. */
  subgraphUrls: Record<SystemId, string>;
  /** Deadline of one call to each subgraph. */
  subgraphTimeoutsMs: Record<SystemId, number>;
  /** Deadline of a whole client request: no subgraph call is started or kept open past it. */
  requestTimeoutMs: number;
  /** Public subgraph answers kept for as long as their `Cache-Control` allows, and their bytes at most (gateway/subgraph-transport.ts); unset or 0 entries: none. */
  publicAnswers?: { entries: number; bytes: number };
  /** Bytes of whole public answers kept (gateway/public-responses.ts); unset or 0: none. */
  publicResponseBytes?: number;
  limits: QueryLimits;
  port: number;
  /** A port of its own for `/metrics` (the monitoring network's); unset: `/metrics` on `port`. */
  metricsPort?: number;
  host: string;
  production: boolean;
  maxBodyBytes: number;
  /** Browser origins of portals allowed to call the gateway (CORS). */
  corsOrigins: string[];
  /** The connection board's probes and its judgement of slow and failing connections. */
  connections: ConnectionBoardOptions;
  /** How often the status page (`/status`) refreshes its live systems, and its programme view. */
  statusRefreshMs: number;
  statusProgrammeRefreshMs: number;
  access: GatewayAccessConfig;
  /**
   * Development only: an API key the query page (`/graphql` in a browser) offers in its headers
   * editor, with the development purpose and case (`QUERY_PAGE_API_KEY_FILE`; never in production).
   */
  queryPageApiKey?: string;
}

/** Who may see what, and who saw it (gateway/access-plugin.ts). */
export interface GatewayAccessConfig {
  /**
   * Off only for measuring what access control costs (`npm run bench`): no credential is checked,
   * nothing is logged, and the subgraphs must run without their guard too. No variable turns it off.
   */
  enabled: boolean;
  policy: AccessPolicy;
  authentication: AuthenticationConfig;
  /** Signs the verified caller for the subgraphs (`CALLER_ASSERTION_SECRET`, shared with them). */
  callerSecret: Uint8Array | undefined;
  log: AccessLogConfig;
  /** Programme statistics and connection status need a credential too (`PUBLIC_DATA_REQUIRES_CREDENTIALS`). */
  publicDataRequiresCredentials: boolean;
}

/**
 * The part of a request's time kept, with access control on, for committing its access records
 * after the last subgraph call: a tenth of the request's deadline, at most half a second.
 */
export function accessLogCommitReserveMs(requestTimeoutMs: number): number {
  return Math.min(500, Math.floor(requestTimeoutMs / 10));
}

/** The gateway's configuration from its parsed settings: the access policy and the credentials' files are read here. */
export function gatewayConfig(settings: GatewaySettings): GatewayConfig {
  const access = settings.access;
  return {
    supergraphPath: resolve(settings.supergraphPath),
    subgraphUrls: perSystem((id) => settings.subgraphs[id].url),
    subgraphTimeoutsMs: perSystem((id) => settings.subgraphs[id].timeoutMs),
    requestTimeoutMs: settings.requestTimeoutMs,
    publicAnswers: settings.publicAnswers,
    publicResponseBytes: settings.publicResponseBytes,
    limits: settings.limits,
    port: settings.port,
    metricsPort: settings.metricsPort,
    host: settings.host,
    production: settings.nodeEnv === 'production',
    maxBodyBytes: settings.maxBodyBytes,
    corsOrigins: settings.corsOrigins,
    connections: connectionBoardOptions(settings),
    statusRefreshMs: settings.statusRefreshMs,
    statusProgrammeRefreshMs: settings.statusProgrammeRefreshMs,
    access: {
      enabled: true,
      policy: loadAccessPolicy(access.policyFile),
      authentication: authenticationConfig(access.authentication),
      callerSecret: callerAssertionSecret(access.callerSecret),
      log: accessLogConfig(access.log),
      publicDataRequiresCredentials: access.publicDataRequiresCredentials,
    },
    ...queryPageApiKey(settings.queryPageApiKeyFile, settings.nodeEnv === 'production'),
  };
}

/** Parses the gateway's settings from `env` (one `SettingsError` for every invalid variable), then `gatewayConfig`. */
export function gatewayConfigFromEnv(env: Environment): GatewayConfig {
  return gatewayConfig(parseSettings(GATEWAY_SETTINGS, env));
}

/**
 * The key in `QUERY_PAGE_API_KEY_FILE`, which `npm start` points at its development key; ignored in
 * production, where the query page offers no credential (`NODE_ENV=production npm start` still sets it).
 */
export function queryPageApiKey(file: string | undefined, production: boolean): { queryPageApiKey?: string } {
  if (production || file === undefined) return {};
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`QUERY_PAGE_API_KEY_FILE ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (key === '') throw new Error(`QUERY_PAGE_API_KEY_FILE ${file} is empty`);
  return { queryPageApiKey: key };
}

export interface RunningGateway extends RunningServer {
  graphqlUrl: string;
  /** The live status of every connection (also `connections` in the graph). */
  board: ConnectionBoard;
  /** The access log (undefined with access control off). */
  accessLog: AccessLogStore | undefined;
  /** Where Prometheus scrapes this gateway. */
  metricsUrl: string;
}

export async function startGateway(config: GatewayConfig, logger: Logger = createLogger('gateway')): Promise<RunningGateway> {
  // The gateway's anonymous usage telemetry must never leave a closed government network.
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const subgraphTransport = createSubgraphTransport({
    connectTimeoutMs: Math.max(...Object.values(config.subgraphTimeoutsMs)),
    publicAnswers: config.publicAnswers,
    onPublicAnswer: (system, outcome) => subgraphCallMetrics.observePublicAnswer(system, outcome),
  });

  const access = config.access;
  if (access.enabled && !access.callerSecret) {
    throw new Error('CALLER_ASSERTION_SECRET is not set: the subgraphs could not verify who is calling');
  }
  const authenticator = new Authenticator(access.authentication);
  const metrics = new ServiceMetrics('gateway');
  const accessLogMetrics = new AccessLogMetrics(metrics.registry);
  const fieldSectors = citizenFieldSectors(supergraphSdl);
  const accessLog = access.enabled ? openAccessLog(access.log, { batchObserver: accessLogMetrics, logger, fieldSectors }) : undefined;
  const reuseMetrics = new ReuseMetrics(metrics.registry);
  const publicResponseMetrics = new PublicResponseMetrics(metrics.registry);
  const reuseClassifier = new ReuseClassifier(fieldSectors);
  const countReuse = (records: readonly AccessRecord[]) => reuseMetrics.observe(sectorItems(records, reuseClassifier));
  if (accessLog) accessLogMetrics.watch(accessLog);
  const closeAccessLog = async () => accessLog?.close();
  const routes = new SubgraphRoutes(config.subgraphUrls);
  const board = new ConnectionBoard(routes, config.connections, logger);
  const subgraphCallMetrics = new SubgraphCallMetrics(metrics.registry, board);
  const tester = new ConnectionTester(routes, config.connections.testTimeoutMs, logger, (system) => void board.probeNow(system));

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      if (name === CONNECTIONS_SUBGRAPH) return uncacheable(connectionsDataSource(board, tester));
      if (name === ACCESS_LOG_SUBGRAPH) return uncacheable(accessLogDataSource(accessLog, access.policy));
      const url = config.subgraphUrls[name as SystemId];
      if (!url) throw new Error(`supergraph names subgraph "${name}", which this gateway has no URL for`);
      const system = name as SystemId;
      return new SubgraphDataSource(system, url, subgraphTransport, config.subgraphTimeoutsMs[system], logger, board, board.circuit(system), subgraphCallMetrics);
    },
  });
  const closeConnections = async () => {
    const stopped = board.stop();
    await routes.close();
    await stopped;
  };

  const graphqlPath = '/graphql';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(logger),
    // The process stops on signals itself (lib/runtime/process.ts), closing the HTTP server first.
    stopOnTerminationSignals: false,
    // Introspection and suggestions (off in production), CSRF prevention, no batching, query limits.
    ...queryProtection<GatewayContext>(config.limits, config.production, [
      ...(accessLog
        ? [
            accessControlPlugin({
              policy: access.policy,
              log: accessLog,
              logger,
              publicDataRequiresCredentials: access.publicDataRequiresCredentials,
              onRecorded: countReuse,
            }),
          ]
        : []),
      // Browsers get the query page from the HTTP server (graphqlPage below); Apollo's own landing pages load from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      metrics.apolloPlugin<GatewayContext>(),
      ...(config.publicResponseBytes
        ? [
            publicResponseCache({
              bytes: config.publicResponseBytes,
              circuitsClosed: () => board.circuitsClosed(),
              onOutcome: (outcome) => publicResponseMetrics.observe(outcome),
            }),
          ]
        : []),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ]),
  });
  try {
    await apollo.start();
    if (access.enabled) {
      // A coordinate misspelt in the policy would leave a field uncontrolled: refuse to start instead.
      const problems = gateway.schema ? policyProblems(access.policy, localSchema(gateway.schema)) : ['the gateway has no schema'];
      if (problems.length > 0) throw new Error(`access policy does not fit the supergraph: ${problems.join('; ')}`);
    }
    await board.start();
  } catch (error) {
    await apollo.stop();
    await closeConnections();
    await subgraphTransport.close();
    await closeAccessLog();
    throw error;
  }
  const metricsAt = await metricsEndpoint(metrics, config.metricsPort, config.host).catch(async (error: unknown) => {
    await apollo.stop();
    await closeConnections();
    await subgraphTransport.close();
    await closeAccessLog();
    throw error;
  });

  const page = queryPage({
    graphqlPath,
    introspection: !config.production,
    ...(config.queryPageApiKey && !config.production
      ? { developmentHeaders: { 'x-api-key': config.queryPageApiKey, [PURPOSE_HEADER]: EXAMPLE_PURPOSE.code, [CASE_HEADER]: EXAMPLE_PURPOSE.caseNumber } }
      : {}),
  });
  const server = createGraphQLHttpServer<GatewayContext>({
    answer: (req, res, body, context, extraHeaders) => answerWithApollo(apollo, req, res, body, context, extraHeaders),
    logger,
    graphqlPath,
    graphqlPage: page.page,
    maxBodyBytes: config.maxBodyBytes,
    corsOrigins: config.corsOrigins,
    metrics,
    context: async (req, requestId) => {
      const deadlineAt = Date.now() + config.requestTimeoutMs;
      if (!access.enabled) return { requestId, deadlineAt } satisfies GatewayContext;
      const context: GatewayContext = { requestId, deadlineAt, subgraphDeadlineAt: deadlineAt - accessLogCommitReserveMs(config.requestTimeoutMs) };
      try {
        context.caller = await authenticator.authenticate(req.headers);
      } catch (error) {
        if (error instanceof AuthenticationError) throw refusal(401, error.message);
        throw error;
      }
      const { caller } = context;
      const secret = access.callerSecret;
      if (caller && secret) {
        const sign = callerAssertionSigner(caller, { secret, requestId });
        context.callerAssertion = (subgraph, query, variables) => sign(subgraph, callHash(query, variables));
      }
      return context;
    },
    // The access log's state is reported, but does not make the gateway unready: public data is
    // still answered while it is down, and personal data is refused (503 ACCESS_LOG_UNAVAILABLE).
    readiness: async () => ({ ...board.readiness(), ...(accessLog ? { accessLog: accessLog.health() } : {}) }),
    routes: {
      ...page.assets,
      '/status': statusPage({ graphqlPath, refreshMs: config.statusRefreshMs, programmeRefreshMs: config.statusProgrammeRefreshMs }),
      ...(accessLog ? { '/audit/access-log.csv': accessLogCsvRoute(accessLog, authenticator) } : {}),
      ...metricsAt.routes,
    },
  });
  const running = await listen(server, config.port, config.host).catch(async (error: unknown) => {
    await metricsAt.close();
    await apollo.stop();
    await closeConnections();
    await subgraphTransport.close();
    await closeAccessLog();
    throw error;
  });
  return {
    ...running,
    graphqlUrl: `${running.url}${graphqlPath}`,
    board,
    accessLog,
    metricsUrl: `${metricsAt.server?.url ?? running.url}/metrics`,
    close: async () => {
      await running.close();
      await metricsAt.close();
      await apollo.stop();
      await closeConnections();
      await subgraphTransport.close();
      await closeAccessLog();
    },
  };
}
