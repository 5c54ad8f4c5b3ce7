/**
 * `npm run bench:floor`: what the portal query's traffic costs on this machine with nothing of the
 * project in it, against the project doing the same answers, in one run.
 *
 * The floor is seven bare processes (node:http servers calling each other with an undici `Pool`, as
 * the services do) that exchange the portal answer's messages, of about the sizes the services send:
 * the client's request to a gateway; the gateway's four subgraph calls (population, then civil-status
 * and land together, then population again for the right holders); the six backend calls behind them
 * (the population subgraph's first call makes three in a row: the citizen, the household, its
 * members). Every message is JSON, parsed where it arrives and read for its few numbers; nothing is
 * validated against a contract, checked for access, logged or executed as GraphQL. Whatever the project's eleven processes spend per answer beyond the floor's seven is the
 * project's own work; the floor itself is the machine's price of the hops, at the rates they come.
 *
 * Each round drives, with the portal query (the development officer's for the project; the floor
 * takes any body), `BENCH_WARM_UP_SECONDS` of load then `BENCH_SECONDS` measured at
 * `BENCH_CONNECTIONS` connections (autocannon on loopback):
 * - `npm start` (LOG_LEVEL=warn, a throwaway SQLite access log), as fast as it answers;
 * - the floor at the answers/s the project just reached: what the same hops cost at the same rates,
 *   where every process waits for its next message about as often as the project's do;
 * - the floor as fast as it answers (before the project in even rounds, after it in odd ones).
 * A process that gets a message now and then pays more per message than a busy one, so only the
 * floor at the same rate tells the hops' price from the project's own work.
 *
 * Prints answers/s, p50, p99 and each process's CPU (utime + stime in /proc) per answer.
 * `--rounds=N` (default 2). Ports: `BENCH_PORT=<base>` as for `npm run bench`; the floor listens on
 * `BENCH_FLOOR_PORT` (default 7400) and the six ports after it. Exits 1 when a request of either was
 * not a 200 without errors. Nothing here asserts a speed; figures go in docs/BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { z } from 'zod';
import {
  cpuSnapshot,
  cpuSpent,
  loadProblem,
  loadWorkload,
  positiveIntegerArgument,
  postOnce,
  requestText,
  stringArgument,
  sum,
  table,
  wholeAnswer,
  type LoadFigures,
  type NamedPid,
  type Workload,
} from './bench-common.ts';
import { benchEnv, benchLayout, devApiKey, startSystem, stopOnExit, type RunningSystem } from './bench-system.ts';
import { landOfficerHeaders, PORTAL, PORTAL_VARIABLES } from './bench-workloads.ts';
import { settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_FLOOR_SETTINGS } from '../lib/runtime/process-settings.ts';

/** The floor's processes, in the order of their ports from `BENCH_FLOOR_PORT`. */
const ROLES = ['gateway', 'population-subgraph', 'civil-status-subgraph', 'land-subgraph', 'mock-population', 'mock-civil-status', 'mock-land'] as const;
type Role = (typeof ROLES)[number];
const BACKEND_OF: Partial<Record<Role, Role>> = {
  'population-subgraph': 'mock-population',
  'civil-status-subgraph': 'mock-civil-status',
  'land-subgraph': 'mock-land',
};

/** About what the project's processes send (measured on the development data): bytes per backend record, per subgraph answer, per gateway answer. */
const BACKEND_RECORD_BYTES = 700;
const SUBGRAPH_ANSWER_BYTES: Partial<Record<Role, number>> = { 'population-subgraph': 600, 'civil-status-subgraph': 200, 'land-subgraph': 250 };
const GATEWAY_ANSWER_BYTES = 940;

/** One subgraph call of the portal answer: which subgraph, and the records asked of its backend, one backend call each, in a row. */
interface SubgraphCall {
  subgraph: Role;
  backendCalls: number[];
}
/** The portal answer's plan, step by step; the calls of a step go together. */
const PORTAL_PLAN: SubgraphCall[][] = [
  [{ subgraph: 'population-subgraph', backendCalls: [1, 1, 4] }],
  [
    { subgraph: 'civil-status-subgraph', backendCalls: [1] },
    { subgraph: 'land-subgraph', backendCalls: [1] },
  ],
  [{ subgraph: 'population-subgraph', backendCalls: [2] }],
];

const callSchema = z.object({ backendCalls: z.array(z.number().int().min(1).max(100)).max(10) });
const recordsSchema = z.object({ records: z.number().int().min(1).max(100) });

/** JSON text of about `bytes` bytes. */
const filler = (bytes: number) => JSON.stringify({ data: { text: 'x'.repeat(Math.max(0, bytes - 20)) } });

function answer(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function postJson(pool: Pool, body: unknown): Promise<unknown> {
  const response = await pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`the floor's call answered ${response.statusCode}`);
  return JSON.parse(text) as unknown;
}

/** One process of the floor: what it does with each request. */
function serveRole(role: Role, portOf: (role: Role) => number): (req: IncomingMessage) => Promise<string> {
  const pool = (to: Role) => new Pool(`http://127.0.0.1:${portOf(to)}`, { connections: 32 });
  if (role === 'gateway') {
    const subgraphs = new Map(PORTAL_PLAN.flat().map(({ subgraph }) => [subgraph, pool(subgraph)]));
    return async (req) => {
      JSON.parse(await requestText(req));
      for (const step of PORTAL_PLAN) await Promise.all(step.map((call) => postJson(subgraphs.get(call.subgraph)!, { backendCalls: call.backendCalls })));
      return filler(GATEWAY_ANSWER_BYTES);
    };
  }
  const backend = BACKEND_OF[role];
  if (backend !== undefined) {
    const backendPool = pool(backend);
    return async (req) => {
      const { backendCalls } = callSchema.parse(JSON.parse(await requestText(req)));
      for (const records of backendCalls) await postJson(backendPool, { records });
      return filler(SUBGRAPH_ANSWER_BYTES[role]!);
    };
  }
  return async (req) => {
    const { records } = recordsSchema.parse(JSON.parse(await requestText(req)));
    return filler(BACKEND_RECORD_BYTES * records);
  };
}

async function runRole(role: Role, firstPort: number): Promise<void> {
  const portOf = (name: Role) => firstPort + ROLES.indexOf(name);
  const serve = serveRole(role, portOf);
  const server = createServer((req, res) => {
    serve(req).then(
      (text) => answer(res, text),
      (error: unknown) => {
        res.writeHead(502).end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(portOf(role), '127.0.0.1', resolve));
  process.send?.('ready');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

interface Floor {
  processes: NamedPid[];
  url: string;
  stop(): Promise<void>;
}

async function startFloor(firstPort: number): Promise<Floor> {
  const script = fileURLToPath(import.meta.url);
  const children = new Map<Role, ChildProcess>();
  for (const role of ROLES) {
    const child = spawn(process.execPath, ['--import', 'tsx', script, `--role=${role}`, `--first-port=${firstPort}`], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.set(role, child);
  }
  await Promise.all(
    [...children].map(
      ([role, child]) =>
        new Promise<void>((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', (code) => reject(new Error(`the floor's ${role} exited (${code}) before it listened`)));
        }),
    ),
  );
  return {
    processes: [...children].map(([name, child]) => ({ name, pid: child.pid! })),
    url: `http://127.0.0.1:${firstPort}/graphql`,
    stop: async () => {
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

interface Measured extends LoadFigures {
  what: 'project' | 'floor' | 'floor at the same rate';
  cpuMs: Record<string, number>;
}

interface MeasureSettings {
  connections: number;
  warmUpSeconds: number;
  seconds: number;
  /** Answers per second over all connections; as fast as answered when unset. */
  overallRate?: number;
}

async function measure(what: Measured['what'], url: string, workload: Workload, processes: readonly NamedPid[], settings: MeasureSettings): Promise<Measured> {
  // The floor's answers are filler; only the project's first answer says whether it works.
  if (what === 'project') {
    const first = await postOnce(url, workload);
    const whole = wholeAnswer(first.status, first.text);
    if ('problem' in whole) throw new Error(`the project's portal answer: ${whole.problem}`);
  }
  const rate = settings.overallRate === undefined ? {} : { overallRate: settings.overallRate };
  await loadWorkload(url, workload, { connections: settings.connections, duration: settings.warmUpSeconds, ...rate });
  const before = cpuSnapshot(processes);
  const figures = await loadWorkload(url, workload, { connections: settings.connections, duration: settings.seconds, ...rate });
  const problem = loadProblem(figures);
  if (problem) throw new Error(`${what}: ${problem}`);
  return { what, ...figures, cpuMs: cpuSpent(before, cpuSnapshot(processes)) };
}

const perAnswer = (run: Measured, name: string) => (run.cpuMs[name] ?? 0) / run.ok;

async function main(): Promise<void> {
  const { connections, warmUpSeconds, seconds, floorPort: firstPort } = settingsOrExit(BENCH_FLOOR_SETTINGS);
  const rounds = positiveIntegerArgument('rounds', 2);
  const layout = benchLayout();
  const scratch = mkdtempSync(join(tmpdir(), 'lien-thong-floor-'));
  let system: RunningSystem | undefined;
  let floor: Floor | undefined;
  stopOnExit(
    () => system,
    () => rmSync(scratch, { recursive: true, force: true }),
    () => void floor?.stop(),
  );
  const root = fileURLToPath(new URL('..', import.meta.url));
  const runs: Measured[] = [];
  const settings = { connections, warmUpSeconds, seconds };
  for (let round = 1; round <= rounds; round++) {
    floor = await startFloor(firstPort);
    const floorUrl = floor.url;
    const floorProcesses = floor.processes;
    const floorWorkload = { query: PORTAL, variables: PORTAL_VARIABLES, headers: {} };
    const measureProject = async () => {
      console.error(`round ${round}: project`);
      system = await startSystem(root, { ...benchEnv(layout, join(scratch, `log-${round}.sqlite`)), LOG_LEVEL: 'warn' });
      try {
        const workload = { query: PORTAL, variables: PORTAL_VARIABLES, headers: landOfficerHeaders(await devApiKey(root)) };
        const run = await measure('project', `http://${layout.host}:${layout.gatewayPort}/graphql`, workload, system.processes, settings);
        runs.push(run);
        return run;
      } finally {
        await system.stop();
        system = undefined;
      }
    };
    const measureFloor = async (rate?: number) => {
      console.error(`round ${round}: floor${rate ? ` at ${rate} answers/s` : ''}`);
      runs.push(await measure(rate ? 'floor at the same rate' : 'floor', floorUrl, floorWorkload, floorProcesses, { ...settings, overallRate: rate }));
    };
    try {
      // The order swaps every round, so that a drift of the machine weighs on both alike; the floor at
      // the project's rate always follows the project's run, whose rate it takes.
      if (round % 2 === 0) await measureFloor();
      const project = await measureProject();
      await measureFloor(Math.max(1, Math.round(project.reqPerSecond)));
      if (round % 2 === 1) await measureFloor();
    } finally {
      await floor.stop();
      floor = undefined;
    }
  }
  const kinds: Measured['what'][] = ['project', 'floor at the same rate', 'floor'];
  const ordered = kinds.flatMap((what) => runs.filter((run) => run.what === what));
  const label = (run: Measured) =>
    `${run.what === 'project' ? 'project' : run.what === 'floor' ? 'floor' : 'floor, same rate'} r${runs.filter((other) => other.what === run.what).indexOf(run) + 1}`;
  const names = [...new Set(runs.filter((run) => run.what === 'project').flatMap((run) => Object.keys(run.cpuMs)))];
  const cell = (run: Measured, name: string) => (name in run.cpuMs ? perAnswer(run, name).toFixed(3) : '');
  const total = (run: Measured) => sum(Object.keys(run.cpuMs).map((name) => perAnswer(run, name)));
  const inFloor = (run: Measured) => sum(ROLES.map((name) => (name in run.cpuMs ? perAnswer(run, name) : 0)));
  const header = ['', ...ordered.map(label)];
  console.log(`Portal query, ${connections} connections, ${warmUpSeconds} s warm-up, ${seconds} s measured, ${rounds} round(s).\n`);
  console.log(
    table(header, [
      ['answers/s', ...ordered.map((run) => run.reqPerSecond.toFixed(1))],
      ['p50 ms', ...ordered.map((run) => String(run.p50Ms))],
      ['p99 ms', ...ordered.map((run) => String(run.p99Ms))],
    ]),
  );
  console.log('\nCPU ms per answer, by process (utime + stime over the measured load, divided by its answers):');
  console.log(
    table(
      ['process', ...header.slice(1)],
      [
        ...names.map((name) => [name, ...ordered.map((run) => cell(run, name))]),
        ["the floor's seven", ...ordered.map((run) => inFloor(run).toFixed(3))],
        ['every process', ...ordered.map((run) => total(run).toFixed(3))],
      ],
    ),
  );
}

const role = stringArgument('role');
if (role !== undefined) {
  if (!(ROLES as readonly string[]).includes(role)) throw new Error(`--role: no role "${role}"`);
  await runRole(role as Role, positiveIntegerArgument('first-port', 0));
} else {
  await main();
}
