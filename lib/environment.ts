import { DEFAULT_RESILIENCE, DEFAULT_SUBGRAPH_BREAKER } from './resilience.ts';
import { defaultBackendUrl, defaultSubgraphUrl, GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from './systems.ts';

/**
 * Every environment variable the services read, with its default. The README's configuration
 * table and docker-compose.yml are checked against this list by the tests.
 */
export interface EnvironmentVariable {
  name: string;
  readBy: string;
  default: string;
  description: string;
}

export const ENVIRONMENT_VARIABLES: EnvironmentVariable[] = [
  { name: 'HOST', readBy: 'every service', default: '127.0.0.1', description: 'Address to listen on; 0.0.0.0 in containers.' },
  { name: 'LOG_LEVEL', readBy: 'every service', default: 'info (warn under npm start)', description: 'pino log level: fatal, error, warn, info, debug, silent.' },
  { name: 'NODE_ENV', readBy: 'gateway', default: '(unset)', description: '`production` turns introspection and "did you mean" suggestions off.' },
  { name: 'GATEWAY_PORT', readBy: 'gateway', default: String(GATEWAY_PORT), description: 'Port of the gateway.' },
  { name: 'SUPERGRAPH_PATH', readBy: 'gateway', default: 'schema/supergraph.graphql', description: 'Composed supergraph the gateway serves.' },
  { name: 'REQUEST_TIMEOUT_MS', readBy: 'gateway', default: '10000', description: 'Deadline of a whole client request: no subgraph call starts or stays open past it.' },
  { name: 'SUBGRAPH_TIMEOUT_MS', readBy: 'gateway', default: '5000', description: 'Deadline of one gateway → subgraph call, for every subgraph without its own `<SYSTEM>_SUBGRAPH_TIMEOUT_MS`.' },
  { name: 'SUBGRAPH_BREAKER_FAILURES', readBy: 'gateway', default: String(DEFAULT_SUBGRAPH_BREAKER.failures), description: 'Consecutive failed gateway → subgraph calls (refused, dropped, HTTP error, no answer within the subgraph\'s deadline; not a timeout at the client request\'s own deadline) that open the gateway\'s circuit to that subgraph: its fields then fail at once as SYSTEM_UNAVAILABLE, for every subgraph without its own `<SYSTEM>_SUBGRAPH_BREAKER_FAILURES`.' },
  { name: 'SUBGRAPH_BREAKER_HALF_OPEN_MS', readBy: 'gateway', default: String(DEFAULT_SUBGRAPH_BREAKER.halfOpenMs), description: 'How long the gateway\'s open circuit to a subgraph refuses calls before one trial call (a client\'s, or the next connection probe), for every subgraph without its own `<SYSTEM>_SUBGRAPH_BREAKER_HALF_OPEN_MS`.' },
  { name: 'SUBGRAPH_BREAKER_MAX_HALF_OPEN_MS', readBy: 'gateway', default: String(DEFAULT_SUBGRAPH_BREAKER.maxHalfOpenMs), description: 'When larger than the half-open wait, each failed trial call to a subgraph doubles the wait up to this.' },
  { name: 'CORS_ORIGINS', readBy: 'gateway', default: '(none)', description: 'Comma-separated browser origins of portals allowed to call the gateway, e.g. `https://dichvucong.gov.vn`.' },
  { name: 'MAX_REQUEST_BYTES', readBy: 'gateway', default: '1048576', description: 'Largest accepted request body.' },
  { name: 'MAX_QUERY_DEPTH', readBy: 'gateway', default: '12', description: 'Deepest field nesting accepted in a query.' },
  { name: 'MAX_QUERY_ALIASES', readBy: 'gateway', default: '30', description: 'Most aliases accepted in one query.' },
  { name: 'MAX_QUERY_COST', readBy: 'gateway', default: '5000', description: 'Highest static cost accepted for one query (graphql-armor cost limit).' },
  { name: 'MAX_QUERY_TOKENS', readBy: 'gateway', default: '2000', description: 'Most lexical tokens accepted in one document.' },
  { name: 'MAX_QUERY_DIRECTIVES', readBy: 'gateway', default: '50', description: 'Most directives accepted in one query.' },
  { name: 'MAX_LIST_ITEMS', readBy: 'gateway', default: '100', description: 'Largest list accepted in any argument or variable.' },
  { name: 'MAX_LIST_ITEMS_PER_REQUEST', readBy: 'gateway', default: '500', description: 'Most list items all the arguments of one query may carry together, counted at every aliased field.' },
  { name: 'MAX_QUERY_FIELDS', readBy: 'gateway', default: '500', description: 'Most fields accepted in one document, each fragment spread counted as the fields it brings; checked before validation.' },
  { name: 'MAX_QUERY_SELECTIONS', readBy: 'gateway', default: '100', description: 'Most selections (fields, fragment spreads, inline fragments) written in one selection set; checked before validation.' },
  { name: 'MAX_QUERY_FIELD_REPEATS', readBy: 'gateway', default: '100', description: 'Most times one field (one response name) may be selected at the same place, through fragments too; checked before validation.' },
  { name: 'MAX_QUERY_FIELD_PAIRS', readBy: 'gateway', default: '5000', description: 'Most pairs of fields selected under the same name at the same place, all places together (what graphql-js compares pairwise); checked before validation.' },
  { name: 'CONNECTION_PROBE_INTERVAL_MS', readBy: 'gateway', default: '5000', description: 'How often the connection board probes each system (gateway → subgraph `/ready` → backend).' },
  { name: 'CONNECTION_PROBE_TIMEOUT_MS', readBy: 'gateway', default: '3000', description: 'Deadline of one probe; a probe that takes longer finds the subgraph DOWN.' },
  { name: 'CONNECTION_HISTORY_SIZE', readBy: 'gateway', default: '720', description: 'Probes kept per system for `history` and `uptime` (720 × 5 s = 1 hour).' },
  { name: 'CONNECTION_TEST_TIMEOUT_MS', readBy: 'gateway', default: '15000', description: 'Deadline of one `testConnection`, every check included.' },
  { name: 'CONNECTION_SLOW_MS', readBy: 'gateway, every subgraph', default: '1000', description: 'A probe slower than this makes a connection DEGRADED.' },
  { name: 'CONNECTION_FAILURE_WINDOW_MS', readBy: 'gateway, every subgraph', default: '60000', description: 'A failed real call this recent makes a connection DEGRADED; also the window of the `traffic` counts.' },
  { name: 'STATUS_PAGE_REFRESH_MS', readBy: 'gateway', default: '5000', description: 'How often the status page (`/status`) refreshes its live systems.' },
  { name: 'STATUS_PAGE_PROGRAMME_REFRESH_MS', readBy: 'gateway', default: '60000', description: 'How often the status page asks again for the programme view (at once again while it is not shown whole); it changes only when a report is published.' },
  { name: 'ACCESS_POLICY_FILE', readBy: 'gateway, every subgraph', default: 'policy/access-policy.json', description: 'Access policy: which agency may read which personal fields for which purpose (docs/ACCESS.md).' },
  { name: 'AUTH_ISSUERS_FILE', readBy: 'gateway', default: '(none: no token accepted)', description: 'JSON list of trusted token issuers: `issuer`, `subjects` (`officer` or `citizen`), public `jwks` or `jwksFile`, `algorithms`.' },
  { name: 'API_KEYS_FILE', readBy: 'gateway', default: '(none: no API key accepted)', description: 'JSON list of API keys (`keyHash`: SHA-256 hex; plain `key` only outside production) with `agency`, `officer`, `roles`.' },
  { name: 'AUTH_AUDIENCE', readBy: 'gateway', default: 'lien-thong', description: 'Audience (`aud`) every accepted token must name.' },
  { name: 'AUTH_CLOCK_TOLERANCE_S', readBy: 'gateway', default: '30', description: 'Clock skew allowed on token times, at most 300 s.' },
  { name: 'CALLER_ASSERTION_SECRET', readBy: 'gateway, every subgraph', default: '(required; `npm start` makes one)', description: 'Shared secret (32+ characters) with which the gateway signs the verified caller for the subgraphs; a subgraph without it refuses all personal data.' },
  { name: 'CALLER_REPLAY_DATABASE_URL', readBy: 'every subgraph', default: '(unset: this process\'s memory)', description: 'PostgreSQL connection string where a subgraph records each caller assertion it accepts, so that a captured one is refused by every instance and after a restart. Required when a subgraph runs as several instances: all of them must name the same database. Unreachable, personal data is refused (503 `REPLAY_STORE_UNAVAILABLE`).' },
  { name: 'CALLER_REPLAY_CLOCK_SKEW_MS', readBy: 'every subgraph', default: '0', description: 'Without `CALLER_REPLAY_DATABASE_URL`: how far the gateway\'s clock may run ahead of the subgraph\'s; assertions issued before the subgraph started, plus this, are refused (so a restart cannot be used to replay). 0 when they share a host; at most 60000.' },
  { name: 'ACCESS_LOG_KEY', readBy: 'gateway, npm run audit:verify', default: '(required; `npm start` makes one)', description: 'HMAC key (32+ characters) of the access log\'s hash chain.' },
  { name: 'ACCESS_LOG_PATH', readBy: 'gateway, npm run audit:verify', default: 'var/access-log.sqlite', description: 'SQLite file of the access log, when `DATABASE_URL` is not set.' },
  { name: 'DATABASE_URL', readBy: 'gateway, npm run audit:verify', default: '(unset: SQLite)', description: 'PostgreSQL connection string for the access log, for several gateway instances.' },
  { name: 'PUBLIC_DATA_REQUIRES_CREDENTIALS', readBy: 'gateway', default: 'false', description: '`true`: programme statistics and connection status need a credential too.' },
  { name: 'BENCH_SECONDS', readBy: 'npm run bench, npm run bench:access', default: '10', description: 'Duration of each load run of the benchmarks.' },
  { name: 'BENCH_STARTUPS', readBy: 'npm run bench', default: '3', description: 'How many times the benchmark times `npm start`.' },
  { name: 'LOAD_SECONDS', readBy: 'npm run bench:failure', default: '30', description: 'Duration of the load run under failure.' },
  { name: 'LOAD_FLAPPING_SYSTEM', readBy: 'npm run bench:failure', default: 'land', description: 'System whose mock backend flaps between `down` and `ok` every 2 s during the load run; `none` for a baseline.' },
  { name: 'FAULT_SECONDS', readBy: 'npm run bench:faults', default: '15', description: 'How long each access-log store fault lasts in the fault benchmark.' },
  { name: 'STARTUP_TIMEOUT_MS', readBy: 'npm start', default: '90000', description: 'How long `npm start` waits for every process to answer, at start and after each restart (one that does not answer in time after a restart is killed, which counts as a crash).' },
  { name: 'RESTART_DELAY_MS', readBy: 'npm start', default: '500', description: 'Delay before `npm start` restarts a crashed process; it doubles with each crash in a row, up to `RESTART_MAX_DELAY_MS`.' },
  { name: 'RESTART_MAX_DELAY_MS', readBy: 'npm start', default: '10000', description: 'Longest delay before a restart.' },
  { name: 'RESTART_RESET_AFTER_MS', readBy: 'npm start', default: '30000', description: 'A process that stayed up this long before it crashed is restarted after `RESTART_DELAY_MS` again.' },
  { name: 'RESTART_LIMIT_CRASHES', readBy: 'npm start', default: '5', description: 'After this many crashes of one process within `RESTART_LIMIT_WINDOW_MS`, `npm start` gives up restarting it and keeps the others running (it stops all if that process is the gateway).' },
  { name: 'RESTART_LIMIT_WINDOW_MS', readBy: 'npm start', default: '60000', description: 'Window in which `RESTART_LIMIT_CRASHES` crashes make `npm start` give up on a process.' },
  ...SYSTEM_IDS.flatMap((id) => {
    const { envPrefix, subgraphPort, backendPort } = SYSTEMS[id];
    return [
      { name: `${envPrefix}_SUBGRAPH_URL`, readBy: 'gateway', default: defaultSubgraphUrl(id), description: `Where the gateway reaches the ${id} subgraph.` },
      { name: `${envPrefix}_SUBGRAPH_TIMEOUT_MS`, readBy: 'gateway', default: '`SUBGRAPH_TIMEOUT_MS`', description: `Deadline of one gateway → ${id} subgraph call.` },
      { name: `${envPrefix}_SUBGRAPH_BREAKER_FAILURES`, readBy: 'gateway', default: '`SUBGRAPH_BREAKER_FAILURES`', description: `Consecutive failed gateway → ${id} subgraph calls that open the gateway's circuit to it.` },
      { name: `${envPrefix}_SUBGRAPH_BREAKER_HALF_OPEN_MS`, readBy: 'gateway', default: '`SUBGRAPH_BREAKER_HALF_OPEN_MS`', description: `How long the gateway's open circuit to the ${id} subgraph refuses calls before one trial call.` },
      { name: `${envPrefix}_SUBGRAPH_PORT`, readBy: `${id} subgraph`, default: String(subgraphPort), description: `Port of the ${id} subgraph.` },
      { name: `${envPrefix}_BACKEND_URL`, readBy: `${id} subgraph`, default: defaultBackendUrl(id), description: `Base URL of the ${id} backend: point it at the real system.` },
      { name: `${envPrefix}_BACKEND_TIMEOUT_MS`, readBy: `${id} subgraph`, default: '2000', description: `Deadline of one call to the ${id} backend, retries included.` },
      { name: `${envPrefix}_BACKEND_RETRIES`, readBy: `${id} subgraph`, default: String(DEFAULT_RESILIENCE.retries), description: `Extra attempts after a transient failure of a read from the ${id} backend (0: none).` },
      { name: `${envPrefix}_BREAKER_FAILURES`, readBy: `${id} subgraph`, default: String(DEFAULT_RESILIENCE.breakerFailures), description: `Consecutive failed attempts (retries included) that open the ${id} backend's circuit.` },
      { name: `${envPrefix}_BREAKER_HALF_OPEN_MS`, readBy: `${id} subgraph`, default: String(DEFAULT_RESILIENCE.breakerHalfOpenMs), description: `How long the open circuit refuses calls before one trial call to the ${id} backend.` },
      { name: `${envPrefix}_BREAKER_MAX_HALF_OPEN_MS`, readBy: `${id} subgraph`, default: String(DEFAULT_RESILIENCE.breakerMaxHalfOpenMs), description: `When larger than the half-open wait, each failed trial doubles the wait up to this, to spare the ${id} backend during a long outage.` },
      { name: `${envPrefix}_BACKEND_PORT`, readBy: `${id} mock backend`, default: String(backendPort), description: `Port of the ${id} mock backend.` },
    ];
  }),
];
