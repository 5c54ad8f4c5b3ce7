/**
 * A checkout's whole system as `npm start` starts it, for the benchmarks that measure it from outside
 * (`npm run bench`, also on an older checkout with `--baseline=<dir>`, and `npm run bench:soak`).
 *
 * `node --import tsx scripts/start.ts` in the checkout (its own node_modules, its own `.dev/` key set),
 * with the given environment (ports, `LOG_LEVEL`, `ACCESS_LOG_PATH`); ready once the supervisor prints
 * `Liên thông is up` (the line is the same since the supervisor's first version). The services
 * are the supervisor's children, found in /proc and named from their command lines
 * (`gateway/main.ts` is `gateway`, …). Stopping sends SIGINT to the supervisor, which stops them;
 * SIGKILL to all of them after `STOP_TIMEOUT_MS`, or at once with `killNow()` (on this process's exit).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { BENCH_PORT, readSetting, type Environment } from '../lib/runtime/settings.ts';
import { serviceOfCommandLine, systemLayout, type SystemLayout } from '../lib/devkit/services.ts';
import { SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';
import { portsFrom, type NamedPid, type ScrapedService } from './bench-common.ts';
import { childPids, commandLine } from './process-stats.ts';

const READY_LINE = 'Liên thông is up';
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;
const KEPT_LINES = 200;

export interface RunningSystem {
  /** The checkout. */
  root: string;
  /** The supervisor (`scripts/start.ts`). */
  pid: number;
  /** From spawning the supervisor to its ready line. */
  startSeconds: number;
  /** The services, in the layout's order (a mock backend and a subgraph per system, then the gateway). */
  processes: NamedPid[];
  /** The supervisor is still running. */
  running(): boolean;
  /** Stops the supervisor and the services; resolves once the supervisor has exited. */
  stop(): Promise<void>;
  /** SIGKILL to the supervisor and the services, synchronously. */
  killNow(): void;
}

/**
 * Where the measured system listens: `BENCH_PORT=<base>` (the gateway on the base, subgraphs + 1…5,
 * mocks + 11…15), or else GATEWAY_PORT and the `<PREFIX>_SUBGRAPH_PORT` / `<PREFIX>_BACKEND_PORT`
 * variables, or `npm start`'s defaults. No subgraph or backend URL is kept: every one is started.
 */
export function benchLayout(env: Environment = process.env): SystemLayout {
  const basePort = readSetting(BENCH_PORT, env);
  const portEnv: NodeJS.ProcessEnv = { ...env, ...(basePort === undefined ? {} : portsFrom(basePort)) };
  for (const id of SYSTEM_IDS) {
    delete portEnv[`${SYSTEMS[id].envPrefix}_SUBGRAPH_URL`];
    delete portEnv[`${SYSTEMS[id].envPrefix}_BACKEND_URL`];
  }
  return systemLayout(portEnv);
}

/** The services of a layout that serve `/metrics` on their own port: the gateway and the subgraphs (a mock backend serves none). */
export function metricsServices(layout: SystemLayout): ScrapedService[] {
  return layout.services.filter((spec) => !spec.name.startsWith('mock-')).map((spec) => ({ name: spec.name, metricsUrl: `http://${layout.host}:${spec.port}/metrics` }));
}

/** The environment of a measured `npm start`: the layout's (LOG_LEVEL `warn` unless set), the access log in `accessLogPath`. */
export function benchEnv(layout: SystemLayout, accessLogPath: string): NodeJS.ProcessEnv {
  return { ...layout.env, ACCESS_LOG_PATH: accessLogPath };
}

/**
 * On Ctrl-C or SIGTERM: stop the system running then (if any), clean up, exit 130; on this process's
 * exit, whatever the cause, SIGKILL to anything still running. `onSignal` is told first.
 */
export function stopOnExit(running: () => RunningSystem | undefined, cleanUp: () => void, onSignal?: () => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      onSignal?.();
      console.error(`\n${signal}: stopping every process…`);
      void (running()?.stop() ?? Promise.resolve()).finally(() => {
        cleanUp();
        process.exit(130);
      });
    });
  }
  process.once('exit', () => running()?.killNow());
}

/**
 * The `x-api-key` of the checkout's development officer, from its own `dev-credentials.ts` (which
 * makes `.dev/` on first use): in lib/devkit/, or in lib/ in a checkout from before lib/ had layers.
 */
export async function devApiKey(root: string): Promise<string> {
  const file = ['lib/devkit', 'lib'].map((folder) => join(root, folder, 'dev-credentials.ts')).find((path) => existsSync(path));
  if (file === undefined) throw new Error(`${root} has no lib/devkit/dev-credentials.ts`);
  const module = (await import(pathToFileURL(file).href)) as {
    ensureDevCredentials(): Promise<{ credentials: { apiKey: string } }>;
  };
  return (await module.ensureDevCredentials()).credentials.apiKey.trim();
}

/**
 * Starts the checkout's system and waits for it to be up; `onLine` gets every service and supervisor
 * line (`[name] …`). `node` runs the supervisor, which runs every service with the same Node.js; the
 * checkout's node_modules must have been installed by that Node.js (better-sqlite3 is compiled for one).
 */
export async function startSystem(root: string, env: NodeJS.ProcessEnv, onLine?: (line: string) => void, node = process.execPath): Promise<RunningSystem> {
  const began = performance.now();
  const child = spawn(node, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${root}/scripts/start.ts`);
  const lines: string[] = [];
  let ready = false;
  /** Once stopping, the services' lines (requests cut short, connections refused) are not passed on. */
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const readyOrExit = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        lines.push(line);
        if (lines.length > KEPT_LINES) lines.shift();
        if (line.startsWith('[') && !stopping) onLine?.(line);
        if (line.includes(READY_LINE)) {
          ready = true;
          resolve();
        }
      });
    }
    void exited.then(() => reject(new Error(`${root}: scripts/start.ts exited (${child.exitCode ?? child.signalCode}) before it was up:\n${lines.join('\n')}`)));
  });

  let children: number[] = [];
  const killNow = () => {
    for (const target of [pid, ...children]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = () => {
    stopping ??= (async () => {
      if (running()) child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)));
      if (await Promise.race([exited.then(() => false), timedOut])) killNow();
      clearTimeout(timer);
      await exited;
    })();
    return stopping;
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      readyOrExit,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${root}: not up after ${START_TIMEOUT_MS / 1000} s:\n${lines.join('\n')}`)), START_TIMEOUT_MS))),
    ]);
  } catch (error) {
    children = ready ? children : safeChildPids(pid);
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const startSeconds = (performance.now() - began) / 1000;
  children = childPids(pid);
  const { services } = systemLayout(env);
  const named = children.map((childPid) => ({ pid: childPid, spec: serviceOfCommandLine(commandLine(childPid), services) }));
  // A checkout from before a system was added starts without it: only the services it has are looked for.
  const present = services.filter((spec) => existsSync(join(root, spec.entry)));
  const processes = present.map((spec) => ({ name: spec.name, pid: named.find((candidate) => candidate.spec === spec)?.pid }));
  const missing = processes.filter((entry) => entry.pid === undefined).map((entry) => entry.name);
  if (missing.length > 0) {
    await stop();
    throw new Error(`${root}: no process for ${missing.join(', ')} among the supervisor's children (${children.join(', ')})`);
  }
  return { root, pid, startSeconds, processes: processes as NamedPid[], running, stop, killNow };
}

function safeChildPids(pid: number): number[] {
  try {
    return childPids(pid);
  } catch {
    return [];
  }
}
