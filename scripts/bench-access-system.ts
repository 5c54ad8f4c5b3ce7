/**
 * The system under test of `npm run bench:access`, in a process of its own so that it does not share
 * an event loop with the load generator: the whole graph in this process (lib/devkit/in-process-system.ts)
 * with access control in the mode named by the first argument:
 *
 * - `off`: access control and the access log off, gateway and subgraph guard both;
 * - `sqlite`: on, with the access log in a temporary SQLite file;
 * - `postgres`: on, with the access log in a throwaway PostgreSQL 15 server started here.
 *
 * Talks to its parent in JSON lines on stdout, each with a `bench` key (other stdout lines are logs):
 * `{"bench":"ready","mode":…,"graphqlUrl":…}` once it answers; for each `count` line on stdin,
 * `{"bench":"count","records":…,"intact":…,"cpuMs":…,"cpuAfterMs":…}` (the access log's records,
 * chain verified, this process's CPU time before and after the verification, and the p99 and maximum
 * event-loop delay since the previous count); and
 * `{"bench":"error","message":…}` if it cannot start (exit code 3 when the PostgreSQL binaries are
 * missing, 1 otherwise). Closes everything on SIGTERM or SIGINT, or when stdin ends (parent gone).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { errorText } from '../lib/runtime/cli.ts';
import { startPostgres, type ThrowawayPostgres as TestPostgres } from '../scale/postgres.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

type BenchAccessMode = 'off' | 'sqlite' | 'postgres';
const BENCH_ACCESS_MODES: readonly BenchAccessMode[] = ['off', 'sqlite', 'postgres'];

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: message.bench, ...message })}\n`);
}

const mode = process.argv[2] as BenchAccessMode;
if (!BENCH_ACCESS_MODES.includes(mode)) {
  say({ bench: 'error', message: `mode must be one of ${BENCH_ACCESS_MODES.join(', ')}, not ${String(mode)}` });
  process.exit(1);
}

let postgres: TestPostgres | undefined;
let system: RunningSystem | undefined;
let closing: Promise<void> | undefined;

function close(code: number): Promise<void> {
  closing ??= (async () => {
    await system?.close().catch((error: unknown) => console.error('closing the system:', error));
    await postgres?.stop().catch((error: unknown) => console.error('stopping PostgreSQL:', error));
    process.exit(code);
  })();
  return closing;
}
process.once('SIGTERM', () => void close(0));
process.once('SIGINT', () => void close(0));

try {
  if (mode === 'postgres') postgres = await startPostgres();
  system = await startSystem(mode === 'off' ? { access: { enabled: false } } : mode === 'postgres' ? { access: { databaseUrl: postgres!.url } } : {});
} catch (error) {
  const message = errorText(error);
  say({ bench: 'error', message });
  await close(/binaries not found/.test(message) ? 3 : 1);
}

const running = system!;
say({ bench: 'ready', mode, graphqlUrl: running.gateway.graphqlUrl, store: running.gateway.accessLog?.kind ?? null });

// How long the event loop (shared here by the gateway, the subgraphs and the mocks) was held up,
// since the previous count: a synchronous SQLite commit (fsync) blocks it.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() !== 'count') return;
  // CPU time of this process (the whole graph: gateway, subgraphs, mocks), before the verification's own.
  const usage = process.cpuUsage();
  const cpuMs = (usage.user + usage.system) / 1000;
  const loop = { loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 };
  loopDelay.reset();
  const log = running.gateway.accessLog;
  const cpuAfterMs = () => {
    const after = process.cpuUsage();
    return (after.user + after.system) / 1000;
  };
  if (!log) {
    say({ bench: 'count', records: 0, intact: true, cpuMs, cpuAfterMs: cpuAfterMs(), ...loop });
    return;
  }
  log.verify().then(
    (verification) => say({ bench: 'count', records: verification.records, intact: verification.intact, cpuMs, cpuAfterMs: cpuAfterMs(), ...loop }),
    (error: unknown) => say({ bench: 'count', records: -1, intact: false, cpuMs, cpuAfterMs: cpuAfterMs(), ...loop, message: String(error) }),
  );
});
input.once('close', () => void close(0));
