/**
 * Every setting a process of this repository reads from its environment, declared once: its
 * variable, its type (a zod schema of the variable's text), its default, its meaning. Each process
 * (the gateway, a subgraph, a mock backend, every CLI) names the settings it reads in a schema of
 * its own (lib/runtime/process-settings.ts) and parses its environment once at start with `parseSettings`:
 * a typed object, or one `SettingsError` naming every invalid variable. The README's configuration
 * table is printed from these declarations (`npm run docs:settings`).
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { GATEWAY_PORT, perSystem, SYSTEM_IDS, SYSTEMS, type SystemId } from './systems.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads another setting while computing a default (e.g. a URL from a port). */
export type ReadSetting = <T>(setting: Setting<T>) => T;

export type SettingDefault<T> =
  /** `shown`: how the README shows it, when not the value itself (e.g. a path beside the code). */
  | { readonly value: T; readonly shown?: string }
  | { readonly shown: string; readonly compute: (read: ReadSetting) => T }
  /** No default: the process refuses to start without it. */
  | { readonly shown: string; readonly required: true };

export interface Setting<T> {
  readonly name: string;
  /** Parses the variable's text (never empty: an empty variable is an unset one). */
  readonly schema: z.ZodType<T>;
  /** What a valid value is, in the words of the error that refuses another. */
  readonly expected: string;
  readonly default: SettingDefault<T>;
  readonly description: string;
  /** A secret: an error tells its length, never its value. */
  readonly secret?: boolean;
  /** The library that reads the variable inside the processes (the OpenTelemetry SDK), for the README. */
  readonly readThrough?: string;
}

/** How one kind of value is written and checked. */
export interface SettingKind<T> {
  schema: z.ZodType<T>;
  expected: string;
}

/** Node's timers take at most this many milliseconds; a larger delay silently becomes 1 ms. */
export const LONGEST_TIMER_MS = 2_147_483_647;

const digits = z.string().trim().regex(/^\d+$/).transform(Number);

export const kinds = {
  /** A count or a limit: `min` 0 when 0 makes sense (no retry, no cache). */
  integer: (min: number, max: number = LONGEST_TIMER_MS): SettingKind<number> => ({
    schema: digits.pipe(z.number().int().min(min).max(max)),
    expected: `an integer from ${min} to ${max}`,
  }),
  /** A deadline or a delay, which must fit a Node timer. */
  milliseconds: (): SettingKind<number> => kinds.integer(1),
  /** A TCP port; 0 asks the system for a free one. */
  port: (min = 0): SettingKind<number> => ({ schema: digits.pipe(z.number().int().min(min).max(65_535)), expected: `a port from ${min} to 65535` }),
  text: (): SettingKind<string> => ({ schema: z.string(), expected: 'any text' }),
  path: (): SettingKind<string> => ({ schema: z.string().trim().min(1), expected: 'a file path' }),
  url: (protocols: readonly string[], example: string): SettingKind<string> => ({
    schema: z
      .string()
      .trim()
      .refine((text) => protocols.includes(URL.parse(text)?.protocol.slice(0, -1) ?? '')),
    expected: `${protocols.map((p, i) => (i === 0 ? `a${/^[aeiouh]/.test(p) ? 'n' : ''} ${p}` : p)).join(' or ')} URL, e.g. ${example}`,
  }),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T): SettingKind<T[number]> => ({
    schema: z.enum(values),
    expected: `one of ${values.join(', ')}`,
  }),
  flag: (): SettingKind<boolean> => ({
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', 'false']))
      .transform((text) => text === 'true'),
    expected: 'true or false',
  }),
  /** At least `minLength` characters, e.g. an HMAC key. */
  secret: (minLength: number): SettingKind<string> => ({ schema: z.string().min(minLength), expected: `at least ${minLength} characters` }),
  /** `a,b , c`: the items, trimmed, empty ones dropped. */
  list: <T>(item: SettingKind<T>): SettingKind<T[]> => ({
    schema: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== ''),
      )
      .pipe(z.array(item.schema as z.ZodType<T, string>)),
    expected: `a comma-separated list, each ${item.expected}`,
  }),
};

interface Declaration<T> {
  kind: SettingKind<T>;
  default: SettingDefault<T>;
  description: string;
  secret?: boolean;
  readThrough?: string;
}

const declared: Setting<unknown>[] = [];
/** Every setting, in the order declared here: the README's order. */
export const DECLARED_SETTINGS: readonly Setting<unknown>[] = declared;

export function setting<T>(name: string, declaration: Declaration<T>): Setting<T> {
  const { kind, ...rest } = declaration;
  const result: Setting<T> = { name, schema: kind.schema, expected: kind.expected, ...rest };
  declared.push(result as Setting<unknown>);
  return result;
}

/** A setting that may stay unset: `undefined` then, described by `shown`. */
function optional<T>(kind: SettingKind<T>, shown: string): { kind: SettingKind<T | undefined>; default: SettingDefault<T | undefined> } {
  return { kind: kind as SettingKind<T | undefined>, default: { value: undefined, shown } };
}
const fixed = <T>(value: T, shown?: string): SettingDefault<T> => (shown === undefined ? { value } : { value, shown });
const from = <T>(shown: string, compute: (read: ReadSetting) => T): SettingDefault<T> => ({ shown, compute });

// ————— Defaults that code elsewhere needs as values (tests, the build, other defaults). —————

/** schema/supergraph.graphql beside the code, so that it is found from any working directory, and from dist/ once compiled. */
export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));
/** policy/access-policy.json beside the code, as the supergraph. */
export const DEFAULT_ACCESS_POLICY_FILE = fileURLToPath(new URL('../../policy/access-policy.json', import.meta.url));
export const DEFAULT_ACCESS_LOG_PATH = 'var/access-log.sqlite';
/** The shortest HMAC key of the access log's chain, and caller-assertion secret. */
export const MIN_CHAIN_KEY_LENGTH = 32;
export const MIN_CALLER_SECRET_LENGTH = 32;
export const DEFAULT_AUDIENCE = 'lien-thong';
export const DEFAULT_CLOCK_TOLERANCE_SEC = 30;
export const MAX_CLOCK_TOLERANCE_SEC = 300;
/** The largest `CALLER_REPLAY_CLOCK_SKEW_MS`: more would be a clock problem to fix, not to allow for. */
export const MAX_CALLER_REPLAY_CLOCK_SKEW_MS = 60_000;
export const DEFAULT_GATEWAY_REPLICAS = 3;
/** Replica i (1-based) listens on 4010 + i by default: above `npm start`'s gateway (4000), subgraphs (4001 on, below 4009) and HAProxy's statistics (4009), below the backends (4101 on). */
export const DEFAULT_REPLICA_BASE_PORT = 4010;
export const DEFAULT_HAPROXY_STATS_PORT = 4009;
/** The gateway's circuit breaker in front of each subgraph. */
export const DEFAULT_SUBGRAPH_BREAKER = { failures: 5, halfOpenMs: 1000, maxHalfOpenMs: 1000 } as const;
/** The subgraph's retries and circuit breaker in front of its backend. */
export const DEFAULT_BACKEND_RESILIENCE = { retries: 2, breakerFailures: 5, breakerHalfOpenMs: 1000, breakerMaxHalfOpenMs: 1000 } as const;
/** When a connection is DEGRADED: a probe slower than `slowMs`, a failure within `failureWindowMs`. */
export const DEFAULT_LIVE_STATUS_THRESHOLDS = { slowMs: 1000, failureWindowMs: 60_000 } as const;

// ————— Every service —————

export const HOST = setting('HOST', { kind: kinds.text(), default: fixed('127.0.0.1'), description: 'Address to listen on; 0.0.0.0 in containers.' });
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_LEVEL = setting('LOG_LEVEL', {
  kind: kinds.oneOf(LOG_LEVELS),
  default: from('info (warn under npm start)', (read) => (read(NODE_ENV) === 'test' ? 'silent' : 'info')),
  description: 'pino log level: fatal, error, warn, info, debug, trace, silent.',
});
export const NODE_ENV = setting('NODE_ENV', {
  ...optional(kinds.text(), '(unset)'),
  description:
    '`production` turns introspection and "did you mean" suggestions off, refuses plain API keys and the development credentials of `.dev/`, and the query page then offers no credential.',
});

// ————— The gateway —————

export const GATEWAY_PORT_SETTING = setting('GATEWAY_PORT', { kind: kinds.port(), default: fixed(GATEWAY_PORT), description: 'Port of the gateway.' });
export const GATEWAY_METRICS_PORT = setting('GATEWAY_METRICS_PORT', {
  ...optional(kinds.port(), '(unset: `/metrics` on `GATEWAY_PORT`)'),
  description: 'Port on which the gateway serves Prometheus `/metrics` alone (and not on `GATEWAY_PORT`): in production, one only the monitoring network reaches.',
});
export const SUPERGRAPH_PATH = setting('SUPERGRAPH_PATH', {
  kind: kinds.path(),
  default: fixed(DEFAULT_SUPERGRAPH_PATH, 'schema/supergraph.graphql (beside the code: dist/schema/… once built)'),
  description: 'Composed supergraph the gateway serves.',
});
export const REQUEST_TIMEOUT_MS = setting('REQUEST_TIMEOUT_MS', {
  kind: kinds.milliseconds(),
  default: fixed(10_000),
  description: 'Deadline of a whole client request: no subgraph call starts or stays open past it.',
});
export const PUBLIC_ANSWER_CACHE_ENTRIES = setting('PUBLIC_ANSWER_CACHE_ENTRIES', {
  kind: kinds.integer(0),
  default: fixed(1000),
  description:
    'Subgraph answers the gateway keeps as a shared cache, each for as long as its `Cache-Control: public, max-age` allows (RFC 9111): a subgraph marks only answers to operations without personal data built from cacheable backend answers (reference data: province names, agencies). The least recently used goes first; 0: none.',
});
export const PUBLIC_ANSWER_CACHE_BYTES = setting('PUBLIC_ANSWER_CACHE_BYTES', {
  kind: kinds.integer(1),
  // Apollo Server's own in-memory cache (InMemoryLRUCache) holds at most 30 MiB.
  default: fixed(30 * 1024 * 1024, '31457280 (30 MiB)'),
  description:
    'Bytes the answers of `PUBLIC_ANSWER_CACHE_ENTRIES` may take together (each counted as its subgraph URL and request body, and its answer body and content type, in UTF-8): past it the least recently used go first, and an answer larger than the whole budget is not kept.',
});
export const PUBLIC_RESPONSE_CACHE_BYTES = setting('PUBLIC_RESPONSE_CACHE_BYTES', {
  kind: kinds.integer(0),
  default: fixed(30 * 1024 * 1024, '31457280 (30 MiB)'),
  description:
    "Bytes of whole answers to public queries the gateway keeps (Apollo Server's full response cache), each for as long as every subgraph answer in it may be kept and served to whoever asks the same query with the same variables: never an operation that reads personal data, one that asks the gateway's own live state (connections, access log), or while a subgraph's circuit is open. Each counted as its key and its JSON in UTF-8; past it the least recently used go first. 0: none.",
});
export const SUBGRAPH_TIMEOUT_MS = setting('SUBGRAPH_TIMEOUT_MS', {
  kind: kinds.milliseconds(),
  default: fixed(5000),
  description: 'Deadline of one gateway → subgraph call, for every subgraph without its own `<SYSTEM>_SUBGRAPH_TIMEOUT_MS`.',
});
export const SUBGRAPH_BREAKER_FAILURES = setting('SUBGRAPH_BREAKER_FAILURES', {
  kind: kinds.integer(1),
  default: fixed<number>(DEFAULT_SUBGRAPH_BREAKER.failures),
  description:
    "Consecutive failed gateway → subgraph calls (refused, dropped, HTTP error, no answer within the subgraph's deadline; not a timeout at the client request's own deadline) that open the gateway's circuit to that subgraph: its fields then fail at once as SYSTEM_UNAVAILABLE, for every subgraph without its own `<SYSTEM>_SUBGRAPH_BREAKER_FAILURES`.",
});
export const SUBGRAPH_BREAKER_HALF_OPEN_MS = setting('SUBGRAPH_BREAKER_HALF_OPEN_MS', {
  kind: kinds.milliseconds(),
  default: fixed<number>(DEFAULT_SUBGRAPH_BREAKER.halfOpenMs),
  description:
    "How long the gateway's open circuit to a subgraph refuses calls before one trial call (a client's, or the next connection probe), for every subgraph without its own `<SYSTEM>_SUBGRAPH_BREAKER_HALF_OPEN_MS`.",
});
export const SUBGRAPH_BREAKER_MAX_HALF_OPEN_MS = setting('SUBGRAPH_BREAKER_MAX_HALF_OPEN_MS', {
  kind: kinds.milliseconds(),
  default: fixed<number>(DEFAULT_SUBGRAPH_BREAKER.maxHalfOpenMs),
  description: 'When larger than the half-open wait, each failed trial call to a subgraph doubles the wait up to this.',
});
export const CORS_ORIGINS = setting('CORS_ORIGINS', {
  kind: kinds.list(kinds.url(['http', 'https'], 'https://dichvucong.gov.vn')),
  default: fixed<string[]>([], '(none)'),
  description: 'Comma-separated browser origins of portals allowed to call the gateway, e.g. `https://dichvucong.gov.vn`.',
});
export const MAX_REQUEST_BYTES = setting('MAX_REQUEST_BYTES', { kind: kinds.integer(1), default: fixed(1024 * 1024), description: 'Largest accepted request body.' });

const limit = (name: string, value: number, description: string) => setting(name, { kind: kinds.integer(1), default: fixed(value), description });
export const QUERY_LIMIT_SETTINGS = {
  maxDepth: limit('MAX_QUERY_DEPTH', 12, 'Deepest field nesting accepted in a query.'),
  maxAliases: limit('MAX_QUERY_ALIASES', 30, 'Most aliases accepted in one query.'),
  maxCost: limit('MAX_QUERY_COST', 5000, 'Highest static cost accepted for one query (graphql-armor cost limit).'),
  maxTokens: limit('MAX_QUERY_TOKENS', 2000, 'Most lexical tokens accepted in one document.'),
  maxDirectives: limit('MAX_QUERY_DIRECTIVES', 50, 'Most directives accepted in one query.'),
  maxListItems: limit('MAX_LIST_ITEMS', 100, 'Largest list accepted in any argument or variable.'),
  maxListItemsPerRequest: limit('MAX_LIST_ITEMS_PER_REQUEST', 500, 'Most list items all the arguments of one query may carry together, counted at every aliased field.'),
  maxFields: limit('MAX_QUERY_FIELDS', 500, 'Most fields accepted in one document, each fragment spread counted as the fields it brings; checked before validation.'),
  maxSelections: limit('MAX_QUERY_SELECTIONS', 100, 'Most selections (fields, fragment spreads, inline fragments) written in one selection set; checked before validation.'),
  maxFieldRepeats: limit(
    'MAX_QUERY_FIELD_REPEATS',
    100,
    'Most times one field (one response name) may be selected at the same place, through fragments too; checked before validation.',
  ),
  maxFieldPairs: limit(
    'MAX_QUERY_FIELD_PAIRS',
    5000,
    'Most pairs of fields selected under the same name at the same place, all places together (what graphql-js compares pairwise); checked before validation.',
  ),
};

export const CONNECTION_PROBE_INTERVAL_MS = setting('CONNECTION_PROBE_INTERVAL_MS', {
  kind: kinds.milliseconds(),
  default: fixed(5000),
  description: 'How often the connection board probes each system (gateway → subgraph `/ready` → backend).',
});
export const CONNECTION_PROBE_TIMEOUT_MS = setting('CONNECTION_PROBE_TIMEOUT_MS', {
  kind: kinds.milliseconds(),
  default: fixed(3000),
  description: 'Deadline of one probe; a probe that takes longer finds the subgraph DOWN.',
});
export const CONNECTION_HISTORY_SIZE = setting('CONNECTION_HISTORY_SIZE', {
  kind: kinds.integer(1),
  default: fixed(720),
  description: 'Probes kept per system for `history` and `uptime` (720 × 5 s = 1 hour).',
});
export const CONNECTION_TEST_TIMEOUT_MS = setting('CONNECTION_TEST_TIMEOUT_MS', {
  kind: kinds.milliseconds(),
  default: fixed(15_000),
  description: 'Deadline of one `testConnection`, every check included.',
});
export const LIVE_STATUS_SETTINGS = {
  slowMs: setting('CONNECTION_SLOW_MS', {
    kind: kinds.milliseconds(),
    default: fixed<number>(DEFAULT_LIVE_STATUS_THRESHOLDS.slowMs),
    description: 'A probe slower than this makes a connection DEGRADED.',
  }),
  failureWindowMs: setting('CONNECTION_FAILURE_WINDOW_MS', {
    kind: kinds.milliseconds(),
    default: fixed<number>(DEFAULT_LIVE_STATUS_THRESHOLDS.failureWindowMs),
    description: 'A failed real call this recent makes a connection DEGRADED; also the window of the `traffic` counts.',
  }),
};
export const STATUS_PAGE_REFRESH_MS = setting('STATUS_PAGE_REFRESH_MS', {
  kind: kinds.milliseconds(),
  default: fixed(5000),
  description: 'How often the status page (`/status`) refreshes its live systems.',
});
export const QUERY_PAGE_API_KEY_FILE = setting('QUERY_PAGE_API_KEY_FILE', {
  ...optional(kinds.path(), '(unset; `npm start`: its development key, `.dev/api-key.secret`)'),
  description:
    'Development only: file holding an API key that the query page (`/graphql` in a browser) puts in its headers editor, with `x-purpose-code: land-transfer` and `x-case-number: HS-2026-0001`. Ignored when `NODE_ENV=production`: the page then offers no credential.',
});
export const STATUS_PAGE_PROGRAMME_REFRESH_MS = setting('STATUS_PAGE_PROGRAMME_REFRESH_MS', {
  kind: kinds.milliseconds(),
  default: fixed(60_000),
  description: 'How often the status page asks again for the programme view (at once again while it is not shown whole); it changes only when a report is published.',
});

// ————— Access control —————

export const ACCESS_POLICY_FILE = setting('ACCESS_POLICY_FILE', {
  kind: kinds.path(),
  default: fixed(DEFAULT_ACCESS_POLICY_FILE, 'policy/access-policy.json'),
  description: 'Access policy: which agency may read which personal fields for which purpose (docs/ACCESS.md).',
});
export const AUTHENTICATION_SETTINGS = {
  issuersFile: setting('AUTH_ISSUERS_FILE', {
    ...optional(kinds.path(), '(none: no token accepted)'),
    description: 'JSON list of trusted token issuers: `issuer`, `subjects` (`officer` or `citizen`), public `jwks` or `jwksFile`, `algorithms`.',
  }),
  apiKeysFile: setting('API_KEYS_FILE', {
    ...optional(kinds.path(), '(none: no API key accepted)'),
    description: 'JSON list of API keys (`keyHash`: SHA-256 hex; plain `key` only outside production) with `agency`, `officer`, `roles`.',
  }),
  audience: setting('AUTH_AUDIENCE', { kind: kinds.text(), default: fixed(DEFAULT_AUDIENCE), description: 'Audience (`aud`) every accepted token must name.' }),
  clockToleranceSec: setting('AUTH_CLOCK_TOLERANCE_S', {
    kind: kinds.integer(0, MAX_CLOCK_TOLERANCE_SEC),
    default: fixed(DEFAULT_CLOCK_TOLERANCE_SEC),
    description: `Clock skew allowed on token times, at most ${MAX_CLOCK_TOLERANCE_SEC} s.`,
  }),
  nodeEnv: NODE_ENV,
};
export const CALLER_ASSERTION_SECRET = setting('CALLER_ASSERTION_SECRET', {
  ...optional(kinds.secret(MIN_CALLER_SECRET_LENGTH), '(required; `npm start` makes one)'),
  secret: true,
  description: 'Shared secret (32+ characters) with which the gateway signs the verified caller for the subgraphs; a subgraph without it refuses all personal data.',
});
export const REPLAY_STORE_SETTINGS = {
  databaseUrl: setting('CALLER_REPLAY_DATABASE_URL', {
    ...optional(kinds.url(['postgres', 'postgresql'], 'postgres://user:password@host:5432/database'), "(unset: this process's memory)"),
    secret: true,
    description:
      'PostgreSQL connection string where a subgraph records each caller assertion it accepts, so that a captured one is refused by every instance and after a restart. Required when a subgraph runs as several instances: all of them must name the same database. Unreachable, personal data is refused (503 `REPLAY_STORE_UNAVAILABLE`).',
  }),
  clockSkewMs: setting('CALLER_REPLAY_CLOCK_SKEW_MS', {
    kind: kinds.integer(0, MAX_CALLER_REPLAY_CLOCK_SKEW_MS),
    default: fixed(0),
    description:
      "Without `CALLER_REPLAY_DATABASE_URL`: how far the gateway's clock may run ahead of the subgraph's; assertions issued before the subgraph started, plus this, are refused (so a restart cannot be used to replay). 0 when they share a host; at most 60000.",
  }),
};
export const ACCESS_LOG_SETTINGS = {
  chainKey: setting('ACCESS_LOG_KEY', {
    kind: kinds.secret(MIN_CHAIN_KEY_LENGTH),
    default: { shown: '(required; `npm start` makes one)', required: true },
    secret: true,
    description: "HMAC key (32+ characters) of the access log's hash chain, e.g. `openssl rand -hex 32`.",
  }),
  sqlitePath: setting('ACCESS_LOG_PATH', {
    kind: kinds.path(),
    default: fixed(DEFAULT_ACCESS_LOG_PATH),
    description: 'SQLite file of the access log, when `DATABASE_URL` is not set.',
  }),
  databaseUrl: setting('DATABASE_URL', {
    ...optional(kinds.url(['postgres', 'postgresql'], 'postgres://user:password@host:5432/database'), '(unset: SQLite)'),
    secret: true,
    description: 'PostgreSQL connection string for the access log, for several gateway instances.',
  }),
};
const secretFile = (name: string, description: string) => setting(`${name}_FILE`, { ...optional(kinds.path(), '(unset)'), description });
/** `<NAME>_FILE`: a file holding `<NAME>` (lib/runtime/process.ts `secretsFromFiles`). */
export const SECRET_FILE_SETTINGS = {
  CALLER_ASSERTION_SECRET: secretFile('CALLER_ASSERTION_SECRET', 'File holding `CALLER_ASSERTION_SECRET` (Docker/Compose secrets, Kubernetes Secret volumes); set one of the two.'),
  ACCESS_LOG_KEY: secretFile('ACCESS_LOG_KEY', 'File holding `ACCESS_LOG_KEY`; set one of the two.'),
  DATABASE_URL: secretFile('DATABASE_URL', 'File holding `DATABASE_URL` (it carries the database password); set one of the two.'),
  CALLER_REPLAY_DATABASE_URL: secretFile('CALLER_REPLAY_DATABASE_URL', 'File holding `CALLER_REPLAY_DATABASE_URL`; set one of the two.'),
};
export const PUBLIC_DATA_REQUIRES_CREDENTIALS = setting('PUBLIC_DATA_REQUIRES_CREDENTIALS', {
  kind: kinds.flag(),
  default: fixed(false),
  description: '`true`: programme statistics and connection status need a credential too.',
});

// ————— Tracing (the standard OpenTelemetry variables) —————

const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const OTLP_PROTOCOL = setting('OTEL_EXPORTER_OTLP_PROTOCOL', {
  kind: { schema: z.enum(OTLP_PROTOCOLS), expected: 'http/protobuf or http/json (gRPC is not exported)' },
  default: fixed<(typeof OTLP_PROTOCOLS)[number]>('http/protobuf'),
  description: '`http/protobuf` or `http/json` (gRPC is refused at start); `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` wins over it.',
});
const sdkOnly = (name: string, shown: string, description: string) => setting(name, { ...optional(kinds.text(), shown), description, readThrough: 'OpenTelemetry SDK' });
export const TRACING_SETTINGS = {
  disabled: setting('OTEL_SDK_DISABLED', { kind: kinds.flag(), default: fixed(false), description: '`true` keeps tracing off even with an endpoint set.' }),
  endpoint: setting('OTEL_EXPORTER_OTLP_ENDPOINT', {
    ...optional(kinds.url(['http', 'https'], 'http://127.0.0.1:4318'), '(unset: tracing off, no SDK loaded)'),
    description: 'Base URL of an OTLP/HTTP receiver (an OpenTelemetry Collector, Jaeger, Tempo), e.g. `http://127.0.0.1:4318`: turns tracing on; spans go to `<URL>/v1/traces`.',
  }),
  tracesEndpoint: setting('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', {
    ...optional(kinds.url(['http', 'https'], 'http://127.0.0.1:4318/v1/traces'), '(unset)'),
    description: 'Full URL spans are sent to, used as it is; turns tracing on too, and wins over `OTEL_EXPORTER_OTLP_ENDPOINT`.',
  }),
  protocol: OTLP_PROTOCOL,
  tracesProtocol: setting('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', {
    kind: { schema: z.enum(OTLP_PROTOCOLS), expected: OTLP_PROTOCOL.expected },
    default: from('`OTEL_EXPORTER_OTLP_PROTOCOL`', (read) => read(OTLP_PROTOCOL)),
    description: 'Protocol of the trace exporter alone.',
  }),
  serviceName: setting('OTEL_SERVICE_NAME', {
    ...optional(kinds.text(), 'the process: `gateway`, `<system>-subgraph`, `<system>-mock-backend`'),
    description: 'Service name of the spans; leave it unset under `npm start`, where it would name every process alike.',
  }),
  headers: sdkOnly('OTEL_EXPORTER_OTLP_HEADERS', '(none)', 'Headers sent with every export, `key=value,key2=value2` (an API key of a hosted backend).'),
  resourceAttributes: sdkOnly('OTEL_RESOURCE_ATTRIBUTES', '(none)', 'Extra resource attributes of the spans, e.g. `deployment.environment=staging`.'),
  sampler: sdkOnly('OTEL_TRACES_SAMPLER', 'parentbased_always_on', 'Which requests are traced, e.g. `parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG`.'),
  samplerArg: sdkOnly('OTEL_TRACES_SAMPLER_ARG', '(none)', "The sampler's argument: for `parentbased_traceidratio`, the share of new traces kept (0.1 = 10 %)."),
  batchDelay: sdkOnly('OTEL_BSP_SCHEDULE_DELAY', '5000', 'How often, in ms, batched spans are sent.'),
};

// ————— Each system —————

export interface SystemSettings {
  subgraphUrl: Setting<string>;
  subgraphTimeoutMs: Setting<number>;
  subgraphBreakerFailures: Setting<number>;
  subgraphBreakerHalfOpenMs: Setting<number>;
  subgraphPort: Setting<number>;
  subgraphMetricsPort: Setting<number | undefined>;
  backendUrl: Setting<string>;
  backendTimeoutMs: Setting<number>;
  backendCacheEntries: Setting<number>;
  backendRetries: Setting<number>;
  breakerFailures: Setting<number>;
  breakerHalfOpenMs: Setting<number>;
  breakerMaxHalfOpenMs: Setting<number>;
  backendPort: Setting<number>;
}

function declareSystemSettings(id: SystemId): SystemSettings {
  const { envPrefix: prefix, subgraphPort, backendPort, backendCacheEntries } = SYSTEMS[id];
  const subgraphPortSetting = setting(`${prefix}_SUBGRAPH_PORT`, { kind: kinds.port(), default: fixed(subgraphPort), description: `Port of the ${id} subgraph.` });
  const backendPortSetting = setting(`${prefix}_BACKEND_PORT`, { kind: kinds.port(), default: fixed(backendPort), description: `Port of the ${id} mock backend.` });
  return {
    subgraphUrl: setting(`${prefix}_SUBGRAPH_URL`, {
      kind: kinds.url(['http', 'https'], `http://${id}:${subgraphPort}/graphql`),
      default: from(`http://127.0.0.1:${subgraphPort}/graphql`, (read) => `http://127.0.0.1:${read(subgraphPortSetting)}/graphql`),
      description: `Where the gateway reaches the ${id} subgraph; unset, loopback at \`${prefix}_SUBGRAPH_PORT\`.`,
    }),
    subgraphTimeoutMs: setting(`${prefix}_SUBGRAPH_TIMEOUT_MS`, {
      kind: kinds.milliseconds(),
      default: from('`SUBGRAPH_TIMEOUT_MS`', (read) => read(SUBGRAPH_TIMEOUT_MS)),
      description: `Deadline of one gateway → ${id} subgraph call.`,
    }),
    subgraphBreakerFailures: setting(`${prefix}_SUBGRAPH_BREAKER_FAILURES`, {
      kind: kinds.integer(1),
      default: from('`SUBGRAPH_BREAKER_FAILURES`', (read) => read(SUBGRAPH_BREAKER_FAILURES)),
      description: `Consecutive failed gateway → ${id} subgraph calls that open the gateway's circuit to it.`,
    }),
    subgraphBreakerHalfOpenMs: setting(`${prefix}_SUBGRAPH_BREAKER_HALF_OPEN_MS`, {
      kind: kinds.milliseconds(),
      default: from('`SUBGRAPH_BREAKER_HALF_OPEN_MS`', (read) => read(SUBGRAPH_BREAKER_HALF_OPEN_MS)),
      description: `How long the gateway's open circuit to the ${id} subgraph refuses calls before one trial call.`,
    }),
    subgraphPort: subgraphPortSetting,
    subgraphMetricsPort: setting(`${prefix}_SUBGRAPH_METRICS_PORT`, {
      ...optional(kinds.port(), `(unset: \`/metrics\` on \`${prefix}_SUBGRAPH_PORT\`)`),
      description: `Port on which the ${id} subgraph serves Prometheus \`/metrics\` alone.`,
    }),
    backendUrl: setting(`${prefix}_BACKEND_URL`, {
      kind: kinds.url(['http', 'https'], `https://${id}-db.example.gov.vn/api`),
      default: from(`http://127.0.0.1:${backendPort}`, (read) => `http://127.0.0.1:${read(backendPortSetting)}`),
      description: `Base URL of the ${id} backend: point it at the real system; unset, loopback at \`${prefix}_BACKEND_PORT\`.`,
    }),
    backendTimeoutMs: setting(`${prefix}_BACKEND_TIMEOUT_MS`, {
      kind: kinds.milliseconds(),
      default: fixed(2000),
      description: `Deadline of one call to the ${id} backend, retries included.`,
    }),
    backendCacheEntries: setting(`${prefix}_BACKEND_CACHE_ENTRIES`, {
      kind: kinds.integer(0),
      default: fixed(backendCacheEntries),
      description: `Answers of the ${id} backend kept in the subgraph's HTTP cache when the backend marks them cacheable (\`Cache-Control\`, \`ETag\`; RFC 9111); 0: no cache. Reference data only: 0 for the backends of personal data.`,
    }),
    backendRetries: setting(`${prefix}_BACKEND_RETRIES`, {
      kind: kinds.integer(0),
      default: fixed<number>(DEFAULT_BACKEND_RESILIENCE.retries),
      description: `Extra attempts after a transient failure of a read from the ${id} backend (0: none).`,
    }),
    breakerFailures: setting(`${prefix}_BREAKER_FAILURES`, {
      kind: kinds.integer(1),
      default: fixed<number>(DEFAULT_BACKEND_RESILIENCE.breakerFailures),
      description: `Consecutive failed attempts (retries included) that open the ${id} backend's circuit.`,
    }),
    breakerHalfOpenMs: setting(`${prefix}_BREAKER_HALF_OPEN_MS`, {
      kind: kinds.milliseconds(),
      default: fixed<number>(DEFAULT_BACKEND_RESILIENCE.breakerHalfOpenMs),
      description: `How long the open circuit refuses calls before one trial call to the ${id} backend.`,
    }),
    breakerMaxHalfOpenMs: setting(`${prefix}_BREAKER_MAX_HALF_OPEN_MS`, {
      kind: kinds.milliseconds(),
      default: fixed<number>(DEFAULT_BACKEND_RESILIENCE.breakerMaxHalfOpenMs),
      description: `When larger than the half-open wait, each failed trial doubles the wait up to this, to spare the ${id} backend during a long outage.`,
    }),
    backendPort: backendPortSetting,
  };
}

export const SYSTEM_SETTINGS = perSystem(declareSystemSettings);

// ————— npm start, npm run start:scaled —————

export const RESTART_POLICY_SETTINGS = {
  answerTimeoutMs: setting('STARTUP_TIMEOUT_MS', {
    kind: kinds.milliseconds(),
    default: fixed(90_000),
    description:
      'How long `npm start` waits for every process to answer, at start and after each restart (one that does not answer in time after a restart is killed, which counts as a crash).',
  }),
  initialDelayMs: setting('RESTART_DELAY_MS', {
    kind: kinds.milliseconds(),
    default: fixed(500),
    description: 'Delay before `npm start` restarts a crashed process; it doubles with each crash in a row, up to `RESTART_MAX_DELAY_MS`.',
  }),
  maxDelayMs: setting('RESTART_MAX_DELAY_MS', { kind: kinds.milliseconds(), default: fixed(10_000), description: 'Longest delay before a restart.' }),
  resetAfterMs: setting('RESTART_RESET_AFTER_MS', {
    kind: kinds.milliseconds(),
    default: fixed(30_000),
    description: 'A process that stayed up this long before it crashed is restarted after `RESTART_DELAY_MS` again.',
  }),
  maxCrashes: setting('RESTART_LIMIT_CRASHES', {
    kind: kinds.integer(1),
    default: fixed(5),
    description:
      'After this many crashes of one process within `RESTART_LIMIT_WINDOW_MS`, `npm start` gives up restarting it and keeps the others running (it stops all if that process is the gateway).',
  }),
  windowMs: setting('RESTART_LIMIT_WINDOW_MS', {
    kind: kinds.milliseconds(),
    default: fixed(60_000),
    description: 'Window in which `RESTART_LIMIT_CRASHES` crashes make `npm start` give up on a process.',
  }),
};
export const GATEWAY_REPLICAS = setting('GATEWAY_REPLICAS', {
  kind: kinds.integer(1, 64),
  default: fixed(DEFAULT_GATEWAY_REPLICAS),
  description: 'How many gateways `npm run start:scaled` runs behind HAProxy (which listens on `GATEWAY_PORT`).',
});
export const SCALED_SETTINGS = {
  replicas: GATEWAY_REPLICAS,
  replicaPorts: setting('GATEWAY_REPLICA_PORTS', {
    kind: kinds.list(kinds.port(1)),
    default: from(`${DEFAULT_REPLICA_BASE_PORT + 1}, ${DEFAULT_REPLICA_BASE_PORT + 2} … (${DEFAULT_REPLICA_BASE_PORT} + replica number)`, (read) =>
      Array.from({ length: read(GATEWAY_REPLICAS) }, (_, i) => DEFAULT_REPLICA_BASE_PORT + i + 1),
    ),
    description: 'Comma-separated ports of the gateway replicas, one per replica.',
  }),
  statsPort: setting('HAPROXY_STATS_PORT', {
    kind: kinds.port(1),
    default: fixed(DEFAULT_HAPROXY_STATS_PORT),
    description: "Loopback port of HAProxy's statistics page (CSV at `/;csv`) and its own `/health`.",
  }),
  haproxyPath: setting('HAPROXY_PATH', { kind: kinds.path(), default: fixed('/usr/sbin/haproxy'), description: 'HAProxy binary (Debian package `haproxy`).' }),
  postgresBin: setting('PG_BIN', {
    kind: kinds.path(),
    default: fixed('/usr/lib/postgresql/15/bin'),
    description:
      'Directory of the PostgreSQL 15 server binaries (`initdb`, `postgres`; Debian package `postgresql-15`) for the throwaway server `npm run start:scaled` and the tests start.',
  }),
};

// ————— The benchmarks —————

export const BENCH_SECONDS = setting('BENCH_SECONDS', {
  kind: kinds.integer(1, 120),
  default: fixed(10),
  description: 'Duration of each load run of the benchmarks (1–120).',
});
export const BENCH_CONNECTIONS = setting('BENCH_CONNECTIONS', {
  kind: kinds.integer(1, 1000),
  default: fixed(20),
  description: 'Concurrent connections of the load runs of `npm run bench` and `npm run bench:compare`.',
});
export const BENCH_WARM_UP_SECONDS = setting('BENCH_WARM_UP_SECONDS', {
  kind: kinds.integer(0, 120),
  default: fixed(10),
  description:
    'Load before each measured run of `npm run bench` and `npm run bench:compare`, not measured: long enough for V8 to optimise the hot code (after 1 s of warm-up the same code measured about twice the CPU per answer).',
});
export const BENCH_PORT = setting('BENCH_PORT', {
  ...optional(kinds.port(1), '(the port variables)'),
  description: `First of the loopback ports \`npm run bench\` and \`npm run bench:soak\` start \`npm start\` on: the gateway on it, the ${SYSTEM_IDS.length} subgraphs from +1 to +${SYSTEM_IDS.length}, the mock backends from +11 to +${10 + SYSTEM_IDS.length}; none of them may be a port fetch refuses (6000, 6665–6669 and the others of the Fetch standard's "bad ports"); unset, \`GATEWAY_PORT\` and the \`<PREFIX>_SUBGRAPH_PORT\` / \`<PREFIX>_BACKEND_PORT\` variables (or their defaults).`,
});
export const BENCH_STARTUPS = setting('BENCH_STARTUPS', { kind: kinds.integer(1), default: fixed(3), description: 'How many times the benchmark times `npm start`.' });
export const SOAK_SETTINGS = {
  rate: setting('SOAK_RATE', { kind: kinds.integer(1), default: fixed(40), description: 'Requests per second of the portal query during the soak.' }),
  seconds: setting('SOAK_SECONDS', { kind: kinds.integer(1), default: fixed(600), description: 'Duration of the soak.' }),
  sampleSeconds: setting('SOAK_SAMPLE_SECONDS', {
    kind: kinds.integer(1),
    default: fixed(10),
    description: "How often the soak reads each process's RSS, V8 heap pages in memory and CPU time, and the V8 heap in use and committed of those that serve `/metrics`.",
  }),
  warmUpSeconds: setting('SOAK_WARM_UP_SECONDS', {
    kind: kinds.integer(0),
    default: fixed(60),
    description: "The soak's warm-up: RSS, the heap in use, the V8 pages and RSS outside them after it, and their slopes, are reported from the first sample at or after it.",
  }),
};
export const LOAD_UNDER_FAILURE_SETTINGS = {
  seconds: setting('LOAD_SECONDS', { kind: kinds.integer(1), default: fixed(30), description: 'Duration of the load run under failure.' }),
  flappingSystem: setting('LOAD_FLAPPING_SYSTEM', {
    kind: kinds.oneOf([...SYSTEM_IDS, 'none'] as unknown as [string, ...string[]]) as SettingKind<SystemId | 'none'>,
    default: fixed<SystemId | 'none'>('land'),
    description: 'System whose mock backend flaps between `down` and `ok` every 2 s during the load run; `none` for a baseline.',
  }),
};
export const FAULT_SECONDS = setting('FAULT_SECONDS', {
  kind: kinds.integer(1),
  default: fixed(15),
  description: 'How long each access-log store fault lasts in the fault benchmark.',
});
export const BENCH_COMPARE_PORT = setting('BENCH_COMPARE_PORT', {
  kind: kinds.port(1),
  default: fixed(5200),
  description:
    "First of the loopback ports `npm run bench:compare` uses: this project's gateway on it, the subgraphs on the next four, the mock backends from +11 to +14, the peer gateways from +20 to +23, the subgraphs without access control from +31 to +34.",
});
export const BENCH_FLOOR_PORT = setting('BENCH_FLOOR_PORT', {
  kind: kinds.port(1),
  default: fixed(7400),
  description:
    "First of the seven loopback ports of `npm run bench:floor`'s bare processes: its gateway on it, then the population, civil-status and land subgraphs, then their three backends.",
});
export const BENCH_OPEN_SUBGRAPH = setting('BENCH_OPEN_SUBGRAPH', {
  kind: kinds.oneOf(SYSTEM_IDS as unknown as [SystemId, ...SystemId[]]),
  default: { shown: '(set by npm run bench:compare)', required: true },
  description: 'Which subgraph the process serves without access control, for the portal query of the peer gateways.',
});
export const PEER_GATEWAYS = ['apollo', 'apollo-undici', 'hive', 'hive-no-dedup'] as const;
export const BENCH_COMPARE_GATEWAY = setting('BENCH_COMPARE_GATEWAY', {
  kind: kinds.oneOf(PEER_GATEWAYS),
  default: { shown: '(set by npm run bench:compare)', required: true },
  description: 'Which peer gateway the process serves: `apollo`, `apollo-undici`, `hive` or `hive-no-dedup`.',
});

// ————— Parsing —————

/** A process's settings: declarations, grouped as the process's configuration is (a group per system, say). */
export interface SettingsSchema {
  readonly [key: string]: Setting<any> | SettingsSchema; // eslint-disable-line @typescript-eslint/no-explicit-any
}
export type Settings<S extends SettingsSchema> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : S[K] extends SettingsSchema ? Settings<S[K]> : never;
};

export function isSetting(entry: Setting<unknown> | SettingsSchema): entry is Setting<unknown> {
  return entry.schema instanceof z.ZodType && typeof entry.name === 'string';
}

export interface SettingIssue {
  name: string;
  /** What was received, as shown in the message: the text in quotes, a secret's length, or `unset`. */
  received: string;
  expected: string;
}

/** Every invalid setting of a process, found at once: the process refuses to start with it. */
export class SettingsError extends Error {
  readonly code = 'INVALID_SETTINGS';
  constructor(readonly issues: readonly SettingIssue[]) {
    super(`Invalid settings: ${issues.map((issue) => `${issue.name} is ${issue.received}, expected ${issue.expected}`).join('; ')}`);
    this.name = 'SettingsError';
  }
}

interface Resolution {
  value: unknown;
  issues: SettingIssue[];
  /** Every setting read, those the defaults read included. */
  read: Setting<unknown>[];
}

function resolve(schema: SettingsSchema, env: Environment): Resolution {
  const issues = new Map<string, SettingIssue>();
  const values = new Map<Setting<unknown>, unknown>();
  const read: ReadSetting = <T>(declared: Setting<T>): T => {
    if (values.has(declared)) return values.get(declared) as T;
    const raw = env[declared.name];
    let value: T | undefined;
    if (raw !== undefined && raw.trim() !== '') {
      const parsed = declared.schema.safeParse(raw);
      if (parsed.success) value = parsed.data;
      else {
        const received = declared.secret ? `a secret of ${raw.length} characters` : JSON.stringify(raw);
        issues.set(declared.name, { name: declared.name, received, expected: declared.expected });
      }
    }
    if (value === undefined) {
      const fallback = declared.default;
      if ('value' in fallback) value = fallback.value;
      else if ('compute' in fallback) value = fallback.compute(read);
      else if (!issues.has(declared.name)) issues.set(declared.name, { name: declared.name, received: 'unset', expected: declared.expected });
    }
    values.set(declared, value);
    return value as T;
  };
  const walk = (group: SettingsSchema): unknown =>
    Object.fromEntries(Object.entries(group).map(([key, entry]) => [key, isSetting(entry) ? read(entry) : walk(entry as SettingsSchema)]));
  const value = walk(schema);
  return { value, issues: [...issues.values()], read: [...values.keys()] };
}

/**
 * The settings of `schema` from `env`: each variable parsed by its declaration, unset or empty ones
 * at their default. Throws one `SettingsError` listing every invalid (or missing required) variable.
 */
export function parseSettings<S extends SettingsSchema>(schema: S, env: Environment): Settings<S> {
  const { value, issues } = resolve(schema, env);
  if (issues.length > 0) throw new SettingsError(issues);
  return value as Settings<S>;
}

/** Whether the variable is set (not empty): for a choice between two settings, e.g. a secret or its `_FILE`. */
export function isSet(name: string, env: Environment): boolean {
  return (env[name] ?? '').trim() !== '';
}

/** One setting's value, for a process that reads a single variable (throws `SettingsError`). */
export function readSetting<T>(declared: Setting<T>, env: Environment): T {
  return parseSettings({ value: declared }, env).value as T;
}

/** Every variable a process with this schema reads: its settings, and those their defaults are computed from. */
export function settingsReadBy(schema: SettingsSchema): Setting<unknown>[] {
  return resolve(schema, {}).read;
}

/** How the README shows a setting's default. */
export function shownDefault(declared: Setting<unknown>): string {
  const fallback = declared.default;
  if ('shown' in fallback && fallback.shown !== undefined) return fallback.shown;
  const value = (fallback as { value: unknown }).value;
  return Array.isArray(value) ? value.join(', ') : String(value);
}
