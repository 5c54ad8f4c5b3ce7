import { parseSettings, PUBLIC_ANSWER_CACHE_BYTES, QUERY_LIMIT_SETTINGS } from '../runtime/settings.ts';
import { fileURLToPath } from 'node:url';
import { type QueryLimits } from '../../gateway/limits.ts';
import { connectionBoardOptions } from '../../gateway/connection-board.ts';
import { CONNECTION_BOARD_SETTINGS } from '../runtime/process-settings.ts';
import { startGateway, type RunningGateway } from '../../gateway/server.ts';
import { DEFAULT_THRESHOLDS, type LiveStatusThresholds } from '../runtime/live-status.ts';
import { DEFAULT_RESILIENCE, type BreakerOptions, type ResilienceOptions } from '../runtime/resilience.ts';
import { startMockBackend, type RunningMock } from './mock-server.ts';
import { startSubgraph, type Adapter, type RunningSubgraph } from '../runtime/subgraph.ts';
import { perSystem, SYSTEM_IDS, SYSTEMS, type SystemId } from '../runtime/systems.ts';
import { SUBGRAPHS } from '../../subgraphs/index.ts';
import { MOCK_HANDLERS } from './mock-backends.ts';
import type { GatewayAccessConfig } from '../../gateway/server.ts';
import type { ReplayStoreConfig } from '../access/replay-store.ts';
import type { Logger } from '../runtime/logger.ts';
import { createTestIssuers, credentialHeaders, DEFAULT_CREDENTIAL, temporaryAccessLogPath, testAccessConfig, type TestCredential, type TestIssuers } from './test-credentials.ts';

export interface RunningSystem {
  gateway: RunningGateway;
  mocks: Record<SystemId, RunningMock>;
  subgraphs: Record<SystemId, RunningSubgraph<Adapter>>;
  /**
   * POSTs a GraphQL request to the gateway and returns status and parsed body; by default as the
   * land officer for a land transfer (lib/devkit/test-credentials.ts), `as: null` for an anonymous request.
   */
  query(query: string, variables?: Record<string, unknown>, options?: { as?: TestCredential }): Promise<{ status: number; body: GraphQLBody }>;
  /** Signs test tokens for the identity providers the gateway trusts. */
  issuers: TestIssuers;
  /** Stops one subgraph's server; `restartSubgraph` starts it again on the same port. */
  stopSubgraph(id: SystemId): Promise<void>;
  restartSubgraph(id: SystemId): Promise<void>;
  resetCounters(): void;
  /** Backend requests served since the last reset, per system. */
  backendRequests(): Record<SystemId, number>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * The whole graph in this process: five mock backends, five subgraphs and the gateway, each a
 * real HTTP server on an ephemeral loopback port, wired exactly as `npm start` wires them.
 */
export async function startSystem(
  options: {
    backendTimeoutMs?: number;
    subgraphTimeoutMs?: number;
    /** A deadline for one subgraph only, e.g. a short one for the subgraph a test makes hang. */
    subgraphTimeoutsMs?: Partial<Record<SystemId, number>>;
    /** Cached backend answers per subgraph (default: each system's own, lib/runtime/systems.ts); 0 for a test whose subject is a reference-data outage. */
    backendCacheEntries?: Partial<Record<SystemId, number>>;
    requestTimeoutMs?: number;
    /** Public subgraph answers the gateway keeps (PUBLIC_ANSWER_CACHE_ENTRIES); none by default, so that each test sees every call. */
    publicAnswerEntries?: number;
    /** Bytes of whole public answers the gateway keeps (PUBLIC_RESPONSE_CACHE_BYTES); none by default, for the same reason. */
    publicResponseBytes?: number;
    corsOrigins?: string[];
    resilience?: Partial<ResilienceOptions>;
    limits?: Partial<QueryLimits>;
    production?: boolean;
    /** Where the gateway reaches a subgraph instead of the one started here (e.g. a stand-in that misbehaves). */
    subgraphUrlOverrides?: Partial<Record<SystemId, string>>;
    /** When a connection counts as slow or recently failing, for subgraphs and the gateway alike. */
    liveStatus?: Partial<LiveStatusThresholds>;
    /** How often the gateway's connection board probes each system (default 5 s). */
    probeIntervalMs?: number;
    /** Deadline of one connection probe (3 s by default). */
    probeTimeoutMs?: number;
    /** The gateway's circuit breaker in front of every subgraph, over the defaults (SUBGRAPH_BREAKER_*). */
    subgraphBreaker?: Partial<BreakerOptions>;
    /** How often the status page refreshes its live systems (default 5 s), and its programme view (default 60 s). */
    statusRefreshMs?: number;
    statusProgrammeRefreshMs?: number;
    /** Access control settings over the test defaults (a temporary SQLite log, test credentials). */
    access?: Partial<GatewayAccessConfig> & { databaseUrl?: string };
    /** Where the subgraphs remember the caller assertions they accepted (default: each one's memory). */
    callerReplay?: ReplayStoreConfig;
    /** The gateway's logger (default: the usual one, silent under vitest), e.g. one whose lines a test reads. */
    gatewayLogger?: Logger;
    /** The API key the query page offers in development (`QUERY_PAGE_API_KEY_FILE`); none by default. */
    queryPageApiKey?: string;
  } = {},
): Promise<RunningSystem> {
  const issuers = await createTestIssuers();
  const logFile = temporaryAccessLogPath();
  const { databaseUrl, ...accessOverrides } = options.access ?? {};
  const access = testAccessConfig(issuers.authentication, { sqlitePath: logFile.path, ...(databaseUrl ? { databaseUrl } : {}) }, accessOverrides);
  const liveStatus = { ...DEFAULT_THRESHOLDS, ...options.liveStatus };
  const mocks = {} as Record<SystemId, RunningMock>;
  const subgraphs = {} as Record<SystemId, RunningSubgraph<Adapter>>;
  const startPart = (id: SystemId, port: number) =>
    startSubgraph(SUBGRAPHS[id], {
      backendUrl: mocks[id].url,
      backendTimeoutMs: options.backendTimeoutMs ?? 2000,
      backendCacheEntries: options.backendCacheEntries?.[id] ?? SYSTEMS[id].backendCacheEntries,
      resilience: { ...DEFAULT_RESILIENCE, ...options.resilience },
      liveStatus,
      port,
      host: '127.0.0.1',
      // With access control off (benchmarks), the subgraphs' guard is off too.
      access: { enabled: access.enabled, policy: access.policy, callerSecret: access.callerSecret, ...(options.callerReplay ? { replay: options.callerReplay } : {}) },
    });
  for (const id of SYSTEM_IDS) {
    mocks[id] = await startMockBackend(id, MOCK_HANDLERS[id]());
    subgraphs[id] = await startPart(id, 0);
  }
  const boardOptions = connectionBoardOptions(parseSettings(CONNECTION_BOARD_SETTINGS, {}));
  const gateway = await startGateway(
    {
      supergraphPath: fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url)),
      subgraphUrls: perSystem((id) => options.subgraphUrlOverrides?.[id] ?? `${subgraphs[id].url}/graphql`),
      subgraphTimeoutsMs: perSystem((id) => options.subgraphTimeoutsMs?.[id] ?? options.subgraphTimeoutMs ?? 5000),
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      publicAnswers: { entries: options.publicAnswerEntries ?? 0, bytes: parseSettings({ bytes: PUBLIC_ANSWER_CACHE_BYTES }, {}).bytes },
      publicResponseBytes: options.publicResponseBytes ?? 0,
      limits: { ...parseSettings(QUERY_LIMIT_SETTINGS, {}), ...options.limits },
      port: 0,
      host: '127.0.0.1',
      production: options.production ?? false,
      maxBodyBytes: 1024 * 1024,
      corsOrigins: options.corsOrigins ?? [],
      connections: {
        ...boardOptions,
        ...(options.probeIntervalMs === undefined ? {} : { probeIntervalMs: options.probeIntervalMs }),
        ...(options.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: options.probeTimeoutMs }),
        thresholds: liveStatus,
        subgraphBreakers: perSystem((id) => ({ ...boardOptions.subgraphBreakers[id], ...options.subgraphBreaker })),
      },
      statusRefreshMs: options.statusRefreshMs ?? 5000,
      statusProgrammeRefreshMs: options.statusProgrammeRefreshMs ?? 60_000,
      access,
      ...(options.queryPageApiKey === undefined ? {} : { queryPageApiKey: options.queryPageApiKey }),
    },
    options.gatewayLogger,
  );

  return {
    gateway,
    mocks,
    subgraphs,
    issuers,
    async query(query, variables = {}, queryOptions = {}) {
      const credential = queryOptions.as === undefined ? DEFAULT_CREDENTIAL : queryOptions.as;
      const response = await fetch(gateway.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...credentialHeaders(credential) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLBody };
    },
    stopSubgraph(id) {
      return subgraphs[id].close();
    },
    async restartSubgraph(id) {
      subgraphs[id] = await startPart(id, subgraphs[id].port);
    },
    resetCounters() {
      for (const id of SYSTEM_IDS) mocks[id].resetStats();
    },
    backendRequests() {
      return perSystem((id) => mocks[id].stats().requests);
    },
    async close() {
      await gateway.close();
      for (const id of SYSTEM_IDS) {
        await subgraphs[id].close();
        await mocks[id].close();
      }
      logFile.remove();
    },
  };
}

export const README_PATH = fileURLToPath(new URL('../../README.md', import.meta.url));
