/**
 * The system as real processes: the nine services (four mock backends, four subgraphs, the gateway)
 * spawned with `node --import tsx`, watched, probed, stopped, killed and restarted. Used by
 * `npm start`, the load test under failure and the failure tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { envInteger } from './config.ts';
import { GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from './systems.ts';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ServiceSpec {
  /** `mock-<id>`, `<id>-subgraph` or `gateway`. */
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  port: number;
}

export interface SystemLayout {
  host: string;
  /** Mock backends and subgraphs in `SYSTEM_IDS` order, then the gateway. */
  services: ServiceSpec[];
  /** Environment of every child: the given one with each port and URL set; LOG_LEVEL `warn` unless set. */
  env: NodeJS.ProcessEnv;
  gatewayPort: number;
}

/**
 * Where each of the nine services listens, from the same variables the services read
 * (`<PREFIX>_BACKEND_PORT`, `<PREFIX>_SUBGRAPH_PORT`, `GATEWAY_PORT`); a backend or subgraph URL
 * already set is kept, so a subgraph can be pointed at a real backend.
 */
export function systemLayout(env: NodeJS.ProcessEnv, host = '127.0.0.1'): SystemLayout {
  const childEnv: NodeJS.ProcessEnv = { ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' };
  const services: ServiceSpec[] = [];
  for (const id of SYSTEM_IDS) {
    const { envPrefix, backendPort, subgraphPort } = SYSTEMS[id];
    const mockPort = envInteger(`${envPrefix}_BACKEND_PORT`, backendPort, env);
    const port = envInteger(`${envPrefix}_SUBGRAPH_PORT`, subgraphPort, env);
    childEnv[`${envPrefix}_BACKEND_PORT`] = String(mockPort);
    childEnv[`${envPrefix}_BACKEND_URL`] ??= `http://${host}:${mockPort}`;
    childEnv[`${envPrefix}_SUBGRAPH_PORT`] = String(port);
    childEnv[`${envPrefix}_SUBGRAPH_URL`] ??= `http://${host}:${port}/graphql`;
    services.push({ name: `mock-${id}`, entry: `subgraphs/${id}/mock/main.ts`, port: mockPort });
    services.push({ name: `${id}-subgraph`, entry: `subgraphs/${id}/main.ts`, port });
  }
  const gatewayPort = envInteger('GATEWAY_PORT', GATEWAY_PORT, env);
  childEnv.GATEWAY_PORT = String(gatewayPort);
  services.push({ name: 'gateway', entry: 'gateway/main.ts', port: gatewayPort });
  return { host, services, env: childEnv, gatewayPort };
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `env` with a distinct free port for each of the nine services, and no backend or subgraph URL,
 * so that every service is the one spawned on these ports.
 */
export async function withFreePorts(env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  const result: NodeJS.ProcessEnv = { ...env };
  const taken = new Set<number>();
  const next = async () => {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return String(port);
  };
  for (const id of SYSTEM_IDS) {
    const { envPrefix } = SYSTEMS[id];
    result[`${envPrefix}_BACKEND_PORT`] = await next();
    result[`${envPrefix}_SUBGRAPH_PORT`] = await next();
    delete result[`${envPrefix}_BACKEND_URL`];
    delete result[`${envPrefix}_SUBGRAPH_URL`];
  }
  result.GATEWAY_PORT = await next();
  return result;
}

/** Whether a log line is the fatal line of `exitOnUnhandledFailures` (lib/process.ts). */
export function isUnhandledFailureLine(line: string): boolean {
  if (!line.includes('unhandled rejection') && !line.includes('uncaught exception')) return false;
  try {
    const msg = (JSON.parse(line) as { msg?: unknown }).msg;
    return msg === 'unhandled rejection' || msg === 'uncaught exception';
  } catch {
    return false;
  }
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Ended by `stop()` or `kill()`; otherwise it crashed or was stopped from outside. */
  requested: boolean;
}

export interface ServiceOptions {
  /** Environment of the process (usually `SystemLayout.env`, plus any extra variables). */
  env: NodeJS.ProcessEnv;
  host?: string;
  /** Every line the process writes on stdout or stderr, as it comes. */
  onLine?: (line: string, service: ServiceProcess) => void;
  /** How many recent output lines `output()` keeps (default 10 000). */
  keepLines?: number;
}

const PROBE_TIMEOUT_MS = 1000;
const PROBE_INTERVAL_MS = 200;
const STOP_GRACE_MS = 5000;

/** One service as a child process; `start()`/`restart()` spawn it again on the same port. */
export class ServiceProcess {
  readonly spec: ServiceSpec;
  readonly host: string;
  private readonly options: ServiceOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<ServiceExit> | undefined;
  private requested = false;
  private readonly exitListeners = new Set<(exit: ServiceExit, service: ServiceProcess) => void>();
  private readonly lines: string[] = [];
  private readonly failureLines: string[] = [];
  private exitRecord: ServiceExit | undefined;

  constructor(spec: ServiceSpec, options: ServiceOptions) {
    this.spec = spec;
    this.options = options;
    this.host = options.host ?? '127.0.0.1';
  }

  get name(): string {
    return this.spec.name;
  }

  get port(): number {
    return this.spec.port;
  }

  get url(): string {
    return `http://${this.host}:${this.spec.port}`;
  }

  /** Process id of the current (or last) spawn. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawned and not yet exited. */
  get running(): boolean {
    const child = this.child;
    return child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** How the current (or last) spawn ended, once all its output is in; undefined while it runs. */
  get lastExit(): ServiceExit | undefined {
    return this.exitRecord;
  }

  /** The most recent output lines, across restarts. */
  output(): string[] {
    return [...this.lines];
  }

  /** Lines logged as `unhandled rejection` / `uncaught exception`, across restarts. */
  unhandledFailures(): string[] {
    return [...this.failureLines];
  }

  /** Called once per exit of the process, after all its output lines were delivered. Returns an unsubscribe. */
  onExit(listener: (exit: ServiceExit, service: ServiceProcess) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.requested = false;
    this.exitRecord = undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.entry], {
      cwd: REPO_ROOT,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.line(line));
    }
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.child !== child || this.exitRecord) return;
        const exit: ServiceExit = { code, signal, requested: this.requested };
        this.exitRecord = exit;
        for (const listener of [...this.exitListeners]) listener(exit, this);
        resolve(exit);
      };
      // 'close' comes after 'exit' and after stdout and stderr have ended: every line is in by then.
      child.once('close', finish);
      child.on('error', (error) => {
        this.line(`could not spawn ${this.spec.entry}: ${error.message}`);
        if (child.pid === undefined) finish(null, null);
      });
    });
  }

  private line(line: string): void {
    this.lines.push(line);
    const keep = this.options.keepLines ?? 10_000;
    if (this.lines.length > keep) this.lines.splice(0, this.lines.length - keep);
    if (isUnhandledFailureLine(line)) this.failureLines.push(line);
    this.options.onLine?.(line, this);
  }

  /** `GET /health` answers 200 within a second. */
  answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(`${this.url}/health`, { agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Resolves once `/health` answers; rejects if the process exits first or after `timeoutMs`. */
  async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.child) throw new Error(`${this.name} was never started`);
      if (this.lastExit) throw new ExitedBeforeAnsweringError(this, this.lastExit);
      if (await this.answers()) return;
      if (performance.now() > deadline) throw new NotAnsweringError([this], timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  async stop(): Promise<ServiceExit | undefined> {
    const { child, exited } = this;
    if (!child || !exited) return undefined;
    if (this.running) {
      this.requested = true;
      child.kill('SIGTERM');
      const escalate = setTimeout(() => this.running && child.kill('SIGKILL'), STOP_GRACE_MS);
      const exit = await exited;
      clearTimeout(escalate);
      return exit;
    }
    return exited;
  }

  /** SIGKILL; resolves when the process has exited. */
  async kill(): Promise<ServiceExit | undefined> {
    const { child, exited } = this;
    if (!child || !exited) return undefined;
    if (this.running) {
      this.requested = true;
      child.kill('SIGKILL');
    }
    return exited;
  }

  /** Stops the process if it runs, spawns it again on the same port, and waits until it answers. */
  async restart(timeoutMs = 90_000): Promise<void> {
    await this.stop();
    this.start();
    await this.waitUntilAnswering(timeoutMs);
  }
}

export class NotAnsweringError extends Error {
  override readonly name = 'NotAnsweringError';
  readonly services: ServiceProcess[];
  constructor(services: ServiceProcess[], timeoutMs: number) {
    super(`Not answering after ${timeoutMs / 1000} s: ${services.map((s) => s.name).join(', ')}.`);
    this.services = services;
  }
}

export class ExitedBeforeAnsweringError extends Error {
  override readonly name = 'ExitedBeforeAnsweringError';
  readonly service: ServiceProcess;
  readonly exit: ServiceExit;
  constructor(service: ServiceProcess, exit: ServiceExit) {
    const how = exit.signal ?? `code ${exit.code}`;
    const failure = service.unhandledFailures()[0] ?? service.output().findLast((line) => line.includes('"level":60'));
    super(`${service.name} exited (${how}) before answering${failure ? `: ${failure}` : ''}`);
    this.service = service;
    this.exit = exit;
  }
}

export interface SpawnOptions {
  /** Extra environment per service name, e.g. `{ 'land-subgraph': { LAND_BACKEND_TIMEOUT_MS: '500' } }`. */
  extraEnv?: Record<string, NodeJS.ProcessEnv>;
  onLine?: (line: string, service: ServiceProcess) => void;
  /** Every exit of every service, requested or not. */
  onExit?: (exit: ServiceExit, service: ServiceProcess) => void;
  keepLines?: number;
}

export interface ServiceGroup {
  services: ServiceProcess[];
  /** The service of that name; throws when there is none. */
  get(name: string): ServiceProcess;
  gateway: ServiceProcess;
  /**
   * Resolves when every service answers. Rejects with `NotAnsweringError` after `timeoutMs`, or with
   * `ExitedBeforeAnsweringError` once one has exited (checked between probes); stops nothing itself.
   */
  waitUntilAnswering(timeoutMs: number): Promise<void>;
  /** Stops every service (SIGTERM, SIGKILL after 5 s) and resolves when all have exited. */
  stopAll(): Promise<void>;
}

/** Spawns every service of the layout at once, without waiting for any. */
export function spawnServices(layout: SystemLayout, options: SpawnOptions = {}): ServiceGroup {
  const services = layout.services.map((spec) => {
    const service = new ServiceProcess(spec, {
      env: { ...layout.env, ...options.extraEnv?.[spec.name] },
      host: layout.host,
      onLine: options.onLine,
      keepLines: options.keepLines,
    });
    if (options.onExit) service.onExit(options.onExit);
    return service;
  });
  for (const service of services) service.start();
  const get = (name: string) => {
    const service = services.find((s) => s.name === name);
    if (!service) throw new Error(`no service named ${name}`);
    return service;
  };

  return {
    services,
    get,
    gateway: get('gateway'),
    async waitUntilAnswering(timeoutMs) {
      const started = performance.now();
      const pending = new Set(services);
      while (pending.size > 0) {
        const gone = [...pending].find((service) => service.lastExit);
        if (gone) throw new ExitedBeforeAnsweringError(gone, gone.lastExit!);
        if (performance.now() - started > timeoutMs) throw new NotAnsweringError([...pending], timeoutMs);
        await Promise.all(
          [...pending].map(async (service) => {
            if (await service.answers()) pending.delete(service);
          }),
        );
        if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
      }
    },
    async stopAll() {
      await Promise.all(services.map((service) => service.stop()));
    },
  };
}

export interface StartOptions extends SpawnOptions {
  /** How long every service has to answer (default 90 s). */
  timeoutMs?: number;
}

/** Spawns every service and waits until all answer; on failure stops them all and rethrows. */
export async function startServices(layout: SystemLayout, options: StartOptions = {}): Promise<ServiceGroup> {
  const group = spawnServices(layout, options);
  try {
    await group.waitUntilAnswering(options.timeoutMs ?? 90_000);
  } catch (error) {
    await group.stopAll();
    throw error;
  }
  return group;
}
