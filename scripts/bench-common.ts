/**
 * What the system benchmarks share (`npm run bench`, `npm run bench:compare`, `npm run bench:soak`):
 * one GraphQL request and its check, autocannon load that counts answers carrying `errors`, CPU time
 * over a set of processes, ports from a base, the `--rounds=` argument and a plain text table.
 */
import type { IncomingMessage } from 'node:http';
import autocannon from 'autocannon';
import { parseSamples, type Sample } from '../lib/devkit/metrics-text.ts';
import { BENCH_SECONDS, readSetting } from '../lib/runtime/settings.ts';
import { SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';
import { processCpuMs } from './process-stats.ts';

/** `--json`: the results as JSON on stdout. */
export const jsonOutput = process.argv.includes('--json');

/** Progress goes to stderr under `--json`, so that stdout is the JSON alone. */
export const say = (line: string): void => (jsonOutput ? console.error(line) : console.log(line));

/** `BENCH_SECONDS`: how long each measured load lasts. */
export function benchSeconds(): number {
  return readSetting(BENCH_SECONDS, process.env);
}

/** A GraphQL request the load repeats. */
export interface Workload {
  query: string;
  variables?: Record<string, unknown>;
  headers: Record<string, string>;
}

const requestHeaders = (workload: Workload) => ({ 'content-type': 'application/json', ...workload.headers });
const requestBody = (workload: Workload) => JSON.stringify({ query: workload.query, variables: workload.variables });

/** One request, bounded in time. */
export async function postOnce(url: string, workload: Workload): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: requestHeaders(workload), body: requestBody(workload), signal: AbortSignal.timeout(30_000) });
  return { status: response.status, text: await response.text() };
}

/** The answer's `data` as JSON text, or why the answer is not a 200 with data and without errors. */
export function wholeAnswer(status: number, text: string): { data: string } | { problem: string } {
  let parsed: { data?: unknown; errors?: unknown[] } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (status !== 200 || !parsed?.data || parsed.errors?.length) return { problem: `the answer was ${status} ${text.slice(0, 300)}` };
  return { data: JSON.stringify(parsed.data) };
}

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration: number;
  /** Requests per second over all connections (steady load); as fast as answered when unset. */
  overallRate?: number;
}

export interface LoadFigures {
  requests: number;
  /** 2xx answers. */
  ok: number;
  reqPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** 2xx answers that carried `errors`. */
  withErrors: number;
}

/** autocannon on `url` with the workload for `duration` seconds; an answer whose body names `errors` counts as failed. */
export async function loadWorkload(url: string, workload: Workload, options: LoadOptions): Promise<LoadFigures> {
  let withErrors = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: requestHeaders(workload),
    body: requestBody(workload),
    connections: options.connections,
    duration: options.duration,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    verifyBody: (text) => {
      const whole = !String(text ?? '').includes('"errors"');
      if (!whole) withErrors++;
      return whole;
    },
  });
  return {
    requests: result.requests.total,
    ok: result['2xx'],
    reqPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    withErrors,
  };
}

/** A load that answered below this share of the rate asked measured a saturated system, not that rate. */
const KEPT_UP_SHARE = 0.95;

/** Whether a load sent at `rate` requests a second was answered at that rate (to within {@link KEPT_UP_SHARE}). */
export function keptUpWith(figures: Pick<LoadFigures, 'reqPerSecond'>, rate: number): boolean {
  return figures.reqPerSecond >= KEPT_UP_SHARE * rate;
}

/** Why a load's figures are not valid (non-2xx, errors, answers with errors), or undefined. */
export function loadProblem(figures: LoadFigures): string | undefined {
  if (!figures.non2xx && !figures.errors && !figures.withErrors) return undefined;
  return `${figures.non2xx} non-2xx, ${figures.errors} errors/timeouts, ${figures.withErrors} answers with errors`;
}

/** One measured load: its figures, and each process's CPU over it. */
export interface MeasuredLoad extends LoadFigures {
  round: number;
  /** The machine's 1-minute load average just before the load. */
  loadAverage: number;
  /** CPU ms over the measured load, by process name. */
  cpuMs: Record<string, number>;
  /** The garbage collector over the measured load, by process name: those that serve `/metrics` only. */
  gc?: Record<string, GcFigures>;
}

/** What a process's garbage collector did, from prom-client's `nodejs_gc_duration_seconds`. */
export interface GcFigures {
  /** Milliseconds the main thread spent paused in every kind of collection. */
  pauseMs: number;
  /** Young-generation collections (`kind="minor"`). */
  scavenges: number;
}

/** A service that serves Prometheus `/metrics`: the gateway and the subgraphs, not the mock backends. */
export interface ScrapedService {
  name: string;
  metricsUrl: string;
}

/** Each service's `/metrics` samples, scraped now; a process whose scrape fails or does not parse is left out. */
async function scrapeEach(services: readonly ScrapedService[]): Promise<Record<string, Sample[]>> {
  const scraped: Record<string, Sample[]> = {};
  await Promise.all(
    services.map(async ({ name, metricsUrl }) => {
      try {
        const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
        if (response.ok) scraped[name] = parseSamples(await response.text());
      } catch {
        // Not measured for this process.
      }
    }),
  );
  return scraped;
}

/**
 * Each service's collector so far, from its `/metrics`.
 * The scavenges count what the answers allocate and do not drift with the machine's speed, as the CPU
 * per answer does; the pauses are the main thread's wall time in the collector.
 */
export async function gcSnapshot(services: readonly ScrapedService[]): Promise<Record<string, GcFigures>> {
  const snapshot: Record<string, GcFigures> = {};
  for (const [name, samples] of Object.entries(await scrapeEach(services))) {
    const figures: GcFigures = { pauseMs: 0, scavenges: 0 };
    for (const { name: series, labels, value } of samples) {
      if (series === 'nodejs_gc_duration_seconds_sum') figures.pauseMs += value * 1000;
      else if (series === 'nodejs_gc_duration_seconds_count' && labels.kind === 'minor') figures.scavenges += value;
    }
    snapshot[name] = figures;
  }
  return snapshot;
}

/** A service's V8 heap now, in MiB, from its `/metrics`: the main thread's isolate (a worker thread's isolate is in neither). */
export interface HeapFigures {
  /** In use (prom-client's `nodejs_heap_size_used_bytes`): live objects and garbage not yet collected. */
  usedMiB: number;
  /** Committed (`nodejs_heap_size_total_bytes`): every space's pages V8 holds, the young generation's at the size V8 has grown it to. */
  committedMiB: number;
}

/** Each service's V8 heap now, from its `/metrics`; a service whose scrape failed or lacked either figure is left out. */
export async function heapSnapshot(services: readonly ScrapedService[]): Promise<Record<string, HeapFigures>> {
  const snapshot: Record<string, HeapFigures> = {};
  for (const [name, samples] of Object.entries(await scrapeEach(services))) {
    const used = samples.find((sample) => sample.name === 'nodejs_heap_size_used_bytes');
    const committed = samples.find((sample) => sample.name === 'nodejs_heap_size_total_bytes');
    if (used && committed) snapshot[name] = { usedMiB: mibOfKiB(used.value / 1024), committedMiB: mibOfKiB(committed.value / 1024) };
  }
  return snapshot;
}

/** What each process's collector did between two snapshots. */
export function gcSpent(before: Record<string, GcFigures>, after: Record<string, GcFigures>): Record<string, GcFigures> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([name]) => before[name] !== undefined)
      .map(([name, figures]) => [name, { pauseMs: figures.pauseMs - before[name]!.pauseMs, scavenges: figures.scavenges - before[name]!.scavenges }]),
  );
}

/** CPU ms per answer over all the runs, by process, and all processes together (`sum`), to `digits` decimals. */
export function cpuMsPerAnswer(runs: readonly MeasuredLoad[], names: readonly string[], digits = 3): Record<string, number> {
  const answers = Math.max(1, sum(runs.map((run) => run.requests)));
  const perAnswer: Record<string, number> = {};
  for (const name of names) perAnswer[name] = round(sum(runs.map((run) => run.cpuMs[name] ?? 0)) / answers, digits);
  perAnswer.sum = round(sum(runs.map((run) => sum(Object.values(run.cpuMs)))) / answers, digits);
  return perAnswer;
}

/** The runs of one workload (one gateway, one checkout) together: means over the runs, counts summed. */
export interface RunsSummary extends Omit<LoadFigures, 'ok'> {
  runs: number;
  reqPerSecondByRun: number[];
  /** CPU ms per answer over all the runs, by process, and all processes together (`sum`). */
  cpuMsPerAnswer: Record<string, number>;
  /** GC pause ms per answer and scavenges per 1,000 answers, by process measured in every run. */
  gcPerAnswer: Record<string, { pauseMs: number; scavengesPerThousand: number }>;
}

function gcPerAnswer(runs: readonly MeasuredLoad[], names: readonly string[]): RunsSummary['gcPerAnswer'] {
  const answers = Math.max(1, sum(runs.map((run) => run.requests)));
  const measured = names.filter((name) => runs.length > 0 && runs.every((run) => run.gc?.[name] !== undefined));
  return Object.fromEntries(
    measured.map((name) => [
      name,
      {
        pauseMs: round(sum(runs.map((run) => run.gc![name]!.pauseMs)) / answers, 3),
        scavengesPerThousand: round((sum(runs.map((run) => run.gc![name]!.scavenges)) * 1000) / answers, 1),
      },
    ]),
  );
}

export function summariseRuns(measured: readonly MeasuredLoad[], names: readonly string[]): RunsSummary {
  return {
    runs: measured.length,
    requests: sum(measured.map((run) => run.requests)),
    reqPerSecondByRun: measured.map((run) => round(run.reqPerSecond)),
    reqPerSecond: round(mean(measured.map((run) => run.reqPerSecond))),
    p50Ms: round(mean(measured.map((run) => run.p50Ms))),
    p99Ms: round(mean(measured.map((run) => run.p99Ms))),
    non2xx: sum(measured.map((run) => run.non2xx)),
    errors: sum(measured.map((run) => run.errors)),
    withErrors: sum(measured.map((run) => run.withErrors)),
    cpuMsPerAnswer: cpuMsPerAnswer(measured, names),
    gcPerAnswer: gcPerAnswer(measured, names),
  };
}

export interface NamedPid {
  name: string;
  pid: number;
}

/** Each process's CPU time so far (ms), by name. */
export function cpuSnapshot(processes: readonly NamedPid[]): Record<string, number> {
  return Object.fromEntries(processes.map(({ name, pid }) => [name, processCpuMs(pid)]));
}

/** CPU ms each process spent between two snapshots, by name. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, ms]) => [name, ms - (before[name] ?? 0)]));
}

export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
export const mean = (values: readonly number[]): number => sum(values) / values.length;
export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
/** KiB (as /proc counts memory) in MiB, to one decimal. */
export const mibOfKiB = (kib: number): number => round(kib / 1024, 1);

/**
 * The services' port variables from one base: the gateway on `base`, each system's subgraph on
 * `base` + 1 + its index in `SYSTEM_IDS` and its mock backend on `base` + 11 + that index.
 */
export function portsFrom(base: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { GATEWAY_PORT: String(base) };
  for (const [index, id] of SYSTEM_IDS.entries()) {
    const { envPrefix } = SYSTEMS[id];
    env[`${envPrefix}_SUBGRAPH_PORT`] = String(base + 1 + index);
    env[`${envPrefix}_BACKEND_PORT`] = String(base + 11 + index);
  }
  return env;
}

/** `--<name>=<positive integer>` on the command line, or `fallback`. */
export function positiveIntegerArgument(name: string, fallback: number): number;
export function positiveIntegerArgument(name: string): number | undefined;
export function positiveIntegerArgument(name: string, fallback?: number): number | undefined {
  const argument = stringArgument(name);
  if (argument === undefined) return fallback;
  const value = Number(argument);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not --${name}=${argument}`);
  return value;
}

/** `--<name>=<value>` on the command line, or undefined. */
export function stringArgument(name: string): string | undefined {
  return process.argv.find((candidate) => candidate.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/**
 * `--<name>=a,b` on the command line: those of `choices`, in the order of `choices`; all of them when
 * it is absent. Exits 2, naming the choices, on one that is not among them.
 */
export function choicesArgument<T extends string>(name: string, choices: readonly T[]): T[] {
  const asked = stringArgument(name);
  if (asked === undefined) return [...choices];
  const names = asked.split(',').map((choice) => choice.trim());
  const unknown = names.filter((choice) => !(choices as readonly string[]).includes(choice));
  if (unknown.length > 0) {
    console.error(`--${name}: no ${unknown.map((choice) => `"${choice}"`).join(', ')}; choose from ${choices.join(', ')}`);
    process.exit(2);
  }
  return choices.filter((choice) => names.includes(choice));
}

/** The whole body of a request, as text. */
export async function requestText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A plain text table: the first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
