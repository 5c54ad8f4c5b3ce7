/**
 * `npm run bench:faults`: the access log's store failing under a bounded loopback load, the system
 * running as real processes (lib/devkit/services.ts) on free ports, with the development credentials of
 * `npm start` (.dev/). Faults, one after the other:
 *   PostgreSQL (a throwaway PostgreSQL 15, test/support/postgres.ts): stopped abruptly (SIGQUIT, as
 *   `pg_ctl -m immediate stop`) then restarted; hung (every process SIGSTOPped ~15 s, then SIGCONT);
 *   out of disk (a trigger raising SQLSTATE 53100 disk_full, the server's own error).
 *   SQLite: its write lock held by another process (`BEGIN EXCLUSIVE` for ~15 s); out of disk (the
 *   file on a 16 MB tmpfs, filled up by another file; skipped, with a note, where mount is not allowed).
 * For each: latency (p50/p99/max) of public and of personal requests during the fault, status codes,
 * time to recover (from the end of the fault to the first personal 200), access records written
 * against personal 200 answers, chain verification, and any process that exited. Exits 1 if a
 * process exited, a personal answer has no record, a chain does not verify, personal answers did
 * not resume, a personal request outlived its deadline (or got other than 200/503), or a public
 * request failed or took more than a second. Loopback only; every
 * wait bounded (FAULT_SECONDS per fault, 30 s to recover).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorText, settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_FAULTS_SETTINGS } from '../lib/runtime/process-settings.ts';
import { ACCESS_LOG_SETTINGS, readSetting } from '../lib/runtime/settings.ts';
import { ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { openAccessLog } from '../lib/access-log/index.ts';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { describeExit, REPO_ROOT, startServices, systemLayout, withFreePorts, type ServiceGroup } from '../lib/devkit/services.ts';
import { startPostgres, type ThrowawayPostgres as TestPostgres } from '../scale/postgres.ts';
import { landOfficerHeaders } from './bench-workloads.ts';

const settings = settingsOrExit(BENCH_FAULTS_SETTINGS);
const FAULT_MS = settings.faultSeconds * 1000;
const REQUEST_TIMEOUT_MS = 3000;
const RECOVERY_LIMIT_MS = 30_000;
/** "Normal latency" for public requests during a fault: a bound far above this loopback system's p99, far below a stall. */
const PUBLIC_LATENCY_LIMIT_MS = 1000;
/** A personal request must be answered (200 or 503) within its deadline, plus this for the answer to travel. */
const DEADLINE_MARGIN_MS = 500;
const STARTUP_TIMEOUT_MS = settings.startupTimeoutMs;
const PERSONAL_WORKERS = 4;
const PUBLIC_WORKERS = 2;
/** Pause between two requests of one worker: the load stays bounded whatever the answers. */
const PAUSE_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dev = await ensureDevCredentials();
const personalHeaders = { 'content-type': 'application/json', ...landOfficerHeaders(dev.credentials.apiKey, 'FAULTS-1') };
const ids = Array.from({ length: 200 }, (_, i) => encodePersonalId('079', i % 2 ? 'FEMALE' : 'MALE', 1950 + (i % 60), 300_000 + i));

interface Sample {
  kind: 'public' | 'personal';
  start: number;
  end: number;
  status: number | 'error';
  whole: boolean;
}

/** Workers asking, each one request at a time, until stopped. */
function startLoad(graphqlUrl: string) {
  const samples: Sample[] = [];
  let running = true;
  let n = 0;
  const ask = async (kind: Sample['kind']) => {
    const start = performance.now();
    const personal = kind === 'personal';
    try {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: personal ? personalHeaders : { 'content-type': 'application/json' },
        body: JSON.stringify(
          personal
            ? { query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables: { id: ids[n++ % ids.length] } }
            : { query: '{ provinces(at: "2024-09-30") { code name } }' },
        ),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS * 5),
      });
      const body = (await response.json()) as { data?: { citizen?: { fullName?: unknown } | null; provinces?: unknown[] } | null };
      const whole = response.status === 200 && (personal ? typeof body.data?.citizen?.fullName === 'string' : body.data?.provinces?.length === 63);
      samples.push({ kind, start, end: performance.now(), status: response.status, whole });
    } catch {
      samples.push({ kind, start, end: performance.now(), status: 'error', whole: false });
    }
  };
  const worker = async (kind: Sample['kind']) => {
    while (running) {
      await ask(kind);
      await sleep(PAUSE_MS);
    }
  };
  const workers = [...Array.from({ length: PERSONAL_WORKERS }, () => worker('personal')), ...Array.from({ length: PUBLIC_WORKERS }, () => worker('public'))];
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function latency(samples: Sample[]): string {
  const ms = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
  if (ms.length === 0) return 'no requests';
  return `p50 ${percentile(ms, 50).toFixed(0)} / p99 ${percentile(ms, 99).toFixed(0)} / max ${ms.at(-1)!.toFixed(0)} ms (${ms.length} requests)`;
}

function statuses(samples: Sample[]): string {
  const counts: Record<string, number> = {};
  for (const s of samples) counts[String(s.status)] = (counts[String(s.status)] ?? 0) + 1;
  return Object.entries(counts)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

interface Fault {
  name: string;
  /** Starts the fault; resolves with the function that ends it. */
  begin(): Promise<() => Promise<void>>;
}

interface Outcome {
  fault: string;
  lines: string[];
  ok: boolean;
}

async function countRecords(config: { databaseUrl?: string; sqlitePath: string }): Promise<{ records: number; intact: boolean; problems: number }> {
  const log = openAccessLog({ ...config, chainKey: readSetting(ACCESS_LOG_SETTINGS.chainKey, dev.env) }, { readOnly: true });
  try {
    const verification = await log.verify();
    return { records: verification.records, intact: verification.intact, problems: verification.problems.length };
  } finally {
    await log.close();
  }
}

async function runStore(title: string, env: NodeJS.ProcessEnv, config: { databaseUrl?: string; sqlitePath: string }, faults: Fault[]): Promise<Outcome[]> {
  const layout = systemLayout({ ...(await withFreePorts({ ...dev.env, ...process.env, ...env })), LOG_LEVEL: 'warn', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  const exits: string[] = [];
  console.log(`\n== ${title}: starting ${layout.services.length} processes on free loopback ports…`);
  const lastLines = new Map<string, string[]>();
  const group: ServiceGroup = await startServices(layout, {
    timeoutMs: STARTUP_TIMEOUT_MS,
    onLine: (line, service) => lastLines.set(service.name, [...(lastLines.get(service.name) ?? []), line].slice(-3)),
    onExit: (exit, service) => {
      if (!exit.requested) exits.push(`${service.name} ${describeExit(exit)}`);
    },
  }).catch((error: unknown) => {
    for (const [name, lines] of lastLines) console.log(`  [${name}] ${lines.join('\n  ')}`);
    throw error;
  });
  const gatewayUrl = `http://${layout.host}:${layout.gatewayPort}`;
  const outcomes: Outcome[] = [];
  try {
    // Warm-up: the first personal answer (PostgreSQL creates its table on the first write).
    let answeredTotal = 1;
    const warmUpEnd = performance.now() + 60_000;
    for (;;) {
      const response = await fetch(`${gatewayUrl}/graphql`, {
        method: 'POST',
        headers: personalHeaders,
        body: JSON.stringify({ query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables: { id: ids[0] } }),
      });
      const text = await response.text();
      if (response.status === 200 && text.includes('fullName')) break;
      if (performance.now() > warmUpEnd) throw new Error(`no personal answer within 60 s: HTTP ${response.status} ${text.slice(0, 200)}`);
      await sleep(500);
    }
    for (const fault of faults) {
      const load = startLoad(`${gatewayUrl}/graphql`);
      await sleep(2000);
      const before = await countRecords(config);
      const faultStart = performance.now();
      const end = await fault.begin();
      await sleep(FAULT_MS);
      const ready = await fetch(`${gatewayUrl}/ready`).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { accessLog?: unknown } }),
        () => undefined,
      );
      await end();
      const faultEnd = performance.now();
      // Recovered: the first personal 200 that started after the fault ended.
      let recoveredAt: number | undefined;
      while (recoveredAt === undefined && performance.now() - faultEnd < RECOVERY_LIMIT_MS) {
        recoveredAt = load.samples.find((s) => s.kind === 'personal' && s.whole && s.start >= faultEnd)?.end;
        if (recoveredAt === undefined) await sleep(100);
      }
      await sleep(1000);
      await load.stop();
      const during = load.samples.filter((s) => s.start >= faultStart && s.start < faultEnd);
      // Counted once every request has been answered: every personal 200 since the store was new
      // (the warm-up's included) against every record in it.
      answeredTotal += load.samples.filter((s) => s.kind === 'personal' && s.whole).length;
      const after = await countRecords(config);
      const written = after.records - before.records;
      const publicDuring = during.filter((s) => s.kind === 'public');
      const personalDuring = during.filter((s) => s.kind === 'personal');
      const slowest = (samples: typeof during) => Math.max(0, ...samples.map((s) => s.end - s.start));
      const broken = [
        ...(publicDuring.some((s) => s.status !== 200) ? ['a public request was not answered 200'] : []),
        ...(slowest(publicDuring) > PUBLIC_LATENCY_LIMIT_MS ? [`a public request took more than ${PUBLIC_LATENCY_LIMIT_MS} ms`] : []),
        ...(personalDuring.some((s) => s.status !== 200 && s.status !== 503) ? ['a personal request got neither 200 nor 503'] : []),
        ...(slowest(personalDuring) > REQUEST_TIMEOUT_MS + DEADLINE_MARGIN_MS ? [`a personal request took more than its ${REQUEST_TIMEOUT_MS} ms deadline`] : []),
        ...(exits.length > 0 ? ['a process exited'] : []),
        ...(!after.intact ? ['the chain is broken'] : []),
        ...(after.records < answeredTotal ? ['a personal answer has no record'] : []),
        ...(recoveredAt === undefined ? ['personal answers did not resume'] : []),
      ];
      const ok = broken.length === 0;
      const lines = [
        `fault: ${fault.name} (${(FAULT_MS / 1000).toFixed(0)} s)`,
        `  public   during fault: ${latency(during.filter((s) => s.kind === 'public'))}; ${statuses(during.filter((s) => s.kind === 'public'))}`,
        `  personal during fault: ${latency(during.filter((s) => s.kind === 'personal'))}; ${statuses(during.filter((s) => s.kind === 'personal'))}`,
        `  /ready during fault: ${ready ? `HTTP ${ready.status} accessLog ${JSON.stringify(ready.body.accessLog)}` : 'no answer'}`,
        `  time to recover: ${recoveredAt === undefined ? `not within ${RECOVERY_LIMIT_MS / 1000} s` : `${((recoveredAt - faultEnd) / 1000).toFixed(2)} s after the fault ended`}`,
        `  access records: ${written} written during this fault's run; ${after.records} in the log vs ${answeredTotal} personal 200 answers since the store was new (records ≥ answers: ${after.records >= answeredTotal ? 'yes' : 'NO'}${after.records === answeredTotal ? ', equal' : `, ${after.records - answeredTotal} records of refused answers whose write was in doubt`})`,
        `  chain: ${after.intact ? 'intact' : 'BROKEN'}, ${after.records} records, ${after.problems} problems`,
        `  processes exited: ${exits.length === 0 ? 'none' : exits.join(', ')}`,
        ...(broken.length > 0 ? [`  NOT HELD: ${broken.join('; ')}`] : []),
      ];
      for (const line of lines) console.log(line);
      outcomes.push({ fault: `${title}: ${fault.name}`, lines, ok });
    }
  } finally {
    await group.stopAll();
  }
  return outcomes;
}

// --- PostgreSQL -------------------------------------------------------------------------------

let postgres: TestPostgres | undefined;
const outcomes: Outcome[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'lien-thong-faults-'));
let tiny: string | undefined;
process.once('exit', () => {
  if (tiny) {
    try {
      execFileSync('umount', [tiny]);
    } catch {
      // already unmounted
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

try {
  postgres = await startPostgres();
  const pgServer = postgres;
  const databaseUrl = pgServer.url;
  const pgConfig = { databaseUrl, sqlitePath: join(scratch, 'unused.sqlite') };
  outcomes.push(
    ...(await runStore('PostgreSQL', { DATABASE_URL: databaseUrl }, pgConfig, [
      {
        name: 'PostgreSQL stopped abruptly (immediate stop), then restarted',
        async begin() {
          await pgServer.stopImmediately();
          return () => pgServer.restart();
        },
      },
      {
        name: 'PostgreSQL hung (SIGSTOP of the postmaster and every backend), then SIGCONT',
        async begin() {
          pgServer.pause();
          return async () => pgServer.resume();
        },
      },
      {
        name: 'PostgreSQL out of disk (inserts fail with SQLSTATE 53100 disk_full)',
        async begin() {
          await pgServer.exec(`CREATE OR REPLACE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
            CREATE TRIGGER disk_full BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION disk_full();`);
          return () => pgServer.exec('DROP TRIGGER disk_full ON access_log; DROP FUNCTION disk_full();');
        },
      },
    ])),
  );
} catch (error) {
  console.log(`PostgreSQL faults not run: ${errorText(error)}`);
  outcomes.push({ fault: 'PostgreSQL', lines: [], ok: false });
} finally {
  await postgres?.stop();
}

// --- SQLite -------------------------------------------------------------------------------------

tiny = join(scratch, 'tiny');
mkdirSync(tiny);
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', tiny], { stdio: 'ignore' });
} catch {
  rmSync(tiny, { recursive: true, force: true });
  tiny = undefined;
}
const sqlitePath = join(tiny ?? scratch, 'access-log.sqlite');
const sqliteFaults: Fault[] = [
  {
    name: 'SQLite write lock held by another process (BEGIN EXCLUSIVE)',
    async begin() {
      const holder: ChildProcess = spawn(
        process.execPath,
        [
          '-e',
          `const db = new (require('better-sqlite3'))(process.argv[1]); db.pragma('busy_timeout = 10000'); db.exec('BEGIN EXCLUSIVE'); console.log('held');
           process.stdin.once('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });`,
          sqlitePath,
        ],
        { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
      });
      return async () => {
        holder.stdin!.write('release\n');
        await new Promise((resolve) => holder.once('exit', resolve));
      };
    },
  },
];
if (tiny) {
  const tinyDir = tiny;
  sqliteFaults.push({
    name: 'SQLite out of disk (its 16 MB filesystem filled by another file)',
    async begin() {
      const filler = join(tinyDir, 'filler');
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        // ENOSPC: the filesystem is full
      } finally {
        closeSync(fd);
      }
      return async () => unlinkSync(filler);
    },
  });
}
try {
  outcomes.push(...(await runStore('SQLite', { ACCESS_LOG_PATH: sqlitePath, DATABASE_URL: '' }, { sqlitePath }, sqliteFaults)));
} catch (error) {
  // The message only: the error object holds the services' environment, secrets included.
  console.log(`SQLite faults not run: ${errorText(error)}`);
  outcomes.push({ fault: 'SQLite', lines: [], ok: false });
}
if (!tiny) console.log('\nSQLite out of disk not run: mounting a tmpfs needs root (or CAP_SYS_ADMIN).');

console.log('\n== Summary');
for (const outcome of outcomes) console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.fault}`);
process.exitCode = outcomes.every((outcome) => outcome.ok) ? 0 : 1;
