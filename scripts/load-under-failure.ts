/**
 * `npm run bench:failure`: the whole system as real processes on free loopback ports, driven by
 * autocannon for LOAD_SECONDS with a mix of queries while one backend flaps between `down` and `ok`
 * every 2 s. Reports throughput, latency, errors by system and code, peak memory per process, and
 * whether any process crashed or logged an unhandled failure (then it exits 1). Loopback only,
 * bounded in time; nothing here asserts a speed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { settingsOrExit } from '../lib/runtime/cli.ts';
import { LOAD_UNDER_FAILURE_SETTINGS } from '../lib/runtime/process-settings.ts';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { REPO_ROOT, startServices, systemLayout, withFreePorts, type ServiceGroup } from '../lib/devkit/services.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { perSystem } from '../lib/runtime/systems.ts';
import { processMemoryKiB } from './process-stats.ts';
import { landOfficerHeaders } from './bench-workloads.ts';

const { seconds, flappingSystem } = settingsOrExit(LOAD_UNDER_FAILURE_SETTINGS).load;
/** The system whose backend flaps; none for a baseline run. */
const flapping = flappingSystem === 'none' ? undefined : flappingSystem;
const CONNECTIONS = 10;
const FLAP_MS = 2000;
const SAMPLE_MS = 500;
const RECOVERY_LIMIT_MS = 30_000;

/** The README's portal example, as printed there. */
function readmePortalQuery(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const query = /<!-- example: portal -->\n```graphql\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!query) throw new Error('README.md has no portal example');
  return query;
}

const QUERIES = {
  portal: { query: readmePortalQuery(), variables: { personalId: NAMED_IDS.head } },
  'citizens x20': {
    query: `query($ids: [ID!]!) { citizens(personalIds: $ids) { personalId fullName birthRegistration { registrationNumber } landParcels { parcelId area } } }`,
    variables: { ids: Array.from({ length: 20 }, (_, i) => encodePersonalId('079', i % 2 ? 'FEMALE' : 'MALE', 1950 + i * 2, 5151 + i * 97)) },
  },
  statistics: {
    query: `{ provinces(at: "2024-09-30") { code name civilStatusDigitization { status recordsDigitized digitizedShare asOf } landDigitization { status recordsCleaned recordsTotal cleanedShare asOf } } }`,
    variables: {},
  },
} as const;
type QueryName = keyof typeof QUERIES;

interface GraphQLAnswer {
  data?: unknown;
  errors?: { message?: string; extensions?: { code?: unknown; system?: unknown } }[];
}

// --- the system ---------------------------------------------------------------------------------

// The development key set of `npm start` (.dev/): its officer asks, for a land transfer.
const dev = await ensureDevCredentials();
const officerHeaders = landOfficerHeaders(dev.credentials.apiKey, 'LOAD-1');
const layout = systemLayout({ ...(await withFreePorts({ ...dev.env, ...process.env })), LOG_LEVEL: 'warn' });
const logLines = new Map<string, Record<string, number>>();
/** `service: msg` of every warning or worse, with how often it was logged. */
const warnings: Record<string, number> = {};
const unexpectedExits: { service: string; code: number | null; signal: string | null; atSecond: number }[] = [];
let loadStarted = 0;

console.log(`Starting ${layout.services.length} processes on free loopback ports (LOG_LEVEL=warn)…`);
const startedAt = performance.now();
const group: ServiceGroup = await startServices(layout, {
  onLine: (line, service) => {
    const level = /"level":(\d+)/.exec(line)?.[1] ?? 'other';
    const counts = logLines.get(service.name) ?? {};
    counts[level] = (counts[level] ?? 0) + 1;
    logLines.set(service.name, counts);
    if (Number(level) >= 40) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? '?';
      const key = `${service.name}: ${msg}`;
      warnings[key] = (warnings[key] ?? 0) + 1;
    }
  },
  onExit: (exit, service) => {
    if (!exit.requested) {
      const atSecond = loadStarted ? Math.round((performance.now() - loadStarted) / 100) / 10 : 0;
      unexpectedExits.push({ service: service.name, code: exit.code, signal: exit.signal, atSecond });
      console.error(`${service.name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`}).`);
    }
  },
});
console.log(`All answering after ${((performance.now() - startedAt) / 1000).toFixed(1)} s; gateway at http://${layout.host}:${layout.gatewayPort}/graphql`);

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`${signal}: stopping every process.`);
    void group.stopAll().then(() => process.exit(130));
  });
}
// Last resort if this script dies some other way: no orphaned service keeps its port.
process.once('exit', () => {
  for (const service of group.services) if (service.running && service.pid) process.kill(service.pid, 'SIGKILL');
});

const gatewayUrl = `http://${layout.host}:${layout.gatewayPort}/graphql`;
async function ask(name: QueryName): Promise<GraphQLAnswer> {
  const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...officerHeaders }, body: JSON.stringify(QUERIES[name]) });
  return (await response.json()) as GraphQLAnswer;
}

async function setFault(mode: 'ok' | 'down'): Promise<void> {
  if (!flapping) return;
  const mock = group.get(`mock-${flapping}`);
  const response = await fetch(`${mock.url}/_mock/fault`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode }) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`PUT /_mock/fault ${mode}: HTTP ${response.status}`);
}

// --- memory -------------------------------------------------------------------------------------

interface Memory {
  pid: number;
  startKiB: number;
  lastKiB: number;
  maxRssKiB: number;
  hwmKiB: number;
}
const memory = new Map<string, Memory>();
/** RSS of every process every 5 s, to tell growth that levels off from growth that does not. */
const rssTimeline: { second: number; mib: Record<string, number> }[] = [];
let samples = 0;

function sampleMemory(): void {
  const mark = samples++ % 10 === 0 ? { second: loadStarted ? Math.round((performance.now() - loadStarted) / 1000) : 0, mib: {} as Record<string, number> } : undefined;
  if (mark) rssTimeline.push(mark);
  for (const service of group.services) {
    if (!service.running || !service.pid) continue;
    const status = processMemoryKiB(service.pid);
    if (!status) continue;
    if (mark) mark.mib[service.name] = Math.round(status.rss / 102.4) / 10;
    const seen = memory.get(service.name);
    if (!seen) memory.set(service.name, { pid: service.pid, startKiB: status.rss, lastKiB: status.rss, maxRssKiB: status.rss, hwmKiB: status.hwm });
    else {
      seen.lastKiB = status.rss;
      seen.maxRssKiB = Math.max(seen.maxRssKiB, status.rss);
      seen.hwmKiB = Math.max(seen.hwmKiB, status.hwm);
    }
  }
}

// --- tallies ------------------------------------------------------------------------------------

const statuses: Record<string, number> = {};
const responsesWithSystem: Record<string, number> = perSystem(() => 0);
const responsesWithCode: Record<string, number> = {};
const errorsByCode: Record<string, number> = {};
const byQuery: Record<string, { responses: number; withErrors: number; withoutData: number }> = {};
let responses = 0;
let unparsable = 0;

function tally(name: QueryName, status: number, body: string): void {
  responses += 1;
  statuses[status] = (statuses[status] ?? 0) + 1;
  const query = (byQuery[name] ??= { responses: 0, withErrors: 0, withoutData: 0 });
  query.responses += 1;
  let answer: GraphQLAnswer;
  try {
    answer = JSON.parse(body) as GraphQLAnswer;
  } catch {
    unparsable += 1;
    return;
  }
  if (answer.data === undefined || answer.data === null) query.withoutData += 1;
  const errors = answer.errors ?? [];
  if (errors.length > 0) query.withErrors += 1;
  const systems = new Set<string>();
  const codes = new Set<string>();
  for (const error of errors) {
    const system = typeof error.extensions?.system === 'string' ? error.extensions.system : '(none)';
    const code = typeof error.extensions?.code === 'string' ? error.extensions.code : '(none)';
    systems.add(system);
    codes.add(code);
    errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
  }
  for (const system of systems) responsesWithSystem[system] = (responsesWithSystem[system] ?? 0) + 1;
  for (const code of codes) responsesWithCode[code] = (responsesWithCode[code] ?? 0) + 1;
}

// --- the run ------------------------------------------------------------------------------------

let result: autocannon.Result | undefined;
let flips = 0;
const flipFailures: string[] = [];
let recoveredAfterSeconds: number | null = null;

try {
  for (const name of Object.keys(QUERIES) as QueryName[]) {
    const answer = await ask(name);
    if (answer.errors?.length) throw new Error(`${name} fails before any fault: ${JSON.stringify(answer.errors)}`);
  }

  sampleMemory();
  const sampler = setInterval(sampleMemory, SAMPLE_MS);
  let down = false;
  const flapper = setInterval(() => {
    if (!flapping) return;
    down = !down;
    flips += 1;
    setFault(down ? 'down' : 'ok').catch((error: unknown) => flipFailures.push(String(error)));
  }, FLAP_MS);

  console.log(
    `Load: ${seconds} s, ${CONNECTIONS} connections, portal / citizens x20 / statistics in turn; ${flapping ? `${flapping} backend down/ok every ${FLAP_MS / 1000} s` : 'no fault (baseline)'}.`,
  );
  loadStarted = performance.now();
  result = await autocannon({
    url: `http://${layout.host}:${layout.gatewayPort}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: (Object.keys(QUERIES) as QueryName[]).map((name) => ({
      method: 'POST' as const,
      path: '/graphql',
      headers: { 'content-type': 'application/json', ...officerHeaders },
      body: JSON.stringify(QUERIES[name]),
      onResponse: (status: number, body: string) => tally(name, status, body),
    })),
  });
  clearInterval(flapper);
  await setFault('ok');

  // How long until a query needing the flapping system answers whole again (the breaker's half-open wait).
  const backAt = performance.now();
  while (flapping && performance.now() - backAt < RECOVERY_LIMIT_MS && !interrupted) {
    const answer = await ask(flapping === 'public-services' ? 'statistics' : 'portal');
    if (!answer.errors?.length) {
      recoveredAfterSeconds = Math.round((performance.now() - backAt) / 100) / 10;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  sampleMemory();
  clearInterval(sampler);
} finally {
  if (!interrupted) {
    const alive = group.services.filter((s) => s.running && !s.lastExit).map((s) => s.name);
    await group.stopAll();
    report(alive);
  }
}

// --- the report ---------------------------------------------------------------------------------

function report(alive: string[]): void {
  if (!result) return;
  const percent = (n: number) => `${((100 * n) / Math.max(responses, 1)).toFixed(1)} %`;
  const unhandledLines = group.services.flatMap((s) => s.unhandledFailures().map((line) => `[${s.name}] ${line}`));
  const unhandled = unhandledLines.length;
  // Every service handles SIGTERM itself (lib/runtime/process.ts) and exits 0; anything else is not clean.
  const stops = group.services.map((s) => ({ service: s.name, code: s.lastExit?.code ?? null, signal: s.lastExit?.signal ?? null }));
  const cleanStops = stops.filter((e) => e.code === 0).length;
  const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
  const processes = group.services.map((s) => {
    const m = memory.get(s.name);
    const levels = logLines.get(s.name) ?? {};
    return {
      process: s.name,
      pid: m?.pid ?? s.pid ?? 0,
      'rss start MiB': m ? mib(m.startKiB) : null,
      'rss end MiB': m ? mib(m.lastKiB) : null,
      'peak MiB': m ? mib(Math.max(m.hwmKiB, m.maxRssKiB)) : null,
      'warn/error/fatal lines': `${levels['40'] ?? 0}/${levels['50'] ?? 0}/${levels['60'] ?? 0}`,
    };
  });
  const json = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: availableParallelism(), platform: process.platform },
    seconds: result.duration,
    connections: CONNECTIONS,
    flapping: { system: flapping ?? 'none', everyMs: FLAP_MS, flips, failedFlips: flipFailures },
    requests: result.requests.total,
    responsesTallied: responses,
    requestsPerSecond: Math.round(result.requests.average * 10) / 10,
    latencyMs: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    statuses,
    unparsableBodies: unparsable,
    byQuery,
    errorRateBySystem: Object.fromEntries(Object.entries(responsesWithSystem).map(([k, n]) => [k, { responses: n, rate: n / Math.max(responses, 1) }])),
    errorRateByCode: Object.fromEntries(Object.entries(responsesWithCode).map(([k, n]) => [k, { responses: n, rate: n / Math.max(responses, 1), errors: errorsByCode[k] ?? 0 }])),
    recoveredAfterSeconds,
    processes,
    rssTimeline,
    warnings,
    alive: { count: alive.length, of: group.services.length, names: alive },
    unexpectedExits,
    stops,
    stoppedCleanly: cleanStops,
    unhandledFailureLines: unhandled,
    unhandledFailures: unhandledLines,
  };
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  const file = join(REPO_ROOT, '.tmp', 'load-under-failure.json');
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);

  const line = (label: string, text: string) => console.log(`${label.padEnd(26)}${text}`);
  const fault = flapping
    ? `${flapping} backend down/ok every ${FLAP_MS / 1000} s (${flips} flips${flipFailures.length ? `, ${flipFailures.length} failed` : ''})`
    : 'no fault (baseline)';
  console.log(`\nLoad under failure — ${fault}`);
  line('duration', `${result.duration} s, ${CONNECTIONS} connections`);
  line('requests served', `${result.requests.total} (${json.requestsPerSecond} req/s)`);
  line('latency', `p50 ${result.latency.p50} ms, p97.5 ${result.latency.p97_5} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
  line(
    'HTTP status',
    `${Object.entries(statuses)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ')}; non-2xx ${result.non2xx}; connection errors ${result.errors} (timeouts ${result.timeouts}); unparsable ${unparsable}`,
  );
  line(
    'responses by query',
    Object.entries(byQuery)
      .map(([q, t]) => `${q} ${t.responses} (${t.withErrors} with errors, ${t.withoutData} without data)`)
      .join('; '),
  );
  line(
    'error rate by system',
    Object.entries(responsesWithSystem)
      .map(([s, n]) => `${s} ${percent(n)} (${n})`)
      .join(', '),
  );
  line(
    'error rate by code',
    Object.entries(responsesWithCode)
      .map(([c, n]) => `${c} ${percent(n)} (${n} responses, ${errorsByCode[c]} errors)`)
      .join(', ') || 'none',
  );
  if (flapping) {
    line('whole answers again', recoveredAfterSeconds === null ? `not within ${RECOVERY_LIMIT_MS / 1000} s` : `${recoveredAfterSeconds} s after ${flapping} came back`);
  }
  console.table(processes);
  line(
    'warnings logged',
    Object.entries(warnings)
      .map(([k, n]) => `${k} ×${n}`)
      .join('; ') || 'none',
  );
  line(
    'processes alive at end',
    `${alive.length}/${group.services.length} (${group.services.length - alive.length} crashed)${unexpectedExits.length ? `: ${unexpectedExits.map((e) => `${e.service} at ${e.atSecond} s (${e.signal ?? `code ${e.code}`})`).join(', ')}` : ''}`,
  );
  line('unhandled failures logged', `${unhandled}`);
  const byExit = (e: { code: number | null; signal: string | null }) => e.signal ?? `exit ${e.code}`;
  const exitCounts: Record<string, number> = {};
  for (const stop of stops) exitCounts[byExit(stop)] = (exitCounts[byExit(stop)] ?? 0) + 1;
  const exitKinds = Object.entries(exitCounts).map(([kind, n]) => `${kind}: ${n}`);
  line('stopped on SIGTERM', `${cleanStops}/${group.services.length} cleanly (${exitKinds.join(', ')})`);
  line('report', file);
  for (const failure of unhandledLines) console.error(failure);
  process.exitCode = alive.length === group.services.length && unhandled === 0 ? 0 : 1;
}
