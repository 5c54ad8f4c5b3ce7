/**
 * `npm run bench:soak`: memory of `npm start`'s processes under a steady load (the aim: RSS flat over a
 * 10-minute soak). Starts `npm start` of this checkout (scripts/bench-system.ts: LOG_LEVEL=warn, a
 * throwaway SQLite access log), checks that the portal query (scripts/bench-workloads.ts, the
 * development officer's API key) answers 200 without errors, then sends it at `SOAK_RATE` requests
 * per second (default 40, autocannon's `overallRate` over 20 connections) for `SOAK_SECONDS`
 * (default 600). Every `SOAK_SAMPLE_SECONDS` (default 10), from the start of the load, it reads each
 * process's RSS (`VmRSS` in /proc/<pid>/status), its V8 heap pages in memory (/proc/<pid>/smaps,
 * scripts/process-stats.ts) and CPU time, and the main thread's V8 heap in use and committed of the
 * gateway and each subgraph from its `/metrics`. Prints the curves (time × process, MiB) of RSS, of
 * the heap in use, of the V8 pages in memory, and of RSS outside them (which the young generation's
 * steps and its pages' filling in do not move), and, per process: RSS at the first sample after the
 * warm-up (`SOAK_WARM_UP_SECONDS`, default 60), at the end, the maximum, the least-squares slope in MiB
 * per minute over the samples from the warm-up on, the CPU share after the warm-up, the heap in use's
 * slope, and the V8 pages' and the outside's figures. `--json` for JSON on stdout (every curve with
 * all four figures). Ports as
 * `npm run bench` (`BENCH_PORT`, or the port variables). Everything started is stopped at the end, on
 * an error, and on Ctrl-C or SIGTERM. Exits 1 when an answer was not a 200 without errors, or a
 * process ended. Nothing here asserts a slope; figures go in docs/BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorText, settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_SOAK_SETTINGS } from '../lib/runtime/process-settings.ts';
import {
  cpuSnapshot,
  heapSnapshot,
  jsonOutput,
  keptUpWith,
  loadProblem,
  loadWorkload,
  mibOfKiB,
  postOnce,
  round,
  say,
  sum,
  table,
  wholeAnswer,
  type LoadFigures,
} from './bench-common.ts';
import { benchEnv, benchLayout, devApiKey, metricsServices, startSystem, stopOnExit, type RunningSystem } from './bench-system.ts';
import { landOfficerHeaders, PORTAL, PORTAL_VARIABLES } from './bench-workloads.ts';
import { processMemoryKiB, v8PagesResidentKiB } from './process-stats.ts';
import { outsideV8PagesMiB, summariseSoak, type SoakCurve, type SoakSample } from './soak-summary.ts';

const { rate, seconds, sampleSeconds, warmUpSeconds } = settingsOrExit(BENCH_SOAK_SETTINGS).soak;
if (rate < 1 || seconds < 1 || sampleSeconds < 1 || warmUpSeconds < 0)
  throw new Error('SOAK_RATE, SOAK_SECONDS and SOAK_SAMPLE_SECONDS must be positive, SOAK_WARM_UP_SECONDS not negative');
/** Enough for the rate at a p99 of 500 ms; below the rate, the figures say so. */
const CONNECTIONS = 20;
/** After the load: autocannon stops without waiting for the requests in flight. */
const SETTLE_MS = 2000;

const root = resolve(fileURLToPath(new URL('../', import.meta.url)));
const layout = benchLayout();
const url = `http://${layout.host}:${layout.gatewayPort}/graphql`;
const scratch = mkdtempSync(join(tmpdir(), 'bench-soak-'));
const env = benchEnv(layout, join(scratch, 'access-log.sqlite'));

let system: RunningSystem | undefined;
stopOnExit(
  () => system,
  () => rmSync(scratch, { recursive: true, force: true }),
);

const problems: string[] = [];
const samples: SoakSample[] = [];
let figures: LoadFigures | undefined;

const scraped = metricsServices(layout);

/** One sample: RSS, V8 pages and CPU of every process read first, then the heaps scraped (a scrape that fails leaves its heap out). */
async function sample(running: RunningSystem, began: number): Promise<void> {
  const second = Math.round((performance.now() - began) / 1000);
  const rssMiB: Record<string, number> = {};
  const v8PagesMiB: Record<string, number> = {};
  for (const { name, pid } of running.processes) {
    const memory = processMemoryKiB(pid);
    const v8Pages = v8PagesResidentKiB(pid);
    if (memory) rssMiB[name] = mibOfKiB(memory.rss);
    if (v8Pages !== undefined) v8PagesMiB[name] = mibOfKiB(v8Pages);
  }
  const gone = running.processes.filter(({ name }) => rssMiB[name] === undefined);
  if (gone.length > 0) {
    problems.push(`${gone.map(({ name }) => name).join(', ')} ended during the soak`);
    return;
  }
  const cpuMs = cpuSnapshot(running.processes);
  const heap = await heapSnapshot(scraped);
  samples.push({ second, rssMiB, v8PagesMiB, cpuMs, heap });
  const gatewayHeap = heap.gateway;
  say(
    `  ${String(second).padStart(5)} s  RSS all ${Object.keys(rssMiB).length} ${sum(Object.values(rssMiB)).toFixed(0)} MiB  gateway ${rssMiB.gateway} MiB, ` +
      `V8 pages in memory ${v8PagesMiB.gateway ?? '?'} MiB, ` +
      (gatewayHeap ? `its heap ${gatewayHeap.usedMiB} MiB in use of ${gatewayHeap.committedMiB} committed` : 'its heap not read'),
  );
}

try {
  say(
    `bench:soak: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; gateway ${url}`,
  );
  const apiKey = await devApiKey(root);
  system = await startSystem(root, env, (line) => console.error(`  ${line}`));
  const running = system;
  say(
    `npm start up in ${running.startSeconds.toFixed(1)} s; the portal query at ${rate} req/s (${CONNECTIONS} connections) for ${seconds} s, a sample every ${sampleSeconds} s, warm-up ${warmUpSeconds} s`,
  );
  const workload = { query: PORTAL, variables: PORTAL_VARIABLES, headers: landOfficerHeaders(apiKey, 'BENCH-SOAK') };
  const first = await postOnce(url, workload);
  const answer = wholeAnswer(first.status, first.text);
  if ('problem' in answer) problems.push(`the first answer: ${answer.problem}`);

  const began = performance.now();
  // One sample at a time, in order, however long a scrape takes.
  let sampling = sample(running, began);
  const timer = setInterval(() => {
    sampling = sampling.then(() => sample(running, began));
  }, sampleSeconds * 1000);
  try {
    figures = await loadWorkload(url, workload, { connections: CONNECTIONS, duration: seconds, overallRate: rate });
  } finally {
    clearInterval(timer);
  }
  await sampling;
  await sample(running, began);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const problem = loadProblem(figures);
  if (problem) problems.push(problem);
  if (!running.running()) problems.push('npm start exited during the soak');

  const names = running.processes.map(({ name }) => name);
  const summary = summariseSoak(samples, warmUpSeconds);
  if (jsonOutput) {
    console.log(
      JSON.stringify(
        { rate, seconds, sampleSeconds, warmUpSeconds, connections: CONNECTIONS, startSeconds: round(running.startSeconds), load: figures, summary, samples, problems },
        null,
        2,
      ),
    );
  } else {
    console.log(
      `\nLoad: ${figures.requests} answers in ${seconds} s (${figures.reqPerSecond.toFixed(1)} req/s, asked ${rate}), p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ` +
        `${figures.non2xx} non-2xx, ${figures.errors} errors/timeouts, ${figures.withErrors} answers with errors`,
    );
    if (!keptUpWith(figures, rate)) console.log(`The system answered below the rate asked: the load was not the steady ${rate} req/s (a busy machine?).`);
    console.log('\nRSS (MiB) by process over time (s since the load began):');
    const shortName = (name: string) => name.replace('-subgraph', '').replace('public-services', 'pub-svc').replace('civil-status', 'civil');
    console.log(
      table(
        ['s', ...names.map(shortName), 'all', 'all CPU %'],
        samples.map((s, index) => {
          const previous = samples[index - 1];
          const cpu = previous ? (sum(Object.values(s.cpuMs)) - sum(Object.values(previous.cpuMs))) / ((s.second - previous.second) * 10) : undefined;
          return [
            s.second,
            ...names.map((name) => s.rssMiB[name]!.toFixed(1)),
            sum(Object.values(s.rssMiB)).toFixed(0),
            cpu === undefined || !Number.isFinite(cpu) ? '-' : cpu.toFixed(0),
          ];
        }),
      ),
    );
    console.log(`(mock-x is a mock backend, x alone its subgraph; CPU % of one core, summed over every process, over the interval before each sample)`);
    /** One measure's curve, a column per process, '-' where a sample lacks it. */
    const curveTable = (title: string, processes: readonly string[], valueOf: (s: SoakSample, name: string) => number | undefined) => {
      console.log(`\n${title} by process over time:`);
      console.log(
        table(
          ['s', ...processes.map(shortName)],
          samples.map((s) => [s.second, ...processes.map((name) => valueOf(s, name)?.toFixed(1) ?? '-')]),
        ),
      );
    };
    curveTable(
      "V8 heap in use (MiB, the main thread's, from /metrics)",
      scraped.map(({ name }) => name),
      (s, name) => s.heap[name]?.usedMiB,
    );
    curveTable('V8 heap pages in memory (MiB, /proc/<pid>/smaps)', names, (s, name) => s.v8PagesMiB[name]);
    curveTable('RSS outside the V8 heap pages (MiB)', names, outsideV8PagesMiB);
    console.log(`\nPer process, from the first sample at or after ${warmUpSeconds} s to the end (RSS; the V8 heap in use; the V8 heap pages in memory; RSS outside them):`);
    const curve = (c: SoakCurve | undefined) =>
      c ? [c.afterWarmUpMiB.toFixed(1), c.endMiB.toFixed(1), c.maxMiB.toFixed(1), c.slopeMiBPerMinute.toFixed(3)] : ['-', '-', '-', '-'];
    const endsAndSlope = (c: SoakCurve | undefined) => curve(c).filter((_, column) => column !== 2);
    console.log(
      table(
        [
          'process',
          'after warm-up MiB',
          'end MiB',
          'max MiB',
          'slope MiB/min',
          'CPU %',
          'in use slope/min',
          'V8 pages after warm-up',
          'V8 pages end',
          'V8 pages slope/min',
          'outside after warm-up',
          'outside end',
          'outside slope/min',
        ],
        summary.map((s) => [
          s.process,
          ...curve(s),
          s.cpuPercent.toFixed(1),
          s.heap?.slopeMiBPerMinute.toFixed(3) ?? '-',
          ...endsAndSlope(s.v8Pages),
          ...endsAndSlope(s.outsideV8Pages),
        ]),
      ),
    );
  }
} catch (error) {
  problems.push(`stopped by an error: ${errorText(error)}`);
} finally {
  await system?.stop();
  rmSync(scratch, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error('\nTHE SOAK WAS NOT CLEAN, these figures are not valid:');
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exitCode = 1;
}
