/**
 * `npm run bench`: start-up time of `npm start`, and, on every process it starts, three
 * workloads driven through the gateway with autocannon on loopback (scripts/bench-workloads.ts): the
 * portal query and the 50-citizen batch as the development officer (API key, `land-transfer`), and
 * the public query across three subgraphs. For each: req/s, p50, p99, non-2xx and errors, and the CPU
 * time (utime + stime in /proc) of every process over the measured load divided by its answers; for
 * the gateway and the subgraphs also their garbage collector's pauses per answer and scavenges per
 * 1,000 answers (`nodejs_gc_duration_seconds` of their `/metrics`; a count of scavenges does not drift
 * with the machine's speed).
 *
 * `-- --baseline=<dir>`: the same on another checkout of this repository (an older commit, with its own
 * node_modules), before and after in one run. Each checkout's `scripts/start.ts` runs in turn on the
 * same ports, with its own `.dev/` key set, and the rounds alternate the order (before, after; then
 * after, before) so that a drift of the machine weighs on both alike. Prints, per workload, before
 * and after side by side with the ratios after / before. `--baseline-node=<path>`: the Node.js that
 * runs the baseline's system (default: the one running this script, which runs this checkout's), so
 * that two runtimes are compared in one run too; each checkout's node_modules must have been
 * installed by the Node.js that runs it.
 *
 * Each start: `npm start` (LOG_LEVEL=warn, a throwaway SQLite access log), one request per workload
 * that must be a 200 with data and without errors, then per workload `BENCH_WARM_UP_SECONDS` (default
 * 10) of load and `BENCH_SECONDS` (default 10) measured, `BENCH_CONNECTIONS` (default 20) connections. `BENCH_STARTUPS` (default 3) starts of each
 * checkout at least are timed (the measured ones count). Ports: `BENCH_PORT=<base>` puts the gateway
 * on the base, the subgraphs on base + 1…5 and the mocks on base + 11…15; otherwise GATEWAY_PORT and
 * the `<PREFIX>_SUBGRAPH_PORT` / `<PREFIX>_BACKEND_PORT` variables, or `npm start`'s defaults.
 * `--rounds=N` (default 1, 2 with a baseline), `--workloads=portal,batch,public` (default all three),
 * `--rate=N` to measure at N requests a second (autocannon's `overallRate`, after a warm-up as fast as
 * answered) instead of as many as each checkout answers, `--json` for JSON on stdout. Everything started is
 * stopped at the end, on an error, and on Ctrl-C or SIGTERM. Exits 1 when a request was not a 200
 * without errors. Nothing here asserts a speed; figures go in docs/BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorText, settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_SETTINGS } from '../lib/runtime/process-settings.ts';
import {
  benchSeconds,
  choicesArgument,
  cpuSnapshot,
  cpuSpent,
  gcSnapshot,
  gcSpent,
  jsonOutput,
  keptUpWith,
  loadProblem,
  loadWorkload,
  positiveIntegerArgument,
  postOnce,
  round,
  say,
  stringArgument,
  sum,
  summariseRuns,
  table,
  wholeAnswer,
  type MeasuredLoad,
  type RunsSummary,
  type Workload,
} from './bench-common.ts';
import { benchEnv, benchLayout, devApiKey, metricsServices, startSystem, stopOnExit, type RunningSystem } from './bench-system.ts';
import { BATCH, BATCH_VARIABLES, landOfficerHeaders, PORTAL, PORTAL_VARIABLES, PUBLIC_CROSS_SUBGRAPH } from './bench-workloads.ts';

const baselineArgument = stringArgument('baseline');
const baselineNodeArgument = stringArgument('baseline-node');
if (baselineNodeArgument !== undefined && baselineArgument === undefined) {
  console.error('Error: --baseline-node needs --baseline=<dir>: it is the Node.js that runs the baseline.');
  process.exit(2);
}
const rounds = positiveIntegerArgument('rounds', baselineArgument ? 2 : 1);
/**
 * `--rate=N`: the measured load at N requests a second, after a warm-up as fast as answered. A process
 * spends more CPU per answer when answers come now and then than when it is busy, so two checkouts
 * that answer at different rates are compared at one rate too: the CPU per answer of each at the same
 * load. autocannon spreads the rate over the connections, each sending on its own timer, so answers
 * come in small bursts; the same rate evenly spaced costs more per answer.
 */
const RATE = positiveIntegerArgument('rate');
const seconds = benchSeconds();
const { startups, connections: CONNECTIONS, warmUpSeconds: WARM_UP_SECONDS } = settingsOrExit(BENCH_SETTINGS);
/** The measured runs' load: as fast as answered, or `--rate`. */
const MEASURED_LOAD = { connections: CONNECTIONS, ...(RATE ? { overallRate: RATE } : {}) };
/** After a load: autocannon stops without waiting for the requests in flight. */
const SETTLE_MS = 1000;

// --- the checkouts and the workloads -------------------------------------------------------------

type TreeId = 'before' | 'after' | 'this';
interface Tree extends NodeRuntime {
  id: TreeId;
  root: string;
  /** `git describe`-like: the commit, `+ changes` when the working tree differs from it. */
  revision: string;
  /** Its `provinces` takes a date (`at`); 9ca08f6's does not. */
  datedProvinces: boolean;
}

/** The Node.js that runs a checkout's system, and what its `--version` prints. */
interface NodeRuntime {
  node: string;
  nodeVersion: string;
}

const THIS_NODE: NodeRuntime = { node: process.execPath, nodeVersion: process.version };

/** `--baseline-node=<path>`, asked its version once; this process's Node.js without it. Exits 2 when it cannot be run. */
function baselineNode(): NodeRuntime {
  if (baselineNodeArgument === undefined) return THIS_NODE;
  const node = resolve(baselineNodeArgument);
  try {
    return { node, nodeVersion: execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim() };
  } catch (error) {
    console.error(`Error: --baseline-node=${baselineNodeArgument} cannot be run: ${errorText(error)}`);
    process.exit(2);
  }
}

function treeAt(id: TreeId, root: string, runtime: NodeRuntime): Tree {
  const schema = readFileSync(join(root, 'subgraphs/public-services/schema.graphql'), 'utf8');
  return { id, root, revision: revisionOf(root), datedProvinces: schema.includes('provinces(at:'), ...runtime };
}

function revisionOf(root: string): string {
  try {
    const commit = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return `${commit.length > 70 ? `${commit.slice(0, 67)}…` : commit}${changed ? ' (+ uncommitted changes)' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

const thisRoot = resolve(fileURLToPath(new URL('../', import.meta.url)));
const trees: Tree[] = baselineArgument
  ? [treeAt('before', resolve(baselineArgument), baselineNode()), treeAt('after', thisRoot, THIS_NODE)]
  : [treeAt('this', thisRoot, THIS_NODE)];

type WorkloadId = 'portal' | 'batch' | 'public';
/** `--workloads=portal,public`: only those, e.g. to give one workload more rounds in the same time. */
const WORKLOAD_IDS = choicesArgument<WorkloadId>('workloads', ['portal', 'batch', 'public']);
const WORKLOAD_TITLES: Record<WorkloadId, string> = {
  portal: 'portal query (3 systems, named household head), officer',
  batch: 'citizens x50 with birth registration and parcels, officer',
  public: 'public query (63 provinces with civil-status and land digitisation)',
};
/**
 * The workload with a checkout's development officer (API key, for a land transfer) where it is
 * personal. A checkout from before the provinces were dated (its `provinces` takes no `at`) knows
 * only the 63 provinces the dated query asks for, and is asked the same without the argument.
 */
function workloadFor(id: WorkloadId, apiKey: string, tree: Tree): Workload {
  const officer = landOfficerHeaders(apiKey);
  if (id === 'portal') return { query: PORTAL, variables: PORTAL_VARIABLES, headers: officer };
  if (id === 'batch') return { query: BATCH, variables: BATCH_VARIABLES, headers: officer };
  return { query: tree.datedProvinces ? PUBLIC_CROSS_SUBGRAPH : PUBLIC_CROSS_SUBGRAPH.replace(/^\{ provinces\(at: "[\d-]+"\)/, '{ provinces'), headers: {} };
}

const layout = benchLayout();
const PROCESS_NAMES = layout.services.map((spec) => spec.name);
/** The services with prom-client's metrics, on their own port (the bench sets no metrics port): the gateway and the subgraphs. */
const METRICS_OF = metricsServices(layout);
const url = `http://${layout.host}:${layout.gatewayPort}/graphql`;
const scratch = mkdtempSync(join(tmpdir(), 'bench-'));
const envOf = (tree: Tree): NodeJS.ProcessEnv => benchEnv(layout, join(scratch, `${tree.id}-access-log.sqlite`));

// --- stopping ------------------------------------------------------------------------------------

let current: RunningSystem | undefined;
let interrupted = false;
stopOnExit(
  () => current,
  () => rmSync(scratch, { recursive: true, force: true }),
  () => (interrupted = true),
);

async function start(tree: Tree): Promise<RunningSystem> {
  current = await startSystem(tree.root, envOf(tree), (line) => console.error(`  [${tree.id}] ${line}`), tree.node);
  startSeconds[tree.id].push(round(current.startSeconds));
  processCount[tree.id] = current.processes.length;
  return current;
}

async function stop(system: RunningSystem): Promise<void> {
  await system.stop();
  current = undefined;
}

// --- measuring -----------------------------------------------------------------------------------

interface Run extends MeasuredLoad {
  tree: TreeId;
  workload: WorkloadId;
}

const problems: string[] = [];
const notes: string[] = [];
const runs: Run[] = [];
const startSeconds: Record<TreeId, number[]> = { before: [], after: [], this: [] };
/** How many processes each checkout's npm start runs (a system added since the baseline adds two). */
const processCount: Record<TreeId, number> = { before: 0, after: 0, this: 0 };
/** Each workload's first answer, by checkout, to say whether the checkouts answer alike. */
const firstData = new Map<string, string>();

async function measureTree(roundNumber: number, tree: Tree): Promise<void> {
  const apiKey = await devApiKey(tree.root);
  // Starts only timed, in the first round, so that with the measured ones (one per round) they make BENCH_STARTUPS.
  while (roundNumber === 1 && startSeconds[tree.id].length < startups - rounds && !interrupted) await stop(await start(tree));
  if (interrupted) return;
  const system = await start(tree);
  say(`  round ${roundNumber} ${tree.id}: up in ${system.startSeconds.toFixed(1)} s`);
  try {
    for (const id of WORKLOAD_IDS) {
      if (interrupted) return;
      const workload = workloadFor(id, apiKey, tree);
      const first = await postOnce(url, workload);
      const answer = wholeAnswer(first.status, first.text);
      if ('problem' in answer) problems.push(`${tree.id}, ${id}, round ${roundNumber}: the first answer: ${answer.problem}`);
      else firstData.set(`${tree.id} ${id}`, answer.data);

      // The warm-up is flat out even with --rate: at a low rate, its few answers leave much of the code unoptimised.
      await loadWorkload(url, workload, { connections: CONNECTIONS, duration: WARM_UP_SECONDS });
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const loadAverage = round(loadavg()[0]!, 2);
      const gcBefore = await gcSnapshot(METRICS_OF);
      const before = cpuSnapshot(system.processes);
      const figures = await loadWorkload(url, workload, { ...MEASURED_LOAD, duration: seconds });
      const after = cpuSnapshot(system.processes);
      const gc = gcSpent(gcBefore, await gcSnapshot(METRICS_OF));
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const problem = loadProblem(figures);
      if (problem) problems.push(`${tree.id}, ${id}, round ${roundNumber}: ${problem}`);
      if (figures.requests === 0) problems.push(`${tree.id}, ${id}, round ${roundNumber}: no answer in ${seconds} s`);
      if (RATE && !keptUpWith(figures, RATE)) {
        notes.push(`${tree.id}, ${id}, round ${roundNumber}: ${figures.reqPerSecond} answers/s, below the ${RATE}/s asked: its CPU per answer is that of a saturated system`);
      }
      const run: Run = { round: roundNumber, tree: tree.id, workload: id, loadAverage, ...figures, cpuMs: cpuSpent(before, after), gc };
      runs.push(run);
      say(
        `  round ${roundNumber} ${tree.id.padEnd(6)} ${id.padEnd(6)} ${run.reqPerSecond.toFixed(1).padStart(7)} req/s  p50 ${run.p50Ms} ms  p99 ${run.p99Ms} ms  ` +
          `all CPU ${(sum(Object.values(run.cpuMs)) / Math.max(1, run.requests)).toFixed(2)} ms/answer  (load avg ${loadAverage})`,
      );
    }
    if (!system.running()) problems.push(`${tree.id}, round ${roundNumber}: npm start exited during the runs`);
  } finally {
    await stop(system);
  }
}

// --- the summary ---------------------------------------------------------------------------------

interface Summary extends RunsSummary {
  tree: TreeId;
  workload: WorkloadId;
}

function summarise(tree: TreeId, workload: WorkloadId): Summary | undefined {
  const measured = runs.filter((run) => run.tree === tree && run.workload === workload);
  return measured.length === 0 ? undefined : { tree, workload, ...summariseRuns(measured, PROCESS_NAMES) };
}

const ratio = (after: number, before: number) => (before > 0 ? (after / before).toFixed(2) : '-');
/** How the load was sent, for the tables' titles. */
const LOAD_WORDS = `${CONNECTIONS} connections, ${RATE ? `${RATE} requests/s` : 'as fast as answered'}`;

function printSingle(summaries: Summary[]): void {
  console.log(`\nThroughput and latency (${LOAD_WORDS}, ${seconds} s per workload, ${rounds} round(s); p50/p99 are means over the runs):`);
  console.log(
    table(
      ['workload', 'answers', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'with errors', 'all CPU ms/answer'],
      summaries.map((s) => [s.workload, s.requests, s.reqPerSecond, s.p50Ms, s.p99Ms, s.non2xx, s.errors, s.withErrors, s.cpuMsPerAnswer.sum!.toFixed(2)]),
    ),
  );
  console.log('\nCPU ms per answer, by process (utime + stime over the measured load, divided by its answers):');
  console.log(
    table(
      ['process', ...summaries.map((s) => s.workload)],
      [...PROCESS_NAMES, 'sum'].map((name) => [name, ...summaries.map((s) => s.cpuMsPerAnswer[name]!.toFixed(3))]),
    ),
  );
  console.log("\nGC pause ms per answer, and scavenges per 1,000 answers, by process (its main thread's, from nodejs_gc_duration_seconds):");
  console.log(
    table(
      ['process', ...summaries.map((s) => s.workload)],
      METRICS_OF.map(({ name }) => [name, ...summaries.map((s) => gcCell(s.gcPerAnswer[name]))]),
    ),
  );
}

const gcCell = (gc: { pauseMs: number; scavengesPerThousand: number } | undefined) => (gc ? `${gc.pauseMs.toFixed(3)} (${gc.scavengesPerThousand})` : '-');

function printComparison(summaries: Summary[]): void {
  for (const workload of WORKLOAD_IDS) {
    const before = summaries.find((s) => s.tree === 'before' && s.workload === workload);
    const after = summaries.find((s) => s.tree === 'after' && s.workload === workload);
    if (!before || !after) continue;
    console.log(`\n${workload}: ${WORKLOAD_TITLES[workload]} (${LOAD_WORDS}, ${seconds} s per run, ${before.runs} + ${after.runs} runs)`);
    const rows: (string | number)[][] = [
      ['req/s (runs)', before.reqPerSecondByRun.join(', '), after.reqPerSecondByRun.join(', '), ''],
      ['req/s', before.reqPerSecond, after.reqPerSecond, ratio(after.reqPerSecond, before.reqPerSecond)],
      ['p50 ms', before.p50Ms, after.p50Ms, ratio(after.p50Ms, before.p50Ms)],
      ['p99 ms', before.p99Ms, after.p99Ms, ratio(after.p99Ms, before.p99Ms)],
      ['non-2xx / errors / with errors', `${before.non2xx} / ${before.errors} / ${before.withErrors}`, `${after.non2xx} / ${after.errors} / ${after.withErrors}`, ''],
      ...[...PROCESS_NAMES, 'sum'].map((name) => [
        `CPU ms/answer ${name === 'sum' ? 'all processes' : name}`,
        before.cpuMsPerAnswer[name]!.toFixed(3),
        after.cpuMsPerAnswer[name]!.toFixed(3),
        ratio(after.cpuMsPerAnswer[name]!, before.cpuMsPerAnswer[name]!),
      ]),
      ...METRICS_OF.map(({ name }) => {
        const [was, now] = [before.gcPerAnswer[name], after.gcPerAnswer[name]];
        return [`GC pause ms/answer (scavenges/1,000) ${name}`, gcCell(was), gcCell(now), was && now ? ratio(now.pauseMs, was.pauseMs) : '-'];
      }),
    ];
    console.log(table(['measure', 'before', 'after', 'after/before'], rows));
  }
}

// --- the rounds ----------------------------------------------------------------------------------

try {
  say(
    `bench: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; gateway ${url}`,
  );
  for (const tree of trees) say(`  ${tree.id.padEnd(6)} ${tree.root}: ${tree.revision}; node ${tree.nodeVersion}`);
  say(`${LOAD_WORDS}, ${WARM_UP_SECONDS} s warm-up then ${seconds} s measured per workload, ${rounds} round(s), a fresh npm start per checkout and round`);
  for (let roundNumber = 1; roundNumber <= rounds && !interrupted; roundNumber++) {
    const order = roundNumber % 2 === 1 ? trees : [...trees].reverse();
    for (const tree of order) if (!interrupted) await measureTree(roundNumber, tree);
  }
  if (baselineArgument) {
    for (const workload of WORKLOAD_IDS) {
      const before = firstData.get(`before ${workload}`);
      const after = firstData.get(`after ${workload}`);
      if (before && after && before !== after) notes.push(`${workload}: the two checkouts' answers differ (both 200 without errors)`);
    }
  }
  const summaries = trees.flatMap((tree) => WORKLOAD_IDS.map((workload) => summarise(tree.id, workload))).filter((s): s is Summary => s !== undefined);
  const startLine = (tree: Tree) =>
    `npm start ready in (${tree.id}): ${startSeconds[tree.id].map((s) => s.toFixed(1)).join(' s, ')} s (${processCount[tree.id]} processes, node ${tree.nodeVersion})`;
  if (jsonOutput) {
    console.log(
      JSON.stringify(
        {
          trees,
          connections: CONNECTIONS,
          rate: RATE ?? null,
          seconds,
          warmUpSeconds: WARM_UP_SECONDS,
          rounds,
          workloads: WORKLOAD_TITLES,
          startSeconds,
          summaries,
          runs,
          notes,
          problems,
        },
        null,
        2,
      ),
    );
  } else {
    console.log('');
    for (const tree of trees) console.log(startLine(tree));
    if (baselineArgument) printComparison(summaries);
    else printSingle(summaries);
    for (const note of notes) console.log(`Note: ${note}`);
  }
} catch (error) {
  problems.push(`stopped by an error: ${errorText(error)}`);
} finally {
  if (current) await stop(current);
  rmSync(scratch, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error('\nNOT EVERY REQUEST WAS A 200 WITHOUT ERRORS, these figures are not valid:');
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exitCode = 1;
}
