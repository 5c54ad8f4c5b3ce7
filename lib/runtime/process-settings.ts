/**
 * Which settings each process reads (lib/runtime/settings.ts declares them): one schema per process, parsed
 * once at its start. The README's "read by" column is computed from these schemas.
 */
import * as S from './settings.ts';
import { perSystem, SYSTEM_IDS, type SystemId } from './systems.ts';

/** What every service reads: where to listen, how much to log, whether to trace. */
const SERVICE = { host: S.HOST, logLevel: S.LOG_LEVEL, tracing: S.TRACING_SETTINGS };
/** What a service given secrets reads (lib/runtime/process.ts `processEnvironment`). */
export const SECRET_FILES_SETTINGS = { nodeEnv: S.NODE_ENV, files: S.SECRET_FILE_SETTINGS };

/** The gateway's connection board: its probes, and its circuit breaker in front of each subgraph. */
export const CONNECTION_BOARD_SETTINGS = {
  subgraphs: perSystem((id) => {
    const system = S.SYSTEM_SETTINGS[id];
    return {
      url: system.subgraphUrl,
      timeoutMs: system.subgraphTimeoutMs,
      breakerFailures: system.subgraphBreakerFailures,
      breakerHalfOpenMs: system.subgraphBreakerHalfOpenMs,
    };
  }),
  subgraphBreakerMaxHalfOpenMs: S.SUBGRAPH_BREAKER_MAX_HALF_OPEN_MS,
  connections: {
    probeIntervalMs: S.CONNECTION_PROBE_INTERVAL_MS,
    probeTimeoutMs: S.CONNECTION_PROBE_TIMEOUT_MS,
    historySize: S.CONNECTION_HISTORY_SIZE,
    testTimeoutMs: S.CONNECTION_TEST_TIMEOUT_MS,
    thresholds: S.LIVE_STATUS_SETTINGS,
  },
};

export const GATEWAY_SETTINGS = {
  ...SERVICE,
  ...SECRET_FILES_SETTINGS,
  ...CONNECTION_BOARD_SETTINGS,
  port: S.GATEWAY_PORT_SETTING,
  metricsPort: S.GATEWAY_METRICS_PORT,
  supergraphPath: S.SUPERGRAPH_PATH,
  requestTimeoutMs: S.REQUEST_TIMEOUT_MS,
  publicAnswers: { entries: S.PUBLIC_ANSWER_CACHE_ENTRIES, bytes: S.PUBLIC_ANSWER_CACHE_BYTES },
  publicResponseBytes: S.PUBLIC_RESPONSE_CACHE_BYTES,
  limits: S.QUERY_LIMIT_SETTINGS,
  maxBodyBytes: S.MAX_REQUEST_BYTES,
  corsOrigins: S.CORS_ORIGINS,
  statusRefreshMs: S.STATUS_PAGE_REFRESH_MS,
  statusProgrammeRefreshMs: S.STATUS_PAGE_PROGRAMME_REFRESH_MS,
  queryPageApiKeyFile: S.QUERY_PAGE_API_KEY_FILE,
  access: {
    policyFile: S.ACCESS_POLICY_FILE,
    authentication: S.AUTHENTICATION_SETTINGS,
    callerSecret: S.CALLER_ASSERTION_SECRET,
    log: S.ACCESS_LOG_SETTINGS,
    publicDataRequiresCredentials: S.PUBLIC_DATA_REQUIRES_CREDENTIALS,
  },
};

export type GatewaySettings = S.Settings<typeof GATEWAY_SETTINGS>;
export type ConnectionBoardSettings = S.Settings<typeof CONNECTION_BOARD_SETTINGS>;

export const subgraphSettings = (id: SystemId) => {
  const system = S.SYSTEM_SETTINGS[id];
  return {
    ...SERVICE,
    ...SECRET_FILES_SETTINGS,
    port: system.subgraphPort,
    metricsPort: system.subgraphMetricsPort,
    backendUrl: system.backendUrl,
    backendTimeoutMs: system.backendTimeoutMs,
    backendCacheEntries: system.backendCacheEntries,
    resilience: {
      retries: system.backendRetries,
      breakerFailures: system.breakerFailures,
      breakerHalfOpenMs: system.breakerHalfOpenMs,
      breakerMaxHalfOpenMs: system.breakerMaxHalfOpenMs,
    },
    liveStatus: S.LIVE_STATUS_SETTINGS,
    access: { policyFile: S.ACCESS_POLICY_FILE, callerSecret: S.CALLER_ASSERTION_SECRET, replay: S.REPLAY_STORE_SETTINGS },
  };
};
export type SubgraphSettings = S.Settings<ReturnType<typeof subgraphSettings>>;

export const mockBackendSettings = (id: SystemId) => ({ ...SERVICE, port: S.SYSTEM_SETTINGS[id].backendPort });

/** The schema of a deployed service, by its name in docker-compose.yml and deploy/: `gateway`, `<system>`, `mock-<system>`. */
export function deployedServiceSettings(name: string): S.SettingsSchema {
  if (name === 'gateway') return GATEWAY_SETTINGS;
  const mock = name.startsWith('mock-');
  const id = (mock ? name.slice('mock-'.length) : name) as SystemId;
  if (!SYSTEM_IDS.includes(id)) throw new Error(`No service is named ${name}`);
  return mock ? mockBackendSettings(id) : subgraphSettings(id);
}

/**
 * Where the processes of `npm start` listen: the same port and URL settings the services read,
 * so that every CLI that starts or reaches them agrees with them.
 */
export const LAYOUT_SETTINGS = {
  logLevel: S.LOG_LEVEL,
  gatewayPort: S.GATEWAY_PORT_SETTING,
  systems: perSystem((id) => {
    const system = S.SYSTEM_SETTINGS[id];
    return { backendPort: system.backendPort, backendUrl: system.backendUrl, subgraphPort: system.subgraphPort, subgraphUrl: system.subgraphUrl };
  }),
};

export type LayoutSettings = S.Settings<typeof LAYOUT_SETTINGS>;

/** `npm run check-connections`: each backend as its subgraph reaches it. */
export const CHECK_CONNECTIONS_SETTINGS = {
  systems: perSystem((id) => ({ backendUrl: S.SYSTEM_SETTINGS[id].backendUrl, backendTimeoutMs: S.SYSTEM_SETTINGS[id].backendTimeoutMs })),
};

export const START_SETTINGS = { layout: LAYOUT_SETTINGS, restart: S.RESTART_POLICY_SETTINGS };
export const START_SCALED_SETTINGS = { ...START_SETTINGS, requestTimeoutMs: S.REQUEST_TIMEOUT_MS, scaled: S.SCALED_SETTINGS };
export const HEALTH_CHECK_SETTINGS = { host: S.HOST, layout: LAYOUT_SETTINGS };
export const AUDIT_VERIFY_SETTINGS = { ...SECRET_FILES_SETTINGS, log: S.ACCESS_LOG_SETTINGS };
export const BENCH_SETTINGS = {
  layout: LAYOUT_SETTINGS,
  basePort: S.BENCH_PORT,
  seconds: S.BENCH_SECONDS,
  connections: S.BENCH_CONNECTIONS,
  warmUpSeconds: S.BENCH_WARM_UP_SECONDS,
  startups: S.BENCH_STARTUPS,
};
export const BENCH_FLOOR_SETTINGS = { ...BENCH_SETTINGS, floorPort: S.BENCH_FLOOR_PORT };
export const BENCH_SOAK_SETTINGS = { layout: LAYOUT_SETTINGS, basePort: S.BENCH_PORT, soak: S.SOAK_SETTINGS };
export const BENCH_ACCESS_SETTINGS = { seconds: S.BENCH_SECONDS };
export const BENCH_COMPARE_SETTINGS = { seconds: S.BENCH_SECONDS, connections: S.BENCH_CONNECTIONS, warmUpSeconds: S.BENCH_WARM_UP_SECONDS, basePort: S.BENCH_COMPARE_PORT };
export const BENCH_COMPARE_GATEWAY_SETTINGS = {
  host: S.HOST,
  port: S.GATEWAY_PORT_SETTING,
  gateway: S.BENCH_COMPARE_GATEWAY,
  subgraphUrls: perSystem((id) => ({ url: S.SYSTEM_SETTINGS[id].subgraphUrl })),
};
/** A subgraph without access control (scripts/bench-open-subgraph.ts): its system, then that system's subgraph settings. */
export const BENCH_OPEN_SUBGRAPH_SETTINGS = { system: S.BENCH_OPEN_SUBGRAPH };
export const LOAD_UNDER_FAILURE_SETTINGS = { load: S.LOAD_UNDER_FAILURE_SETTINGS };
export const BENCH_FAULTS_SETTINGS = { faultSeconds: S.FAULT_SECONDS, startupTimeoutMs: S.RESTART_POLICY_SETTINGS.answerTimeoutMs };

/** Every process and the settings it reads, in the order the README names them. */
export const PROCESSES: readonly { name: string; settings: S.SettingsSchema }[] = [
  { name: 'gateway', settings: GATEWAY_SETTINGS },
  ...SYSTEM_IDS.map((id) => ({ name: `${id} subgraph`, settings: subgraphSettings(id) })),
  ...SYSTEM_IDS.map((id) => ({ name: `${id} mock backend`, settings: mockBackendSettings(id) })),
  { name: 'npm start', settings: START_SETTINGS },
  { name: 'npm run start:scaled', settings: START_SCALED_SETTINGS },
  { name: 'npm run check-connections', settings: CHECK_CONNECTIONS_SETTINGS },
  { name: 'npm run audit:verify', settings: AUDIT_VERIFY_SETTINGS },
  { name: "the image's health check", settings: HEALTH_CHECK_SETTINGS },
  { name: 'npm run bench', settings: BENCH_SETTINGS },
  { name: 'npm run bench:floor', settings: BENCH_FLOOR_SETTINGS },
  { name: 'npm run bench:soak', settings: BENCH_SOAK_SETTINGS },
  { name: 'npm run bench:access', settings: BENCH_ACCESS_SETTINGS },
  { name: 'npm run bench:compare', settings: BENCH_COMPARE_SETTINGS },
  { name: 'scripts/bench-compare-gateway.ts', settings: BENCH_COMPARE_GATEWAY_SETTINGS },
  { name: 'scripts/bench-open-subgraph.ts', settings: BENCH_OPEN_SUBGRAPH_SETTINGS },
  { name: 'npm run bench:failure', settings: LOAD_UNDER_FAILURE_SETTINGS },
  { name: 'npm run bench:faults', settings: BENCH_FAULTS_SETTINGS },
];
