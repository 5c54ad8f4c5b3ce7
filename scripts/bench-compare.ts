/**
 * `npm run bench:compare`: this project's gateway against stock federation gateways, over the same
 * running subgraphs and mock backends.
 *
 * The five mock backends and five subgraphs start once, as `npm start` starts them
 * (lib/devkit/services.ts), on ports `BENCH_COMPARE_PORT` (default 5200) + 1…5 (subgraphs) and + 11…15
 * (mocks). Then each round starts, measures and stops, one after the other, each gateway as a process
 * of its own (scripts/bench-compare-gateway.ts for the peers): this project's gateway
 * (gateway/main.ts); stock `@apollo/gateway` on Apollo Server with its default fetcher; the same with
 * an undici `request` fetcher; Hive Gateway with the Rust query planner; the same without in-flight
 * request deduplication. Rounds alternate the order (forward, then backward), so that a drift of the
 * machine weighs on every gateway alike.
 *
 * The peers cannot pass this project's access control (a subgraph answers personal data only to a
 * signed caller assertion), so the first comparison query is public and touches three subgraphs
 * (public-services, civil-status, land). This project's gateway is also measured on the portal query
 * (scripts/bench-workloads.ts) with the development officer's API key, as `npm run bench` does.
 *
 * Then the portal query once more, every gateway over a second set of the five subgraphs started
 * without access control (scripts/bench-open-subgraph.ts, ports + 31…35, the same mocks): workload
 * `portal-open`. The peers answer it, and what a stock gateway spends on it is about the least a
 * gateway built on the same engine can spend on the portal query, before any access control. This
 * project's gateway still checks the API key, signs caller assertions and writes the access log
 * there; only the subgraphs skip their checks. Its answer must equal the guarded portal answer.
 *
 * `--replay` puts replaying subgraphs (scripts/replaying-subgraphs.ts, ports + 41…45 and + 51…55)
 * between every gateway and the subgraphs: the first request of each body reaches the subgraph, every
 * later one is answered from its record. The subgraphs and mocks then stay almost idle, and each
 * gateway's CPU per answer is measured with the machine's cores nearly to itself.
 *
 * Each run: one request whose answer is compared with the first gateway's, `BENCH_WARM_UP_SECONDS`
 * (default 10) of load, then `BENCH_SECONDS` (default 10) with autocannon, `BENCH_CONNECTIONS`
 * (default 20) connections, on loopback. The CPU time
 * (utime + stime in /proc/<pid>/stat) of every process, the gateway, each subgraph and each mock, is
 * read just before and just after the measured load. Prints req/s, p50, p99 and CPU ms per request
 * per process and summed, and each peer's ratios to this project's gateway; `--json` prints the same
 * as JSON instead, `--rounds=N` (default 2) sets the rounds, `--gateways=lien-thong,hive,…` and
 * `--workloads=public,portal,portal-open` (default all) what is measured. Everything started is stopped at the
 * end, on an error, and on Ctrl-C or SIGTERM. Exits 1 when a request was not a 200 without errors or
 * an answer differed. Nothing here asserts a speed: on a shared machine the figures are indicative.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorText, settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_COMPARE_SETTINGS } from '../lib/runtime/process-settings.ts';
import { ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { ServiceProcess, systemLayout, type ServiceSpec } from '../lib/devkit/services.ts';
import { perSystem, SYSTEM_IDS, SYSTEMS, type SystemId } from '../lib/runtime/systems.ts';
import { landOfficerHeaders, PORTAL, PORTAL_VARIABLES, PUBLIC_CROSS_SUBGRAPH } from './bench-workloads.ts';
import { startReplayingSubgraphs, type ReplayingSubgraphs } from './replaying-subgraphs.ts';
import {
  benchSeconds,
  choicesArgument,
  cpuSnapshot,
  cpuSpent,
  jsonOutput,
  loadProblem,
  loadWorkload,
  portsFrom,
  positiveIntegerArgument,
  postOnce,
  round as round1,
  say,
  sum,
  summariseRuns,
  table,
  wholeAnswer,
  type MeasuredLoad,
  type RunsSummary,
  type Workload,
} from './bench-common.ts';

const rounds = positiveIntegerArgument('rounds', 2);
const replaying = process.argv.includes('--replay');
const seconds = benchSeconds();
const { basePort: portBase, connections: CONNECTIONS, warmUpSeconds: WARM_UP_SECONDS } = settingsOrExit(BENCH_COMPARE_SETTINGS);
const START_TIMEOUT_MS = 180_000;
const SETTLE_MS = 2000;

/** The peers scripts/bench-compare-gateway.ts starts (`BENCH_COMPARE_GATEWAY`). */
const PEER_GATEWAYS = ['apollo', 'apollo-undici', 'hive', 'hive-no-dedup'] as const;
type GatewayId = 'lien-thong' | (typeof PEER_GATEWAYS)[number];
const GATEWAY_TITLES: Record<GatewayId, string> = {
  'lien-thong': 'this project (gateway/main.ts)',
  apollo: '@apollo/gateway, default fetcher',
  'apollo-undici': '@apollo/gateway, undici request fetcher',
  hive: 'Hive Gateway, Rust planner',
  'hive-no-dedup': 'Hive Gateway, Rust planner, no dedup',
};
const GATEWAYS: GatewayId[] = ['lien-thong', ...PEER_GATEWAYS];

type WorkloadId = 'public' | 'portal' | 'portal-open';
const WORKLOAD_IDS: readonly WorkloadId[] = ['public', 'portal', 'portal-open'];
const WORKLOAD_TITLES: Record<WorkloadId, string> = {
  public: 'public query',
  portal: 'portal query',
  'portal-open': 'portal query, subgraphs without access control',
};

/** One gateway on one workload: a run of each per round. */
interface Contender {
  gateway: GatewayId;
  workload: WorkloadId;
}
const chosenGateways = choicesArgument('gateways', GATEWAYS);
const CONTENDERS: Contender[] = choicesArgument('workloads', WORKLOAD_IDS).flatMap((workload) =>
  // Only this project's gateway can pass the subgraphs' access control on the portal query.
  (workload === 'portal' ? chosenGateways.filter((gateway) => gateway === 'lien-thong') : chosenGateways).map((gateway): Contender => ({ gateway, workload })),
);
const label = ({ gateway, workload }: Contender) => (workload === 'public' ? gateway : `${gateway} (${workload})`);
/** The workload whose first answer a run's answer must equal: the portal query's is the same with or without access control. */
const referenceOf = (workload: WorkloadId): WorkloadId => (workload === 'portal-open' ? 'portal' : workload);

// --- the system ----------------------------------------------------------------------------------

const dev = await ensureDevCredentials();
const portalWorkload: Workload = {
  query: PORTAL,
  variables: PORTAL_VARIABLES,
  headers: landOfficerHeaders(dev.credentials.apiKey),
};
const workloads: Record<WorkloadId, Workload> = {
  public: { query: PUBLIC_CROSS_SUBGRAPH, headers: {} },
  // The development officer of `npm start` (.dev/), for a land transfer, as `npm run bench` asks; the peers send the headers on to no one.
  portal: portalWorkload,
  'portal-open': portalWorkload,
};

const scratch = mkdtempSync(join(tmpdir(), 'bench-compare-'));
const portEnv: NodeJS.ProcessEnv = { ...portsFrom(portBase), ACCESS_LOG_PATH: join(scratch, 'access-log.sqlite') };
const baseEnv: NodeJS.ProcessEnv = { ...dev.env, ...process.env, ...portEnv };
// Every subgraph and backend is the one started here.
for (const id of SYSTEM_IDS) {
  delete baseEnv[`${SYSTEMS[id].envPrefix}_SUBGRAPH_URL`];
  delete baseEnv[`${SYSTEMS[id].envPrefix}_BACKEND_URL`];
}
const layout = systemLayout(baseEnv);
const processOptions = (env: NodeJS.ProcessEnv) => ({
  env,
  host: layout.host,
  onLine: (line: string, service: ServiceProcess) => console.error(`  [${service.name}] ${line}`),
});
const systemServices = layout.services.filter((spec) => spec.name !== 'gateway').map((spec) => new ServiceProcess(spec, processOptions(layout.env)));
/** The five subgraphs again, without access control, over the same mocks (`portal-open`); started only for that workload. */
const openPort = (index: number) => portBase + 31 + index;
const openSubgraphs = CONTENDERS.some((contender) => contender.workload === 'portal-open')
  ? SYSTEM_IDS.map((id, index) => {
      const spec: ServiceSpec = { name: `open-${id}-subgraph`, entry: 'scripts/bench-open-subgraph.ts', port: openPort(index) };
      return new ServiceProcess(spec, processOptions({ ...layout.env, BENCH_OPEN_SUBGRAPH: id, [`${SYSTEMS[id].envPrefix}_SUBGRAPH_PORT`]: String(openPort(index)) }));
    })
  : [];
const allServices = [...systemServices, ...openSubgraphs];
/** Where each subgraph of the workload is: for `portal-open`, the open subgraph. */
function subgraphUrlsOf(workload: WorkloadId): Record<SystemId, string> {
  const urls = {} as Record<SystemId, string>;
  for (const [index, id] of SYSTEM_IDS.entries())
    urls[id] = workload === 'portal-open' ? `http://${layout.host}:${openPort(index)}/graphql` : layout.settings.systems[id].subgraphUrl;
  return urls;
}
/** With `--replay`: the replaying subgraphs in front of the guarded subgraphs and of the open ones. */
const replays: { guarded?: ReplayingSubgraphs; open?: ReplayingSubgraphs } = {};
/** A gateway's environment for a workload: every subgraph URL is the one it calls (open, replaying). */
function gatewayEnv(workload: WorkloadId): NodeJS.ProcessEnv {
  const replay = workload === 'portal-open' ? replays.open : replays.guarded;
  const urls = replay ? (replay.urls as Record<SystemId, string>) : subgraphUrlsOf(workload);
  const env = { ...layout.env };
  for (const id of SYSTEM_IDS) env[`${SYSTEMS[id].envPrefix}_SUBGRAPH_URL`] = urls[id];
  return env;
}
/** The processes whose CPU a run of the workload counts (the gateway apart), named as the guarded ones so that the tables line up. */
function servedBy(workload: WorkloadId): { name: string; service: ServiceProcess }[] {
  if (workload !== 'portal-open') return systemServices.map((service) => ({ name: service.name, service }));
  return systemServices.map((service) => ({
    name: service.name,
    service: openSubgraphs.find((open) => open.name === `open-${service.name}`) ?? service,
  }));
}

function gatewayProcess({ gateway, workload }: Contender): ServiceProcess {
  const env = gatewayEnv(workload);
  if (gateway === 'lien-thong')
    return new ServiceProcess(
      layout.services.find((spec) => spec.name === 'gateway')!,
      processOptions(env),
    );
  const port = portBase + 20 + PEER_GATEWAYS.indexOf(gateway);
  const spec: ServiceSpec = { name: gateway, entry: 'scripts/bench-compare-gateway.ts', port };
  return new ServiceProcess(spec, processOptions({ ...env, GATEWAY_PORT: String(port), BENCH_COMPARE_GATEWAY: gateway }));
}

let current: ServiceProcess | undefined;
let stopping: Promise<void> | undefined;
/** Stops the gateway under test and every service; once. */
function stopEverything(): Promise<void> {
  stopping ??= Promise.all([current, ...allServices].filter((service) => service !== undefined).map((service) => service.stop()))
    .then(() => Promise.all([replays.guarded?.close(), replays.open?.close()]))
    .then(() => rmSync(scratch, { recursive: true, force: true }))
    .then(() => undefined);
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every process…`);
    void stopEverything().then(() => process.exit(130));
  });
}
// Whatever happens, no child outlives this process.
process.once('exit', () => {
  for (const service of [current, ...allServices]) if (service?.running && service.pid) process.kill(service.pid, 'SIGKILL');
});

// --- measuring -----------------------------------------------------------------------------------

/** `cpuMs` names the gateway under test `gateway`. */
interface Run extends MeasuredLoad {
  gateway: GatewayId;
  workload: WorkloadId;
}

const problems: string[] = [];
const runs: Run[] = [];
/** The first answer of each workload, which every other gateway's must equal. */
const reference = new Map<WorkloadId, { gateway: GatewayId; data: string }>();

async function measure(round: number, contender: Contender): Promise<void> {
  const gateway = gatewayProcess(contender);
  current = gateway;
  gateway.start();
  try {
    await gateway.waitUntilAnswering(START_TIMEOUT_MS);
    const url = `${gateway.url}/graphql`;
    const workload = workloads[contender.workload];
    const first = await postOnce(url, workload);
    const answer = wholeAnswer(first.status, first.text);
    if ('problem' in answer) problems.push(`${label(contender)}: the first answer: ${answer.problem}`);
    const data = 'data' in answer ? answer.data : undefined;
    const seen = reference.get(referenceOf(contender.workload));
    if (data !== undefined && !seen) reference.set(referenceOf(contender.workload), { gateway: contender.gateway, data });
    else if (data !== undefined && seen && seen.data !== data) problems.push(`${label(contender)}: its answer differs from ${seen.gateway}'s`);

    await loadWorkload(url, workload, { connections: CONNECTIONS, duration: WARM_UP_SECONDS });
    const loadAverage = loadavg()[0]!;
    const measured = [{ name: 'gateway', pid: gateway.pid! }, ...servedBy(contender.workload).map(({ name, service }) => ({ name, pid: service.pid! }))];
    const before = cpuSnapshot(measured);
    const figures = await loadWorkload(url, workload, { connections: CONNECTIONS, duration: seconds });
    const after = cpuSnapshot(measured);
    // autocannon stops without waiting for the requests in flight: let them end before the gateway does.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (figures.requests < CONNECTIONS) problems.push(`${label(contender)} round ${round}: only ${figures.requests} answers in ${seconds} s, too few to measure`);
    const problem = loadProblem(figures);
    if (problem) problems.push(`${label(contender)} round ${round}: ${problem}`);
    const run: Run = { round, gateway: contender.gateway, workload: contender.workload, loadAverage, ...figures, cpuMs: cpuSpent(before, after) };
    runs.push(run);
    say(
      `  round ${round} ${label(contender).padEnd(26)} ${run.reqPerSecond.toFixed(1).padStart(7)} req/s  p50 ${run.p50Ms} ms  p99 ${run.p99Ms} ms  gateway CPU ${(run.cpuMs.gateway! / Math.max(1, run.requests)).toFixed(2)} ms/req`,
    );
  } finally {
    await gateway.stop();
    current = undefined;
  }
}

// --- the summary ---------------------------------------------------------------------------------

const PROCESS_NAMES = ['gateway', ...systemServices.map((service) => service.name)];

interface Summary extends RunsSummary {
  contender: string;
  gateway: GatewayId;
  workload: WorkloadId;
  /** Against this project's gateway on the same workload: req/s, gateway CPU per request, all CPU per request. */
  ratios?: { reqPerSecond: number; gatewayCpuPerRequest: number; totalCpuPerRequest: number };
}

function summarise(contender: Contender): Summary | undefined {
  const measured = runs.filter((run) => run.gateway === contender.gateway && run.workload === contender.workload);
  if (measured.length === 0) return undefined;
  return { contender: label(contender), gateway: contender.gateway, workload: contender.workload, ...summariseRuns(measured, PROCESS_NAMES) };
}

function summaries(): Summary[] {
  const all = CONTENDERS.map(summarise).filter((summary): summary is Summary => summary !== undefined);
  for (const summary of all) {
    const ours = all.find((candidate) => candidate.gateway === 'lien-thong' && candidate.workload === summary.workload);
    if (!ours || summary.workload === 'portal') continue;
    summary.ratios = {
      reqPerSecond: round1(summary.reqPerSecond / ours.reqPerSecond, 2),
      gatewayCpuPerRequest: round1(summary.cpuMsPerAnswer.gateway! / ours.cpuMsPerAnswer.gateway!, 2),
      totalCpuPerRequest: round1(summary.cpuMsPerAnswer.sum! / ours.cpuMsPerAnswer.sum!, 2),
    };
  }
  return all;
}

function printTables(all: Summary[]): void {
  console.log(`\nThroughput and latency (${CONNECTIONS} connections, ${seconds} s per run, ${rounds} rounds; p50/p99 are means over the runs):`);
  console.log(
    table(
      ['gateway', 'workload', 'req/s (runs)', 'req/s', 'p50 ms', 'p99 ms', 'gateway CPU ms/req', 'all CPU ms/req', 'req/s ratio', 'gateway CPU/req ratio', 'all CPU/req ratio'],
      all.map((s) => [
        s.gateway,
        s.workload,
        s.reqPerSecondByRun.join(', '),
        s.reqPerSecond,
        s.p50Ms,
        s.p99Ms,
        s.cpuMsPerAnswer.gateway!.toFixed(2),
        s.cpuMsPerAnswer.sum!.toFixed(2),
        s.ratios ? s.ratios.reqPerSecond.toFixed(2) : '-',
        s.ratios ? s.ratios.gatewayCpuPerRequest.toFixed(2) : '-',
        s.ratios ? s.ratios.totalCpuPerRequest.toFixed(2) : '-',
      ]),
    ),
  );
  console.log("Ratios are against this project's gateway on the same workload (peer / lien-thong).");
  console.log('\nCPU ms per request, by process (utime + stime over the measured runs, divided by their requests):');
  console.log(
    table(
      ['process', ...all.map((s) => s.contender)],
      [...PROCESS_NAMES, 'sum'].map((name) => [name, ...all.map((s) => s.cpuMsPerAnswer[name]!.toFixed(3))]),
    ),
  );
  console.log('\nRuns:');
  console.log(
    table(
      ['round', 'gateway', 'workload', 'load avg', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'with errors', 'gateway CPU ms', 'all CPU ms'],
      runs.map((run) => [
        run.round,
        run.gateway,
        run.workload,
        run.loadAverage,
        run.requests,
        run.reqPerSecond.toFixed(1),
        run.p50Ms,
        run.p99Ms,
        run.non2xx,
        run.errors,
        run.withErrors,
        run.cpuMs.gateway!,
        sum(Object.values(run.cpuMs)),
      ]),
    ),
  );
  console.log('\nGateways:');
  for (const gateway of GATEWAYS) console.log(`  ${gateway.padEnd(14)} ${GATEWAY_TITLES[gateway]}`);
  console.log('Workloads:');
  for (const workload of WORKLOAD_IDS) console.log(`  ${workload.padEnd(14)} ${WORKLOAD_TITLES[workload]}`);
}

// --- the rounds ----------------------------------------------------------------------------------

try {
  say(
    `bench:compare: starting ${allServices.length} processes (4 mock backends, 4 subgraphs${openSubgraphs.length ? ', 4 subgraphs without access control' : ''}) on ports ${portBase + 1}–${portBase + (openSubgraphs.length ? 34 : 14)}…`,
  );
  for (const service of allServices) service.start();
  await Promise.all(allServices.map((service) => service.waitUntilAnswering(START_TIMEOUT_MS)));
  if (replaying) {
    const ports = (first: number) => perSystem((_, index) => first + index);
    replays.guarded = await startReplayingSubgraphs(subgraphUrlsOf('public'), ports(portBase + 41));
    if (openSubgraphs.length) replays.open = await startReplayingSubgraphs(subgraphUrlsOf('portal-open'), ports(portBase + 51));
    say(`replaying subgraphs on ports ${portBase + 41}–${portBase + (openSubgraphs.length ? 54 : 44)}: each request body reaches its subgraph once`);
  }
  say(
    `node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
  say(`public query: ${PUBLIC_CROSS_SUBGRAPH}`);
  say(`${CONNECTIONS} connections, ${WARM_UP_SECONDS} s warm-up then ${seconds} s measured per run, ${rounds} rounds, each gateway a fresh process per run`);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? CONTENDERS : [...CONTENDERS].reverse();
    for (const contender of order) {
      if (stopping) break;
      await measure(round, contender);
    }
  }
  for (const service of allServices) if (!service.running) problems.push(`${service.name} exited during the runs (${JSON.stringify(service.lastExit)})`);
  const all = summaries();
  const replayCounts = replaying
    ? { forwarded: (replays.guarded?.forwarded() ?? 0) + (replays.open?.forwarded() ?? 0), replayed: (replays.guarded?.replayed() ?? 0) + (replays.open?.replayed() ?? 0) }
    : undefined;
  if (replayCounts) say(`replaying subgraphs: ${replayCounts.forwarded} requests forwarded to a subgraph, ${replayCounts.replayed} answered from a record`);
  if (jsonOutput)
    console.log(
      JSON.stringify(
        {
          query: PUBLIC_CROSS_SUBGRAPH,
          workloads: WORKLOAD_TITLES,
          replay: replayCounts ?? null,
          connections: CONNECTIONS,
          seconds,
          warmUpSeconds: WARM_UP_SECONDS,
          rounds,
          gateways: GATEWAY_TITLES,
          summaries: all,
          runs,
          problems,
        },
        null,
        2,
      ),
    );
  else printTables(all);
} catch (error) {
  problems.push(`stopped by an error: ${errorText(error)}`);
} finally {
  await stopEverything();
}

if (problems.length > 0) {
  console.error('\nNOT EVERY REQUEST WAS A 200 WITH THE SAME DATA, these figures are not valid:');
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exitCode = 1;
}
