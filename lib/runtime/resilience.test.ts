import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SystemError, SystemErrorCode } from './errors.ts';
import { BackendResilience, CircuitBreaker, DEFAULT_RESILIENCE, RetryBudget, type AttemptBudget, type ResilienceOptions } from './resilience.ts';

const options = (overrides: Partial<ResilienceOptions> = {}): ResilienceOptions => ({
  ...DEFAULT_RESILIENCE,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 2,
  ...overrides,
});
const refused = () => new SystemError('land', SystemErrorCode.UNAVAILABLE, 'ECONNREFUSED', { reason: 'connection refused', retryable: true });
const serverError = () => new SystemError('land', SystemErrorCode.UNAVAILABLE, 'HTTP 500', { reason: 'HTTP 500' });
const garbage = () => new SystemError('land', SystemErrorCode.BAD_RESPONSE, 'not JSON', { reason: 'answer is not JSON' });
/** The circuit reads the clock (Date.now); tests move it instead of waiting. */
const later = (ms: number) => vi.setSystemTime(Date.now() + ms);
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** An attempt that fails with the given errors in turn, then answers `ok`. */
function scripted(...failures: (() => SystemError)[]) {
  let calls = 0;
  const attempt = async () => {
    const failure = failures[calls];
    calls += 1;
    if (failure) throw failure();
    return 'ok';
  };
  return { attempt, calls: () => calls };
}

describe('retries', () => {
  it('retries a transient failure of an idempotent read and answers', async () => {
    const backend = new BackendResilience('land', options());
    const { attempt, calls } = scripted(refused, refused);
    await expect(backend.execute(attempt, { idempotent: true, timeoutMs: 2000 })).resolves.toBe('ok');
    expect(calls()).toBe(3);
    expect(backend.health()).toMatchObject({ calls: 1, failedCalls: 0, retries: 2, circuit: 'CLOSED' });
  });

  it('gives up after the configured number of retries', async () => {
    const backend = new BackendResilience('land', options({ retries: 1 }));
    const { attempt, calls } = scripted(refused, refused, refused);
    await expect(backend.execute(attempt, { idempotent: true, timeoutMs: 2000 })).rejects.toMatchObject({
      extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
    });
    expect(calls()).toBe(2);
  });

  it('never retries a call that is not idempotent', async () => {
    const backend = new BackendResilience('land', options());
    const { attempt, calls } = scripted(refused);
    await expect(backend.execute(attempt, { idempotent: false, timeoutMs: 2000 })).rejects.toBeInstanceOf(SystemError);
    expect(calls()).toBe(1);
  });

  it('does not retry a failure that would fail again: a server error or an answer that breaks the contract', async () => {
    for (const failure of [serverError, garbage]) {
      const backend = new BackendResilience('land', options());
      const { attempt, calls } = scripted(failure);
      await expect(backend.execute(attempt, { idempotent: true, timeoutMs: 2000 })).rejects.toBeInstanceOf(SystemError);
      expect(calls()).toBe(1);
    }
  });

  it('does not start a retry that the deadline leaves no time for', async () => {
    const backend = new BackendResilience('land', options({ retryMaxDelayMs: 400 }));
    const { attempt, calls } = scripted(refused);
    await expect(backend.execute(attempt, { idempotent: true, timeoutMs: 2000, callerDeadlineAt: Date.now() + 300 })).rejects.toBeInstanceOf(SystemError);
    expect(calls()).toBe(1);
  });

  it('refuses to start an attempt once the deadline has passed, as a timeout', async () => {
    const backend = new BackendResilience('land', options());
    const { attempt, calls } = scripted();
    await expect(backend.execute(attempt, { idempotent: true, timeoutMs: 2000, callerDeadlineAt: Date.now() - 1 })).rejects.toMatchObject({
      extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' },
      callerDeadline: true,
    });
    expect(calls()).toBe(0);
  });
});

describe('retry budget', () => {
  it('stops retries while more than half the tokens are spent, and earns them back with successes', () => {
    const budget = new RetryBudget(10, 0.1);
    for (let i = 0; i < 5; i++) budget.recordFailure();
    expect(budget.available).toBe(5);
    expect(budget.allowsRetry()).toBe(false);
    budget.recordSuccess();
    expect(budget.allowsRetry()).toBe(true);
    for (let i = 0; i < 100; i++) budget.recordSuccess();
    expect(budget.available).toBe(10);
  });

  it('turns a sustained outage into first attempts only', async () => {
    const backend = new BackendResilience('land', options({ breakerFailures: 1000 }));
    let attempts = 0;
    const alwaysRefused = async () => {
      attempts += 1;
      throw refused();
    };
    for (let i = 0; i < 20; i++) {
      await backend.execute(alwaysRefused, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    }
    // Every failed attempt spends one of 10 tokens and retries need more than 5 left: the first call
    // makes 3 attempts (tokens 10 → 7), the second 2 (→ 5), and the other 18 one each.
    expect(attempts).toBe(23);
    expect(backend.health()).toMatchObject({ calls: 20, failedCalls: 20, retries: 3, retryBudget: { tokens: 0, maxTokens: 10 } });
  });
});

describe('circuit breaker', () => {
  it('opens after the configured consecutive failures and then refuses calls without trying', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 3, breakerHalfOpenMs: 60_000, breakerMaxHalfOpenMs: 60_000 }));
    let attempts = 0;
    const failing = async () => {
      attempts += 1;
      throw serverError();
    };
    for (let i = 0; i < 3; i++) await backend.execute(failing, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    expect(backend.circuit).toBe('OPEN');
    const refusal = await backend.execute(failing, { idempotent: true, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SystemError);
    expect(refusal).toMatchObject({ message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable.', reason: 'circuit open' });
    expect(attempts).toBe(3);
    expect(backend.health()).toMatchObject({ circuit: 'OPEN', refusedByOpenCircuit: 1, calls: 4, failedCalls: 4 });
  });

  it('lets one trial call through after the half-open wait, and closes when it succeeds', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2, breakerHalfOpenMs: 1000 }));
    const { attempt, calls } = scripted(serverError, serverError);
    const call = () => backend.execute(attempt, { idempotent: true, timeoutMs: 2000 });
    for (let i = 0; i < 2; i++) await call().catch(() => undefined);
    expect(backend.circuit).toBe('OPEN');
    later(999);
    await expect(call()).rejects.toMatchObject({ reason: 'circuit open' });
    expect(calls()).toBe(2);
    later(1);
    await expect(call()).resolves.toBe('ok');
    expect(backend.circuit).toBe('CLOSED');
    expect(backend.health().lastSuccessAt).not.toBeNull();
  });

  it('opens again when the trial call fails; with a longer maximum, each failed trial doubles the wait', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1, breakerHalfOpenMs: 1000, breakerMaxHalfOpenMs: 3000 }));
    const { attempt, calls } = scripted(serverError, serverError, serverError);
    const call = () => backend.execute(attempt, { idempotent: true, timeoutMs: 2000 });
    await call().catch(() => undefined);
    later(1000);
    await expect(call()).rejects.toMatchObject({ reason: 'HTTP 500' });
    expect(backend.circuit).toBe('OPEN');
    later(1999);
    await expect(call()).rejects.toMatchObject({ reason: 'circuit open' });
    later(1);
    await expect(call()).rejects.toMatchObject({ reason: 'HTTP 500' });
    later(3000);
    await expect(call()).resolves.toBe('ok');
    expect(calls()).toBe(4);
  });

  it('refuses at once every call that arrives while the trial call is under way', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1, breakerHalfOpenMs: 1000 }));
    await backend.execute(async () => Promise.reject(serverError()), { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    later(1000);
    let finishTrial!: (value: string) => void;
    const trial = backend.execute(() => new Promise<string>((resolve) => (finishTrial = resolve)), { idempotent: true, timeoutMs: 2000 });
    expect(backend.circuit).toBe('HALF_OPEN');
    await expect(backend.execute(async () => 'not called', { idempotent: true, timeoutMs: 2000 })).rejects.toMatchObject({
      extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
      reason: 'circuit half-open',
    });
    finishTrial('ok');
    await expect(trial).resolves.toBe('ok');
    expect(backend.circuit).toBe('CLOSED');
    expect(backend.health().refusedByOpenCircuit).toBe(1);
  });

  it("keeps the circuit open when the trial call runs out of its caller's time, and closes it when a short trial succeeds", async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1, breakerHalfOpenMs: 1000 }));
    await backend.execute(async () => Promise.reject(serverError()), { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    later(1000);
    const callerTimeout = (budget: AttemptBudget) =>
      Promise.reject(new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { reason: 'no answer', callerDeadline: budget.short }));
    await expect(backend.execute(callerTimeout, { idempotent: true, timeoutMs: 2000, callerDeadlineAt: Date.now() + 200 })).rejects.toMatchObject({
      reason: 'no answer',
    });
    expect(backend.circuit).toBe('OPEN');
    later(1000);
    await expect(backend.execute(async () => 'ok', { idempotent: true, timeoutMs: 2000, callerDeadlineAt: Date.now() + 200 })).resolves.toBe('ok');
    expect(backend.circuit).toBe('CLOSED');
  });

  it('after a trial that gets an answer breaking the contract, needs the full count of failures to open again', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 3, breakerHalfOpenMs: 1000 }));
    const call = (failure?: () => SystemError) =>
      backend.execute(async () => (failure ? Promise.reject(failure()) : 'ok'), { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    for (let i = 0; i < 3; i++) await call(serverError);
    expect(backend.circuit).toBe('OPEN');
    later(1000);
    await call(garbage);
    expect(backend.circuit).toBe('CLOSED');
    await call(serverError);
    await call(serverError);
    expect(backend.circuit).toBe('CLOSED');
    await call(serverError);
    expect(backend.circuit).toBe('OPEN');
  });

  it('does not hold against the backend a short call that started before the trial and ends during it', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2, breakerHalfOpenMs: 1000 }));
    const { attempt } = scripted(serverError, serverError);
    await backend.execute(attempt, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    // Started while closed, with a short budget; it will time out while the trial is under way.
    let timeOutEarlyCall!: () => void;
    const earlyCall = backend
      .execute(
        (budget) =>
          new Promise<string>((_, reject) => {
            timeOutEarlyCall = () => reject(new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { callerDeadline: budget.short }));
          }),
        { idempotent: true, timeoutMs: 2000, callerDeadlineAt: Date.now() + 300 },
      )
      .catch(() => undefined);
    await backend.execute(attempt, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    expect(backend.circuit).toBe('OPEN');
    later(1000);
    let finishTrial!: (value: string) => void;
    const trial = backend.execute(() => new Promise<string>((resolve) => (finishTrial = resolve)), { idempotent: true, timeoutMs: 2000 });
    expect(backend.circuit).toBe('HALF_OPEN');
    timeOutEarlyCall();
    await earlyCall;
    finishTrial('ok');
    await expect(trial).resolves.toBe('ok');
    expect(backend.circuit).toBe('CLOSED');
  });

  it('counts a timeout against the backend when the caller gave it a meaningful budget', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2 }));
    const timedOut = (budget: AttemptBudget) =>
      Promise.reject(new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { reason: `no answer within ${budget.timeoutMs} ms`, callerDeadline: budget.short }));
    // The caller's deadline is shorter than the backend's 3 s, but long enough to judge it by.
    for (let i = 0; i < 2; i++) {
      await backend.execute(timedOut, { idempotent: true, timeoutMs: 3000, callerDeadlineAt: Date.now() + 1200 }).catch(() => undefined);
    }
    expect(backend.circuit).toBe('OPEN');
  });

  it('does not count a timeout when the caller left the backend less than a meaningful budget', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1 }));
    const budgets: AttemptBudget[] = [];
    const timedOut = (budget: AttemptBudget) => {
      budgets.push(budget);
      return Promise.reject(new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { callerDeadline: budget.short }));
    };
    await backend.execute(timedOut, { idempotent: true, timeoutMs: 3000, callerDeadlineAt: Date.now() + 400 }).catch(() => undefined);
    expect(budgets).toEqual([{ timeoutMs: 400, short: true }]);
    expect(backend.circuit).toBe('CLOSED');
  });

  it('probes the backend around the circuit while it waits: an open circuit does not refuse the probe, and the probe does not close it', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1, breakerHalfOpenMs: 60_000 }));
    await backend.execute(async () => Promise.reject(serverError()), { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    await expect(backend.probe(async () => 'up', 2000)).resolves.toBe('up');
    expect(backend.circuit).toBe('OPEN');
    expect(backend.health().lastProbe).toMatchObject({ ok: true });
    await expect(backend.probe(async () => Promise.reject(refused()), 2000)).rejects.toBeInstanceOf(SystemError);
    expect(backend.health().lastProbe).toMatchObject({ ok: false, code: 'SYSTEM_UNAVAILABLE', reason: 'connection refused' });
    expect(backend.health().calls).toBe(1);
  });

  it('takes the probe as the trial call once the half-open wait is over, so a recovered backend closes the circuit without client calls', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1, breakerHalfOpenMs: 1000 }));
    await backend.execute(async () => Promise.reject(serverError()), { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    later(1000);
    await expect(backend.probe(async () => Promise.reject(refused()), 2000)).rejects.toBeInstanceOf(SystemError);
    expect(backend.circuit).toBe('OPEN');
    later(1000);
    await expect(backend.probe(async () => 'up', 2000)).resolves.toBe('up');
    expect(backend.circuit).toBe('CLOSED');
    expect(backend.health()).toMatchObject({ calls: 1, lastProbe: { ok: true } });
  });

  it('after a probe trial that gets an answer breaking the contract, needs the full count of failures to open again', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2, breakerHalfOpenMs: 1000 }));
    const fail = () => backend.execute(async () => Promise.reject(serverError()), { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    await fail();
    await fail();
    later(1000);
    await expect(backend.probe(async () => Promise.reject(garbage()), 2000)).rejects.toMatchObject({ systemCode: 'SYSTEM_BAD_RESPONSE' });
    expect(backend.circuit).toBe('CLOSED');
    await fail();
    expect(backend.circuit).toBe('CLOSED');
    await fail();
    expect(backend.circuit).toBe('OPEN');
  });

  it('is not opened by answers that break the contract, nor by the caller running out of time', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2 }));
    const callerTimeout = () => new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { reason: 'no answer within 40 ms', callerDeadline: true });
    const { attempt } = scripted(garbage, garbage, garbage, callerTimeout, callerTimeout);
    for (let i = 0; i < 5; i++) await backend.execute(attempt, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    expect(backend.circuit).toBe('CLOSED');
    await expect(backend.execute(attempt, { idempotent: true, timeoutMs: 2000 })).resolves.toBe('ok');
  });

  it('records recent failures, newest first, with reasons that carry no address', async () => {
    const backend = new BackendResilience('land', options({ retries: 0 }));
    const { attempt } = scripted(refused, garbage);
    for (let i = 0; i < 2; i++) await backend.execute(attempt, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    const { recentFailures, lastFailure } = backend.health();
    expect(recentFailures.map((f) => [f.code, f.reason])).toEqual([
      ['SYSTEM_BAD_RESPONSE', 'answer is not JSON'],
      ['SYSTEM_UNAVAILABLE', 'connection refused'],
    ]);
    expect(lastFailure).toEqual(recentFailures[0]);
    expect(Date.parse(lastFailure!.at)).not.toBeNaN();
  });
});

describe('what the circuit tells the operator', () => {
  it('logs one line when it opens, naming the last failure, and one when it closes', async () => {
    const lines: { level: number; msg: string; circuit?: string; lastFailure?: string }[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2, breakerHalfOpenMs: 1000 }), logger);
    const { attempt } = scripted(refused, refused);
    for (let i = 0; i < 2; i++) await backend.execute(attempt, { idempotent: true, timeoutMs: 2000 }).catch(() => undefined);
    later(1000);
    await backend.execute(attempt, { idempotent: true, timeoutMs: 2000 });
    expect(lines.map(({ level, msg, circuit, lastFailure }) => ({ level, msg, circuit, lastFailure }))).toEqual([
      { level: 40, msg: 'circuit to the land backend opened: calls fail at once until a trial call succeeds', circuit: 'OPEN', lastFailure: 'connection refused' },
      { level: 30, msg: 'circuit to the land backend half-open: one trial call', circuit: 'HALF_OPEN', lastFailure: undefined },
      { level: 40, msg: 'circuit to the land backend closed: calls go through again', circuit: 'CLOSED', lastFailure: undefined },
    ]);
  });
});

describe('one circuit breaker for both hops', () => {
  it('in front of a subgraph, logs its opening (with the last failure) and closing once each, and tells a refused client that the circuit is open', async () => {
    const lines: { msg: string; hop?: string; circuit?: string; lastFailure?: string }[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const circuit = new CircuitBreaker('land', { hop: 'subgraph', explainRefusals: true, failures: 2, halfOpenMs: 1000, maxHalfOpenMs: 1000 }, logger);
    const hung = () => Promise.reject(new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { reason: 'no answer before the deadline' }));
    for (let i = 0; i < 4; i++) await circuit.run(hung).catch(() => undefined);
    expect(circuit.refusedByOpenCircuit).toBe(2);
    await expect(circuit.run(async () => 'not called')).rejects.toMatchObject({
      message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable (circuit open: calls are refused until a trial call succeeds).',
      reason: 'circuit open',
    });
    later(1000);
    await expect(circuit.run(async () => 'back')).resolves.toBe('back');
    expect(lines.map(({ msg, hop, circuit: state, lastFailure }) => ({ msg, hop, circuit: state, lastFailure }))).toEqual([
      {
        msg: 'circuit to the land subgraph opened: calls fail at once until a trial call succeeds',
        hop: 'subgraph',
        circuit: 'OPEN',
        lastFailure: 'no answer before the deadline',
      },
      { msg: 'circuit to the land subgraph closed: calls go through again', hop: 'subgraph', circuit: 'CLOSED', lastFailure: undefined },
    ]);
  });
});
