/**
 * `npm run bench:compare`: this project's gateway against stock federation gateways, over the same
 * running subgraphs and mock backends.
 *
 * The four mock backends and four subgraphs start once, as `npm start` starts them
 * (lib/devkit/services.ts), on ports `BENCH_COMPARE_PORT` (default 5200) + 1…4 (subgraphs) and + 11…14
 * (mocks). Then each round starts, measures and stops, one after the other, each gateway as a process
 * of its own (scripts/bench-compare-gateway.ts for the peers): this project's gateway
 * (gateway/main.ts); stock `@apollo/gateway` on Apollo Server with its default fetcher; the same with
 * an undici `request` fetcher; Hive Gateway with the Rust query planner; the same without in-flight
 * request deduplication. Rounds alternate the order (forward, then backward), so that a drift of the
 * machine weighs on every gateway alike.
 *
 * The peers cannot pass this project's access control (a subgraph answers personal data only to a
 * signed caller assertion), so the comparison query is public and touches three subgraphs
 * (public-services, civil-status, land). This project's gateway is also measured on the portal query
 * (scripts/bench-workloads.ts) with the development officer's API key, as `npm run bench` does.
 *
 * Each run: one request whose answer is compared with the first gateway's, `BENCH_WARM_UP_SECONDS`
 * (default 10) of load, then `BENCH_SECONDS` (default 10) with autocannon, `BENCH_CONNECTIONS`
 * (default 20) connections, on loopback. The CPU time
 * (utime + stime in /proc/<pid>/stat) of every process, the gateway, each subgraph and each mock, is
 * read just before and just after the measured load. Prints req/s, p50, p99 and CPU ms per request
 * per process and summed, and each peer's ratios to this project's gateway; `--json` prints the same
 * as JSON instead, `--rounds=N` (default 2) sets the rounds. Everything started is stopped at the
 * end, on an error, and on Ctrl-C or SIGTERM. Exits 1 when a request was not a 200 without errors or
 * an answer differed. Nothing here asserts a speed: on a shared machine the figures are indicative.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_COMPARE_SETTINGS } from '../lib/runtime/process-settings.ts';
import { ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { ServiceProcess, systemLayout, type ServiceSpec } from '../lib/devkit/services.ts';
import { SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';
import { PORTAL, PORTAL_VARIABLES, PUBLIC_CROSS_SUBGRAPH } from './bench-workloads.ts';
import {
  benchSeconds,
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

type WorkloadId = 'public' | 'portal';

/** One gateway on one workload: a run of each per round. */
interface Contender {
  gateway: GatewayId;
  workload: WorkloadId;
}
const gatewaysArgument = process.argv.find((argument) => argument.startsWith('--gateways='));
const chosen = gatewaysArgument ? gatewaysArgument.slice('--gateways='.length).split(',') : GATEWAYS;
for (const name of chosen) if (!(GATEWAYS as string[]).includes(name)) throw new Error(`--gateways: no gateway "${name}" (${GATEWAYS.join(', ')})`);
const CONTENDERS: Contender[] = [
  ...GATEWAYS.filter((gateway) => chosen.includes(gateway)).map((gateway): Contender => ({ gateway, workload: 'public' })),
  ...(chosen.includes('lien-thong') ? [{ gateway: 'lien-thong', workload: 'portal' } as const] : []),
];
const label = ({ gateway, workload }: Contender) => (workload === 'public' ? gateway : `${gateway} (${workload})`);

// --- the system ----------------------------------------------------------------------------------

const dev = await ensureDevCredentials();
const workloads: Record<WorkloadId, Workload> = {
  public: { query: PUBLIC_CROSS_SUBGRAPH, headers: {} },
  // The development officer of `npm start` (.dev/), for a land transfer, as `npm run bench` asks.
  portal: { query: PORTAL, variables: PORTAL_VARIABLES, headers: { 'x-api-key': dev.credentials.apiKey, 'x-purpose-code': 'land-transfer', 'x-case-number': 'BENCH-1' } },
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

function gatewayProcess(gateway: GatewayId): ServiceProcess {
  if (gateway === 'lien-thong')
    return new ServiceProcess(
      layout.services.find((spec) => spec.name === 'gateway')!,
      processOptions(layout.env),
    );
  const port = portBase + 20 + PEER_GATEWAYS.indexOf(gateway);
  const spec: ServiceSpec = { name: gateway, entry: 'scripts/bench-compare-gateway.ts', port };
  return new ServiceProcess(spec, processOptions({ ...layout.env, GATEWAY_PORT: String(port), BENCH_COMPARE_GATEWAY: gateway }));
}

let current: ServiceProcess | undefined;
let stopping: Promise<void> | undefined;
/** Stops the gateway under test and every service; once. */
function stopEverything(): Promise<void> {
  stopping ??= Promise.all([current, ...systemServices].filter((service) => service !== undefined).map((service) => service.stop()))
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
  for (const service of [current, ...systemServices]) if (service?.running && service.pid) process.kill(service.pid, 'SIGKILL');
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
  const gateway = gatewayProcess(contender.gateway);
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
    const seen = reference.get(contender.workload);
    if (data !== undefined && !seen) reference.set(contender.workload, { gateway: contender.gateway, data });
    else if (data !== undefined && seen && seen.data !== data) problems.push(`${label(contender)}: its answer differs from ${seen.gateway}'s`);

    await loadWorkload(url, workload, { connections: CONNECTIONS, duration: WARM_UP_SECONDS });
    const loadAverage = loadavg()[0]!;
    const measured = [{ name: 'gateway', pid: gateway.pid! }, ...systemServices.map((service) => ({ name: service.name, pid: service.pid! }))];
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
  const ours = all.find((summary) => summary.gateway === 'lien-thong' && summary.workload === 'public');
  for (const summary of all) {
    if (!ours || summary.workload !== 'public') continue;
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
  console.log("Ratios are against this project's gateway on the public query (peer / lien-thong).");
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
}

// --- the rounds ----------------------------------------------------------------------------------

try {
  say(`bench:compare: starting ${systemServices.length} processes (4 mock backends, 4 subgraphs) on ports ${portBase + 1}–${portBase + 14}…`);
  for (const service of systemServices) service.start();
  await Promise.all(systemServices.map((service) => service.waitUntilAnswering(START_TIMEOUT_MS)));
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
  for (const service of systemServices) if (!service.running) problems.push(`${service.name} exited during the runs (${JSON.stringify(service.lastExit)})`);
  const all = summaries();
  if (jsonOutput)
    console.log(
      JSON.stringify(
        { query: PUBLIC_CROSS_SUBGRAPH, connections: CONNECTIONS, seconds, warmUpSeconds: WARM_UP_SECONDS, rounds, gateways: GATEWAY_TITLES, summaries: all, runs, problems },
        null,
        2,
      ),
    );
  else printTables(all);
} catch (error) {
  problems.push(`stopped by an error: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await stopEverything();
}

if (problems.length > 0) {
  console.error('\nNOT EVERY REQUEST WAS A 200 WITH THE SAME DATA, these figures are not valid:');
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exitCode = 1;
}
