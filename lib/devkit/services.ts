/**
 * The system as real processes: every service (a mock backend and a subgraph per system, the gateway)
 * spawned with `node --import tsx` (plain `node dist/…` once compiled), watched, probed, stopped,
 * killed and restarted — by hand, or by a `Supervisor` that restarts a crashed one with backoff.
 * Used by `npm start`, the load test under failure and the failure tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel';
import { type LayoutSettings } from '../runtime/process-settings.ts';
import { type Environment } from '../runtime/settings.ts';
import { withDevEnvironment } from './dev-credentials.ts';
import { CODE_ROOT, COMPILED, REPO_ROOT } from './repository.ts';
import type { ServiceSpec, SystemLayout } from '../runtime/service-layout.ts';
import { SYSTEM_IDS, SYSTEMS } from '../runtime/systems.ts';

export { REPO_ROOT } from './repository.ts';
export { serviceOfCommandLine, systemLayout, type ServiceSpec, type SystemLayout } from '../runtime/service-layout.ts';

/**
 * `node <its options> --import tsx/esm <entry>`, or `node <its options> <compiledRoot>/<entry as .js>`:
 * no tsx in a compiled service. The services are ES modules: tsx's ESM loader alone runs them, without its CommonJS hook,
 * which resolved again every `module.require` a CommonJS package makes at run time (Apollo Server
 * requires `crypto` that way for every request's query hash: 1.5–2.4 % of a subgraph's CPU when profiled).
 */
export function serviceArguments({ entry, nodeOptions = [] }: Pick<ServiceSpec, 'entry' | 'nodeOptions'>, compiledRoot: string | undefined): string[] {
  return [...nodeOptions, ...(compiledRoot === undefined ? ['--import', 'tsx/esm', entry] : [join(compiledRoot, entry.replace(/\.ts$/, '.js'))])];
}

/**
 * The `npm run check-connections` command that tests the backends this start's subgraphs use, to
 * be run in another terminal: prefixed with each `<PREFIX>_BACKEND_URL` that is not the loopback one
 * at its port, and each `<PREFIX>_BACKEND_PORT` that differs from its default, so it never tests
 * another copy's defaults.
 */
export function connectionTestCommand(layout: LayoutSettings): string {
  const settings = SYSTEM_IDS.flatMap((id) => {
    const { backendPort, backendUrl } = layout.systems[id];
    const { envPrefix, backendPort: defaultPort } = SYSTEMS[id];
    if (backendUrl !== `http://127.0.0.1:${backendPort}`) return [`${envPrefix}_BACKEND_URL=${backendUrl}`];
    return backendPort === defaultPort ? [] : [`${envPrefix}_BACKEND_PORT=${backendPort}`];
  });
  return [...settings, 'npm run check-connections'].join(' ');
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
 * `count` distinct loopback ports nothing listens on right now, none of them in `taken` (which they
 * join): a port closed after one call can be handed out again by the next.
 */
export async function freePorts(count: number, taken = new Set<number>()): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (taken.has(port)) continue;
    taken.add(port);
    ports.push(port);
  }
  return ports;
}

/**
 * `env` with a distinct free port for each service, none of them in `reserved` (ports the caller
 * has set for other processes), and no backend or subgraph URL, so that every service is the one
 * spawned on these ports.
 */
export async function withFreePorts(env: Environment, reserved: Iterable<number> = []): Promise<NodeJS.ProcessEnv> {
  const result: NodeJS.ProcessEnv = { ...env };
  const taken = new Set<number>(reserved);
  const next = async () => String((await freePorts(1, taken))[0]);
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

interface LogLine {
  level?: unknown;
  msg?: unknown;
  err?: { message?: unknown };
}

/** A pino JSON line, or undefined for anything else (a stack trace on stderr, a plain message). */
function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

/** pino's level number of `fatal`. */
const FATAL_LEVEL = 60;

/** Whether a log line is the fatal line of `exitOnUnhandledFailures` (lib/runtime/process.ts). */
export function isUnhandledFailureLine(line: string): boolean {
  if (!line.includes('unhandled rejection') && !line.includes('uncaught exception')) return false;
  const msg = parseLogLine(line)?.msg;
  return msg === 'unhandled rejection' || msg === 'uncaught exception';
}

/**
 * A fatal log line in one readable line: its message, and the error's own message when the line's
 * message does not already say it (`uncaught exception: boom`, `could not start: EADDRINUSE …`).
 */
export function fatalSummary(line: string): string {
  const parsed = parseLogLine(line);
  if (typeof parsed?.msg !== 'string') return line;
  const error = parsed.err?.message;
  return typeof error === 'string' && error !== '' && !parsed.msg.includes(error) ? `${parsed.msg}: ${error}` : parsed.msg;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Ended by `stop()` or `kill()`; otherwise it crashed or was stopped from outside. */
  requested: boolean;
}

/** `exit code 1`, `killed by SIGKILL`. */
export function describeExit(exit: Pick<ServiceExit, 'code' | 'signal'>): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/**
 * How a service stops when asked (SIGINT or SIGTERM: it closes and exits 0), as systemd's
 * `Restart=on-failure` counts a clean exit: such an exit is a stop, not a crash.
 */
export function isCleanExit(exit: Pick<ServiceExit, 'code' | 'signal'>): boolean {
  return exit.code === 0 || exit.signal === 'SIGINT' || exit.signal === 'SIGTERM' || exit.signal === 'SIGHUP';
}

export interface ServiceOptions {
  /** Environment of the process (usually `SystemLayout.env`, plus any extra variables). */
  env: NodeJS.ProcessEnv;
  host?: string;
  /** Every line the process writes on stdout or stderr, as it comes. */
  onLine?: (line: string, service: ServiceProcess) => void;
  /** How many recent output lines `output()` keeps (default 10 000). */
  keepLines?: number;
  /**
   * Run the compiled entry in this folder (the build's output, e.g. `dist/`) with plain `node`, not
   * the TypeScript through tsx; the default once this module runs compiled itself.
   */
  compiledRoot?: string;
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
  private spawnFatal: string | undefined;
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

  /** The last fatal log line of the current (or last) spawn, summed up by `fatalSummary`; undefined if none. */
  lastFatal(): string | undefined {
    return this.spawnFatal;
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
    this.spawnFatal = undefined;
    const compiledRoot = this.options.compiledRoot ?? (COMPILED ? CODE_ROOT : undefined);
    const child = spawn(process.execPath, serviceArguments(this.spec, compiledRoot), {
      cwd: REPO_ROOT,
      // The development key set of `.dev/` under the given environment, as a service started by `npm run start:<service>` gets it.
      env: withDevEnvironment(this.options.env),
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
    if (parseLogLine(line)?.level === FATAL_LEVEL) this.spawnFatal = fatalSummary(line);
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
    const failure = service.lastFatal();
    super(`${service.name} exited (${describeExit(exit)}) before answering${failure ? `: ${failure}` : ''}`);
    this.service = service;
    this.exit = exit;
  }
}

export interface SpawnOptions {
  /** Extra environment per service name, e.g. `{ 'land-subgraph': { LAND_BACKEND_TIMEOUT_MS: '500' } }`. */
  extraEnvByService?: Record<string, NodeJS.ProcessEnv>;
  onLine?: (line: string, service: ServiceProcess) => void;
  /** Every exit of every service, requested or not. */
  onExit?: (exit: ServiceExit, service: ServiceProcess) => void;
  keepLines?: number;
  /** See `ServiceOptions.compiledRoot`. */
  compiledRoot?: string;
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

interface UntilAllAnswerOptions {
  /** How a service that will not answer ended; undefined while it may still answer. */
  exitedBeforeAnswering: (service: ServiceProcess) => ServiceExit | undefined;
  /** Called once for each service, when it first answers. */
  answered?: (service: ServiceProcess) => void;
  /** Checked between probes: true ends the wait at once, without error. */
  abandoned?: () => boolean;
}

/** Probes every service until each has answered once; see `ServiceGroup.waitUntilAnswering`. */
async function untilAllAnswer(services: ServiceProcess[], timeoutMs: number, options: UntilAllAnswerOptions): Promise<void> {
  const started = performance.now();
  const pending = new Set(services);
  while (pending.size > 0 && !options.abandoned?.()) {
    for (const service of pending) {
      const exit = options.exitedBeforeAnswering(service);
      if (exit) throw new ExitedBeforeAnsweringError(service, exit);
    }
    if (performance.now() - started > timeoutMs) throw new NotAnsweringError([...pending], timeoutMs);
    await Promise.all(
      [...pending].map(async (service) => {
        if (await service.answers()) {
          pending.delete(service);
          options.answered?.(service);
        }
      }),
    );
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
}

/** Spawns every service of the layout at once, without waiting for any. */
export function spawnServices(layout: SystemLayout, options: SpawnOptions = {}): ServiceGroup {
  const services = layout.services.map((spec) => {
    const service = new ServiceProcess(spec, {
      env: { ...layout.env, ...options.extraEnvByService?.[spec.name] },
      host: layout.host,
      onLine: options.onLine,
      keepLines: options.keepLines,
      compiledRoot: options.compiledRoot,
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
    // Under `npm run start:scaled` the gateways are replicas `gateway-1` … `gateway-N`: the first stands for them.
    gateway: services.find((s) => s.name === 'gateway') ?? get('gateway-1'),
    waitUntilAnswering: (timeoutMs) => untilAllAnswer(services, timeoutMs, { exitedBeforeAnswering: (service) => service.lastExit }),
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

/** When and how often a `Supervisor` restarts a crashed service, and when it gives up. */
export interface RestartPolicy {
  /** Delay before the first restart after a crash; it doubles with each further crash, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A service that answered for this long before it crashed starts again from `initialDelayMs`. */
  resetAfterMs: number;
  /** The supervisor gives up on a service that crashed this many times within `windowMs` … */
  maxCrashes: number;
  windowMs: number;
  /** How long a (re)started service has to answer `GET /health`; one that does not is killed, which counts as a crash. */
  answerTimeoutMs: number;
}

/** The delays before successive restarts: `initialDelayMs`, doubling, capped at `maxDelayMs` (cockatiel's backoff, no jitter). */
export function restartBackoff(policy: Pick<RestartPolicy, 'initialDelayMs' | 'maxDelayMs'>): IBackoff<unknown> {
  return new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: policy.initialDelayMs, maxDelay: policy.maxDelayMs }).next();
}

export interface SupervisorEvent {
  /**
   * `crashed`: ended on its own (not a clean exit), or did not answer after a restart; `delayMs` is
   * set when it will be restarted. `restarted`: answers again. `gave-up`: too many crashes, left
   * down. `stopped`: exited cleanly (code 0, SIGINT, SIGTERM) while the supervisor was not stopping;
   * not restarted, as systemd's `Restart=on-failure` would not.
   */
  kind: 'crashed' | 'restarted' | 'gave-up' | 'stopped';
  service: ServiceProcess;
  /** The pid the event is about: the one that ended, or the new one that answers. */
  pid: number | undefined;
  /** One line for a log: which service, its pid, how it ended and its last fatal line, what comes next. */
  message: string;
  /** Restarts in a row since the service last stayed up for `resetAfterMs` (crashed with a delay, restarted). */
  attempt?: number;
  delayMs?: number;
  /** Crashes within the policy's window, this one included (crashed, gave-up). */
  crashes?: number;
}

export type SupervisedState = 'starting' | 'up' | 'waiting' | 'restarting' | 'stopped' | 'given-up' | 'failed';

interface Supervised {
  state: SupervisedState;
  /** performance.now() of each crash within the window. */
  crashes: number[];
  attempt: number;
  backoff: IBackoff<unknown> | undefined;
  upSince: number | undefined;
  crashedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface SupervisorOptions {
  policy: RestartPolicy;
  onEvent?: (event: SupervisorEvent) => void;
  /**
   * A clean exit is judged this long after it (default 1 s): Ctrl-C in a terminal reaches every
   * process of the group, so a service may stop cleanly just before the supervisor is told to stop.
   */
  cleanExitGraceMs?: number;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * Keeps a group of services running. `start()` waits until each has answered once: one that exits
 * before that fails the start (a taken port or a bad variable will not mend itself). From its first
 * answer on, a service that crashes is restarted after a delay that doubles with each crash in a
 * row (reset once it has stayed up for a while), and given up after `maxCrashes` within `windowMs`.
 * A clean exit is a stop, and is not restarted. `stop()` cancels every pending restart and stops all.
 */
export class Supervisor {
  readonly group: ServiceGroup;
  readonly policy: RestartPolicy;
  private readonly options: SupervisorOptions;
  private readonly watched = new Map<ServiceProcess, Supervised>();
  private stopRequested = false;

  constructor(group: ServiceGroup, options: SupervisorOptions) {
    this.group = group;
    this.policy = options.policy;
    this.options = options;
    for (const service of group.services) {
      this.watched.set(service, { state: 'starting', crashes: [], attempt: 0, backoff: undefined, upSince: undefined, crashedAt: 0, timer: undefined });
      service.onExit((exit) => this.exited(service, exit));
    }
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  state(service: ServiceProcess | string): SupervisedState {
    return this.entry(typeof service === 'string' ? this.group.get(service) : service).state;
  }

  /**
   * Resolves once every service has answered (at once, without error, if `stop()` is called meanwhile).
   * Rejects with `ExitedBeforeAnsweringError` when one exits before its first answer, or with
   * `NotAnsweringError` after `timeoutMs` (default: the policy's `answerTimeoutMs`); stops nothing itself.
   */
  start(timeoutMs = this.policy.answerTimeoutMs): Promise<void> {
    return untilAllAnswer(this.group.services, timeoutMs, {
      exitedBeforeAnswering: (service) => (this.entry(service).state === 'failed' ? service.lastExit : undefined),
      answered: (service) => {
        const entry = this.entry(service);
        if (entry.state !== 'starting') return;
        entry.state = 'up';
        entry.upSince = performance.now();
      },
      abandoned: () => this.stopRequested,
    });
  }

  /** Cancels every pending restart and stops every service; no restart happens from then on. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    for (const entry of this.watched.values()) clearTimeout(entry.timer);
    await this.group.stopAll();
  }

  private entry(service: ServiceProcess): Supervised {
    const entry = this.watched.get(service);
    if (!entry) throw new Error(`${service.name} is not supervised`);
    return entry;
  }

  private emit(event: SupervisorEvent): void {
    this.options.onEvent?.(event);
  }

  private exited(service: ServiceProcess, exit: ServiceExit): void {
    if (this.stopRequested || exit.requested) return;
    const entry = this.entry(service);
    const pid = service.pid;
    if (isCleanExit(exit)) {
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (this.stopRequested) return;
        if (entry.state === 'starting') {
          entry.state = 'failed';
          return;
        }
        entry.state = 'stopped';
        this.emit({
          kind: 'stopped',
          service,
          pid,
          message: `${service.name} (pid ${pid}) stopped cleanly (${describeExit(exit)}); not restarting it: a clean stop is not a crash.`,
        });
      }, this.options.cleanExitGraceMs ?? 1000);
      return;
    }
    if (entry.state === 'starting') {
      // Before its first answer: `start()` reports it.
      entry.state = 'failed';
      return;
    }
    this.crashed(service, pid, `crashed (${describeExit(exit)})`);
  }

  private crashed(service: ServiceProcess, pid: number | undefined, how: string): void {
    const entry = this.entry(service);
    const { policy } = this;
    const now = performance.now();
    if (entry.upSince !== undefined && now - entry.upSince >= policy.resetAfterMs) {
      entry.attempt = 0;
      entry.backoff = undefined;
    }
    entry.upSince = undefined;
    entry.crashedAt = now;
    entry.crashes = [...entry.crashes.filter((at) => now - at < policy.windowMs), now];
    const crashes = entry.crashes.length;
    const fatal = service.lastFatal();
    const what = `${service.name} (pid ${pid}) ${how}${fatal ? `: ${fatal}` : ''}`;
    const count = `${crashes} of ${policy.maxCrashes} crashes allowed in ${seconds(policy.windowMs)}`;
    if (crashes >= policy.maxCrashes) {
      entry.state = 'given-up';
      this.emit({ kind: 'crashed', service, pid, crashes, message: `${what}. Not restarting it (${count}).` });
      this.emit({
        kind: 'gave-up',
        service,
        pid,
        crashes,
        message: `gave up restarting ${service.name} after ${crashes} crashes in ${seconds(now - entry.crashes[0]!)}: ${fatal ?? how}`,
      });
      return;
    }
    entry.backoff = entry.backoff ? entry.backoff.next(undefined) : restartBackoff(policy);
    entry.attempt += 1;
    const delayMs = entry.backoff.duration;
    entry.state = 'waiting';
    this.emit({
      kind: 'crashed',
      service,
      pid,
      crashes,
      attempt: entry.attempt,
      delayMs,
      message: `${what}. Restarting it in ${seconds(delayMs)} (attempt ${entry.attempt}; ${count}).`,
    });
    entry.timer = setTimeout(() => void this.restart(service), delayMs);
  }

  private async restart(service: ServiceProcess): Promise<void> {
    const entry = this.entry(service);
    entry.timer = undefined;
    if (this.stopRequested) return;
    entry.state = 'restarting';
    service.start();
    const pid = service.pid;
    try {
      await service.waitUntilAnswering(this.policy.answerTimeoutMs);
    } catch (error) {
      // An exit before answering is a crash, handled by `exited`.
      if (!(error instanceof NotAnsweringError) || this.stopRequested || entry.state !== 'restarting') return;
      await service.kill();
      if (this.stopRequested) return;
      this.crashed(service, pid, `did not answer within ${seconds(this.policy.answerTimeoutMs)} of restart attempt ${entry.attempt}; killed it`);
      return;
    }
    // It may have crashed again, or the supervisor stopped, while the answer came.
    if (this.stopRequested || entry.state !== 'restarting' || !service.running) return;
    entry.state = 'up';
    entry.upSince = performance.now();
    this.emit({
      kind: 'restarted',
      service,
      pid,
      attempt: entry.attempt,
      message: `${service.name} is back (pid ${pid}), answering ${seconds(entry.upSince - entry.crashedAt)} after the crash (attempt ${entry.attempt}).`,
    });
  }
}
