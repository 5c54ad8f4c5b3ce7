import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { envInteger, envPositiveInteger, envString, listenHost } from '../lib/config.ts';
import { createGraphQLHttpServer, listen, type RunningServer } from '../lib/http-server.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { defaultSubgraphUrl, GATEWAY_PORT, SYSTEM_IDS, SYSTEMS, type SystemId } from '../lib/systems.ts';
import { SubgraphDataSource, type GatewayContext } from './data-source.ts';
import { createErrorFormatter } from './errors.ts';
import { createSubgraphFetcher } from './fetcher.ts';
import { queryLimitsFromEnv, queryProtection, type QueryLimits } from './limits.ts';
import { offlineLandingPage } from './landing-page.ts';
import { ConnectionBoard, connectionBoardOptionsFromEnv, type ConnectionBoardOptions } from './connection-board.ts';
import { ConnectionTester } from './connection-tester.ts';
import { SubgraphRoutes } from './subgraph-routes.ts';
import { CONNECTIONS_SUBGRAPH, connectionsDataSource } from './connections.ts';
import { statusPage } from './status-page.ts';

export interface GatewayConfig {
  supergraphPath: string;
  /** Where each subgraph is reached; overrides the routing URLs in the supergraph. */
  subgraphUrls: Record<SystemId, string>;
  /** Deadline of one call to each subgraph. */
  subgraphTimeoutsMs: Record<SystemId, number>;
  /** Deadline of a whole client request: no subgraph call is started or kept open past it. */
  requestTimeoutMs: number;
  limits: QueryLimits;
  port: number;
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
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const subgraphUrls = Object.fromEntries(
    SYSTEM_IDS.map((id) => {
      const { envPrefix } = SYSTEMS[id];
      return [id, envString(`${envPrefix}_SUBGRAPH_URL`, defaultSubgraphUrl(id), env)];
    }),
  ) as Record<SystemId, string>;
  const subgraphTimeoutMs = envPositiveInteger('SUBGRAPH_TIMEOUT_MS', 5000, env);
  const subgraphTimeoutsMs = Object.fromEntries(
    SYSTEM_IDS.map((id) => {
      const { envPrefix } = SYSTEMS[id];
      return [id, envPositiveInteger(`${envPrefix}_SUBGRAPH_TIMEOUT_MS`, subgraphTimeoutMs, env)];
    }),
  ) as Record<SystemId, number>;
  return {
    supergraphPath: resolve(envString('SUPERGRAPH_PATH', 'schema/supergraph.graphql', env)),
    subgraphUrls,
    subgraphTimeoutsMs,
    requestTimeoutMs: envPositiveInteger('REQUEST_TIMEOUT_MS', 10_000, env),
    limits: queryLimitsFromEnv(env),
    port: envInteger('GATEWAY_PORT', GATEWAY_PORT, env),
    host: listenHost(env),
    production: env.NODE_ENV === 'production',
    maxBodyBytes: envPositiveInteger('MAX_REQUEST_BYTES', 1024 * 1024, env),
    corsOrigins: envString('CORS_ORIGINS', '', env)
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    connections: connectionBoardOptionsFromEnv(env),
    statusRefreshMs: envPositiveInteger('STATUS_PAGE_REFRESH_MS', 5000, env),
    statusProgrammeRefreshMs: envPositiveInteger('STATUS_PAGE_PROGRAMME_REFRESH_MS', 60_000, env),
  };
}

export interface RunningGateway extends RunningServer {
  graphqlUrl: string;
  /** The live status of every connection (also `connections` in the graph). */
  board: ConnectionBoard;
}

export async function startGateway(config: GatewayConfig, logger: Logger = createLogger('gateway')): Promise<RunningGateway> {
  // The gateway's anonymous usage telemetry must never leave a closed government network.
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const subgraphFetcher = createSubgraphFetcher({ timeoutMs: Math.max(...Object.values(config.subgraphTimeoutsMs)) });

  const routes = new SubgraphRoutes(config.subgraphUrls);
  const board = new ConnectionBoard(routes, config.connections, logger);
  const tester = new ConnectionTester(routes, config.connections.testTimeoutMs, logger, (system) => void board.probeNow(system));

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      if (name === CONNECTIONS_SUBGRAPH) return connectionsDataSource(board, tester);
      const url = config.subgraphUrls[name as SystemId];
      if (!url) throw new Error(`supergraph names subgraph "${name}", which this gateway has no URL for`);
      return new SubgraphDataSource(name as SystemId, url, subgraphFetcher.fetcher, config.subgraphTimeoutsMs[name as SystemId], logger, board);
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
    // The process stops on signals itself (lib/process.ts), closing the HTTP server first.
    stopOnTerminationSignals: false,
    // Introspection and suggestions (off in production), CSRF prevention, no batching, query limits.
    ...queryProtection<GatewayContext>(config.limits, config.production, [
      offlineLandingPage(graphqlPath),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ]),
  });
  try {
    await apollo.start();
    await board.start();
  } catch (error) {
    await apollo.stop();
    await closeConnections();
    await subgraphFetcher.close();
    throw error;
  }

  const server = createGraphQLHttpServer<GatewayContext>({
    apollo,
    logger,
    graphqlPath,
    maxBodyBytes: config.maxBodyBytes,
    corsOrigins: config.corsOrigins,
    context: async (_req, requestId) => ({ requestId, deadlineAt: Date.now() + config.requestTimeoutMs }),
    readiness: async () => board.readiness(),
    routes: { '/status': statusPage({ graphqlPath, refreshMs: config.statusRefreshMs, programmeRefreshMs: config.statusProgrammeRefreshMs }) },
  });
  const running = await listen(server, config.port, config.host).catch(async (error: unknown) => {
    await apollo.stop();
    await closeConnections();
    await subgraphFetcher.close();
    throw error;
  });
  return {
    ...running,
    graphqlUrl: `${running.url}${graphqlPath}`,
    board,
    close: async () => {
      await running.close();
      await apollo.stop();
      await closeConnections();
      await subgraphFetcher.close();
    },
  };
}
