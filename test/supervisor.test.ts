import { parseSettings, RESTART_POLICY_SETTINGS } from '../lib/runtime/settings.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ExitedBeforeAnsweringError,
  freePort,
  restartBackoff,
  ServiceProcess,
  Supervisor,
  type RestartPolicy,
  type ServiceGroup,
  type SupervisorEvent,
} from '../lib/devkit/services.ts';

/**
 * The supervisor on one small stand-in process (test/support/flaky-service.ts) whose next start
 * answers, fails or hangs as a file says. The delays are short; every wait is for an event, with
 * the test's generous timeout as the only clock.
 */

const dir = mkdtempSync(join(tmpdir(), 'lien-thong-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY: RestartPolicy = { initialDelayMs: 50, maxDelayMs: 200, resetAfterMs: 600_000, maxCrashes: 3, windowMs: 600_000, answerTimeoutMs: 60_000 };

interface Harness {
  supervisor: Supervisor;
  service: ServiceProcess;
  events: SupervisorEvent[];
  setMode(mode: 'ok' | 'fail' | 'hang'): void;
  /** Resolves with the next event of that kind (counting from now). */
  next(kind: SupervisorEvent['kind']): Promise<SupervisorEvent>;
}

let current: Supervisor | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

async function supervised(policy: Partial<RestartPolicy> = {}, mode: 'ok' | 'fail' | 'hang' = 'ok'): Promise<Harness> {
  const modeFile = join(dir, `mode-${Math.random().toString(36).slice(2)}`);
  const setMode = (next: string) => writeFileSync(modeFile, next);
  setMode(mode);
  const port = await freePort();
  const service = new ServiceProcess(
    { name: 'flaky', entry: 'test/support/flaky-service.ts', port },
    { env: { ...process.env, FLAKY_PORT: String(port), FLAKY_MODE_FILE: modeFile } },
  );
  service.start();
  const group: ServiceGroup = {
    services: [service],
    gateway: service,
    get: () => service,
    waitUntilAnswering: (timeoutMs) => service.waitUntilAnswering(timeoutMs),
    stopAll: async () => {
      await service.stop();
    },
  };
  const events: SupervisorEvent[] = [];
  const waiting: { kind: string; resolve: (event: SupervisorEvent) => void }[] = [];
  const supervisor = new Supervisor(group, {
    policy: { ...POLICY, ...policy },
    cleanExitGraceMs: 100,
    onEvent: (event) => {
      events.push(event);
      const index = waiting.findIndex((w) => w.kind === event.kind);
      if (index >= 0) waiting.splice(index, 1)[0]!.resolve(event);
    },
  });
  current = supervisor;
  const next = (kind: SupervisorEvent['kind']) => new Promise<SupervisorEvent>((resolve) => waiting.push({ kind, resolve }));
  return { supervisor, service, events, setMode, next };
}

describe('restart policy', () => {
  it('waits 0.5 s, 1 s, 2 s … up to 10 s by default, and gives up after 5 crashes in 60 s', () => {
    const policy = parseSettings(RESTART_POLICY_SETTINGS, {});
    expect(policy).toEqual({ initialDelayMs: 500, maxDelayMs: 10_000, resetAfterMs: 30_000, maxCrashes: 5, windowMs: 60_000, answerTimeoutMs: 90_000 });
    const delays: number[] = [];
    for (let backoff = restartBackoff(policy); delays.length < 7; backoff = backoff.next(undefined)) delays.push(backoff.duration);
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('is read from the environment, and refuses a limit of 0', () => {
    expect(
      parseSettings(RESTART_POLICY_SETTINGS, {
        RESTART_DELAY_MS: '100',
        RESTART_MAX_DELAY_MS: '400',
        RESTART_RESET_AFTER_MS: '5000',
        RESTART_LIMIT_CRASHES: '2',
        RESTART_LIMIT_WINDOW_MS: '9000',
        STARTUP_TIMEOUT_MS: '7000',
      }),
    ).toEqual({
      initialDelayMs: 100,
      maxDelayMs: 400,
      resetAfterMs: 5000,
      maxCrashes: 2,
      windowMs: 9000,
      answerTimeoutMs: 7000,
    });
    expect(() => parseSettings(RESTART_POLICY_SETTINGS, { RESTART_LIMIT_CRASHES: '0' })).toThrow(
      'Invalid settings: RESTART_LIMIT_CRASHES is "0", expected an integer from 1 to 2147483647',
    );
  });
});

describe('Supervisor', () => {
  it('restarts a crashed process with growing delays, names its fatal line, and gives up after the limit', async () => {
    const { supervisor, service, events, setMode, next } = await supervised();
    await supervisor.start();
    expect(supervisor.state(service)).toBe('up');

    const first = service.pid!;
    const restarted = next('restarted');
    process.kill(first, 'SIGKILL');
    const back = await restarted;
    expect(back.pid).not.toBe(first);
    expect(service.running).toBe(true);
    expect(events.map((e) => [e.kind, e.attempt, e.delayMs, e.crashes])).toEqual([
      ['crashed', 1, 50, 1],
      ['restarted', 1, undefined, undefined],
    ]);
    expect(events[0]!.message).toBe(`flaky (pid ${first}) crashed (killed by SIGKILL). Restarting it in 0.1 s (attempt 1; 1 of 3 crashes allowed in 600 s).`);

    // From now on every start fails: two more crashes reach the limit of 3.
    setMode('fail');
    const gaveUp = next('gave-up');
    process.kill(service.pid!, 'SIGKILL');
    const given = await gaveUp;
    expect(given.message).toMatch(/^gave up restarting flaky after 3 crashes in [\d.]+ s: could not start: flaky on purpose$/);
    expect(supervisor.state(service)).toBe('given-up');
    const crashes = events.filter((e) => e.kind === 'crashed');
    expect(crashes.map((e) => [e.attempt, e.delayMs, e.crashes])).toEqual([
      [1, 50, 1],
      [2, 100, 2],
      [undefined, undefined, 3],
    ]);
    expect(crashes[2]!.message).toMatch(/^flaky \(pid \d+\) crashed \(exit code 1\): could not start: flaky on purpose\. Not restarting it \(3 of 3 crashes allowed in 600 s\)\.$/);
    expect(service.running).toBe(false);
  }, 120_000);

  it('starts the delays over once the process has stayed up for resetAfterMs', async () => {
    const { supervisor, service, events, next } = await supervised({ resetAfterMs: 1 });
    await supervisor.start();
    for (let i = 0; i < 2; i++) {
      const restarted = next('restarted');
      process.kill(service.pid!, 'SIGKILL');
      await restarted;
    }
    expect(events.filter((e) => e.kind === 'crashed').map((e) => [e.attempt, e.delayMs, e.crashes])).toEqual([
      [1, 50, 1],
      [1, 50, 2],
    ]);
  }, 120_000);

  it('kills a restarted process that does not answer in time, and counts it as a crash', async () => {
    // Long enough for the restart that must answer to start on a loaded machine (node and tsx); the hung one is killed at it whatever the speed.
    const { supervisor, service, setMode, next } = await supervised({ answerTimeoutMs: 10_000 });
    await supervisor.start();
    setMode('hang');
    const firstCrash = next('crashed');
    process.kill(service.pid!, 'SIGKILL');
    await firstCrash;
    const hung = await next('crashed');
    expect(hung.message).toMatch(
      /^flaky \(pid \d+\) did not answer within 10 s of restart attempt 1; killed it\. Restarting it in 0\.1 s \(attempt 2; 2 of 3 crashes allowed in 600 s\)\.$/,
    );
    setMode('ok');
    expect((await next('restarted')).attempt).toBe(2);
  }, 120_000);

  it('leaves a process that stopped cleanly stopped', async () => {
    const { supervisor, service, events, next } = await supervised();
    await supervisor.start();
    const pid = service.pid!;
    const stopped = next('stopped');
    process.kill(pid, 'SIGTERM');
    expect((await stopped).message).toBe(`flaky (pid ${pid}) stopped cleanly (exit code 0); not restarting it: a clean stop is not a crash.`);
    expect(supervisor.state(service)).toBe('stopped');
    expect(events.map((e) => e.kind)).toEqual(['stopped']);
    expect(service.pid).toBe(pid);
  }, 120_000);

  it('fails the start, without restarting, when a process exits before its first answer', async () => {
    const { supervisor, service, events } = await supervised({}, 'fail');
    const failure = await supervisor.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExitedBeforeAnsweringError);
    expect((failure as Error).message).toBe('flaky exited (exit code 1) before answering: could not start: flaky on purpose');
    expect(supervisor.state(service)).toBe('failed');
    expect(events).toEqual([]);
  }, 120_000);

  it('restarts nothing once stopped, even with a restart pending', async () => {
    const { supervisor, service, next } = await supervised({ initialDelayMs: 300, maxDelayMs: 300 });
    await supervisor.start();
    const crashed = next('crashed');
    process.kill(service.pid!, 'SIGKILL');
    const crash = await crashed;
    await supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(service.pid).toBe(crash.pid);
    expect(service.running).toBe(false);
  }, 120_000);
});
