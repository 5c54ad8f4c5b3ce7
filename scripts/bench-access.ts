/**
 * `npm run bench:access`: the cost of access control and the access log on the portal query.
 *
 * Three modes of the same in-process system (lib/devkit/in-process-system.ts), each in a child process of its
 * own (scripts/bench-access-system.ts) so that the load generator here does not share its event loop:
 * (a) access control off, gateway and subgraph guard both; (b) on, access log in SQLite; (c) on,
 * access log in a throwaway PostgreSQL 15 server (skipped, with a note, without its binaries).
 * Every request carries the same credential and purpose headers (the land officer, `land-transfer`),
 * which the gateway ignores with access control off. A fresh system per run: one probe request (how
 * many access records one answer writes), a 3 s warm-up, then `BENCH_SECONDS` of load with 10
 * connections; the access log's records are counted (chain verified) before and after the run, and
 * the system process reports its CPU time (per answer) and event-loop delay over the run.
 * The runs go off, sqlite, postgres, then the reverse order, so that a drift of the machine over the
 * runs weighs on every mode alike; `-- --rounds=N` for more rounds. Loopback only; every wait bounded.
 * Figures go in docs/BENCHMARKS.md; exits 1 if any request was not a 200 with data, or a record count
 * does not match the answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { credentialHeaders, DEFAULT_CREDENTIAL } from '../lib/devkit/test-credentials.ts';
import { benchSeconds, positiveIntegerArgument } from './bench-common.ts';
import { PORTAL, PORTAL_VARIABLES } from './bench-workloads.ts';

type Mode = 'off' | 'sqlite' | 'postgres';
const MODES: readonly Mode[] = ['off', 'sqlite', 'postgres'];
const MODE_TITLES: Record<Mode, string> = { off: 'access control off', sqlite: 'on, SQLite log', postgres: 'on, PostgreSQL log' };

const root = fileURLToPath(new URL('../', import.meta.url));
const seconds = benchSeconds();
const rounds = positiveIntegerArgument('rounds', 2);
const CONNECTIONS = 10;
const WARM_UP_SECONDS = 3;
const READY_TIMEOUT_MS = 120_000;
const COUNT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

const headers = { 'content-type': 'application/json', ...credentialHeaders(DEFAULT_CREDENTIAL) };
const body = JSON.stringify({ query: PORTAL, variables: PORTAL_VARIABLES });

/** A 200 with the citizen's data and no error. */
function isWhole(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { data?: { citizen?: { fullName?: unknown } | null } | null; errors?: unknown[] };
    return !parsed.errors?.length && typeof parsed.data?.citizen?.fullName === 'string';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Count {
  records: number;
  intact: boolean;
  /** The system's CPU time before and after counting (the count verifies the chain, which costs CPU). */
  cpuMs: number;
  cpuAfterMs: number;
  /** The system's event-loop delay since the previous count. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

interface Message {
  bench: string;
  [key: string]: unknown;
}

class SystemProcess {
  private readonly waiters: { type: string; resolve(message: Message): void }[] = [];
  private exitedWith: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly mode: Mode,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: Message | undefined;
      try {
        const parsed = JSON.parse(line) as unknown;
        if (parsed && typeof parsed === 'object' && typeof (parsed as Message).bench === 'string') message = parsed as Message;
      } catch {
        // not one of ours
      }
      if (!message) {
        if (line.trim()) console.log(`  [${mode}] ${line}`);
        return;
      }
      const index = this.waiters.findIndex((waiter) => waiter.type === message.bench || message.bench === 'error');
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
      else console.log(`  [${mode}] unexpected ${line}`);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitedWith = code;
        for (const waiter of this.waiters.splice(0)) waiter.resolve({ bench: 'error', message: `the ${mode} system exited with ${code}`, exitCode: code });
        resolve();
      }),
    );
  }

  static start(mode: Mode): SystemProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-access-system.ts', mode], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new SystemProcess(mode, child);
  }

  private next(type: string, timeoutMs: number): Promise<Message> {
    if (this.exitedWith !== undefined) return Promise.resolve({ bench: 'error', message: `the ${this.mode} system exited with ${this.exitedWith}`, exitCode: this.exitedWith });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${this.mode} system sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ type, resolve: (message) => (clearTimeout(timer), resolve(message)) });
    });
  }

  ready(): Promise<Message> {
    return this.next('ready', READY_TIMEOUT_MS);
  }

  /** Records in the access log (0 with access control off), after verifying its chain; the system's CPU time so far. */
  async records(): Promise<Count> {
    const reply = this.next('count', COUNT_TIMEOUT_MS);
    this.child.stdin!.write('count\n');
    const message = await reply;
    if (message.bench !== 'count' || typeof message.records !== 'number' || message.records < 0) {
      throw new Error(`counting the ${this.mode} access log failed: ${JSON.stringify(message)}`);
    }
    return {
      records: message.records,
      intact: message.intact === true,
      cpuMs: Number(message.cpuMs),
      cpuAfterMs: Number(message.cpuAfterMs),
      loopDelayP99Ms: Number(message.loopDelayP99Ms),
      loopDelayMaxMs: Number(message.loopDelayMaxMs),
    };
  }

  /**
   * Waits until the requests a load run left in flight are answered (and logged): until the record
   * count stops moving, at most 10 s. `first` is the first count, `last` the settled one.
   */
  async settled(): Promise<{ first: Count; last: Count }> {
    const deadline = Date.now() + 10_000;
    await sleep(1000);
    const first = await this.records();
    let count = first;
    for (;;) {
      await sleep(300);
      const again = await this.records();
      if (again.records === count.records || Date.now() > deadline) return { first, last: again };
      count = again;
    }
  }

  async stop(): Promise<void> {
    if (this.exitedWith === undefined) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

async function load(url: string, duration: number) {
  let bad = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections: CONNECTIONS,
    duration,
    verifyBody: (text) => {
      const whole = isWhole(String(text ?? ''));
      if (!whole) bad++;
      return whole;
    },
  });
  return { result, bad };
}

interface Row {
  run: number;
  mode: Mode;
  'load avg': string;
  requests: number;
  'req/s': number;
  'CPU ms/answer': number;
  'loop delay p99/max ms': string;
  'p50 ms': number;
  'p99 ms': number;
  'non-2xx': number;
  errors: number;
  'not whole': number;
  'records written': number | string;
  'records/answer': number | string;
  'chain intact': string;
}

const problems: string[] = [];
const rows: Row[] = [];
let postgresSkipped: string | undefined;

async function measure(run: number, mode: Mode): Promise<void> {
  const loadAverage = loadavg()[0]!.toFixed(2);
  const system = SystemProcess.start(mode);
  try {
    const ready = await system.ready();
    if (ready.bench === 'error') {
      if (mode === 'postgres' && ready.exitCode === 3) {
        postgresSkipped = String(ready.message);
        return;
      }
      throw new Error(`the ${mode} system did not start: ${String(ready.message)}`);
    }
    const url = String(ready.graphqlUrl);
    const on = mode !== 'off';

    // One request alone: how many access records one answer writes.
    const before = await system.records();
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    if (response.status !== 200 || !isWhole(text)) throw new Error(`the ${mode} system did not answer the portal query whole: ${response.status} ${text.slice(0, 500)}`);
    const perAnswer = (await system.records()).records - before.records;
    if (on && perAnswer < 1) problems.push(`${mode}: one answer wrote ${perAnswer} access records`);

    const warmUp = await load(url, WARM_UP_SECONDS);
    if (warmUp.result.non2xx || warmUp.result.errors || warmUp.bad) {
      problems.push(`${mode} run ${run} warm-up: ${warmUp.result.non2xx} non-2xx, ${warmUp.result.errors} errors, ${warmUp.bad} answers not whole`);
    }

    // Requests still in flight when autocannon stops are answered (and logged) without being counted.
    const start = (await system.settled()).last;
    const { result, bad } = await load(url, seconds);
    const settled = await system.settled();
    const end = settled.last;
    // CPU from the end of the last count before the run to the start of the first count after it.
    const cpuMs = settled.first.cpuMs - start.cpuAfterMs;
    const written = end.records - start.records;
    const ok = result['2xx'];
    const errors = result.errors + result.timeouts;
    if (result.non2xx || errors || bad || result.mismatches) {
      problems.push(`${mode} run ${run}: ${result.non2xx} non-2xx, ${errors} errors/timeouts, ${bad} answers not whole (${result.mismatches} mismatches)`);
    }
    if (on && (written < perAnswer * ok || written > perAnswer * (ok + CONNECTIONS))) {
      problems.push(`${mode} run ${run}: ${written} records for ${ok} answers of ${perAnswer} citizens each`);
    }
    if (on && !end.intact) problems.push(`${mode} run ${run}: the access log's chain is NOT intact`);
    rows.push({
      run,
      mode,
      'load avg': loadAverage,
      requests: result.requests.total,
      'req/s': Math.round(result.requests.average * 10) / 10,
      // The whole graph's process (not PostgreSQL's); includes the requests answered after autocannon
      // stopped (at most one per connection) and 1 s of idle time.
      'CPU ms/answer': Math.round((cpuMs / Math.max(1, ok)) * 10) / 10,
      'loop delay p99/max ms': `${Math.round(settled.first.loopDelayP99Ms)}/${Math.round(settled.first.loopDelayMaxMs)}`,
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      'non-2xx': result.non2xx,
      errors,
      'not whole': bad,
      'records written': on ? written : '-',
      'records/answer': on ? perAnswer : '-',
      'chain intact': on ? (end.intact ? 'yes' : 'NO') : '-',
    });
    console.log(`  run ${run} ${MODE_TITLES[mode]}: ${rows.at(-1)!['req/s']} req/s, p99 ${result.latency.p99} ms`);
  } finally {
    await system.stop();
  }
}

console.log(`bench:access — portal query, ${CONNECTIONS} connections, ${seconds} s per run after ${WARM_UP_SECONDS} s of warm-up, ${rounds} rounds`);
let run = 0;
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? MODES : [...MODES].reverse();
  for (const mode of order) {
    if (mode === 'postgres' && postgresSkipped !== undefined) continue;
    await measure(++run, mode);
  }
}

console.table(rows);
if (postgresSkipped !== undefined) console.log(`NOTE: mode (c), PostgreSQL, skipped: ${postgresSkipped}`);

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const of = (mode: Mode) => rows.filter((row) => row.mode === mode);
const off = of('off');
const summary = MODES.filter((mode) => of(mode).length > 0).map((mode) => {
  const measured = of(mode);
  const rate = mean(measured.map((row) => row['req/s']));
  const p99 = mean(measured.map((row) => row['p99 ms']));
  const offRate = mean(off.map((row) => row['req/s']));
  const offP99 = mean(off.map((row) => row['p99 ms']));
  return {
    mode: MODE_TITLES[mode],
    runs: measured.length,
    'req/s (runs)': measured.map((row) => row['req/s']).join(', '),
    'mean req/s': Math.round(rate * 10) / 10,
    'p99 ms (runs)': measured.map((row) => row['p99 ms']).join(', '),
    'throughput vs off': mode === 'off' ? '1' : (rate / offRate).toFixed(2),
    'p99 vs off, ms': mode === 'off' ? '0' : `${p99 - offP99 >= 0 ? '+' : ''}${Math.round(p99 - offP99)}`,
  };
});
console.table(summary);

if (problems.length > 0) {
  console.error(`\n!!!!!!!!!! NOT EVERY REQUEST WAS A 200 WITH DATA, OR THE RECORDS DO NOT ADD UP — these figures are not valid !!!!!!!!!!`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exitCode = 1;
}
