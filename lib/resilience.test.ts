import { describe, expect, it } from 'vitest';
import { SystemError, SystemErrorCode } from './errors.ts';
import { BackendResilience, DEFAULT_RESILIENCE, RetryBudget, type ResilienceOptions } from './resilience.ts';

const options = (overrides: Partial<ResilienceOptions> = {}): ResilienceOptions => ({
  ...DEFAULT_RESILIENCE,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 2,
  ...overrides,
});
const inTwoSeconds = () => Date.now() + 2000;
const refused = () => new SystemError('land', SystemErrorCode.UNAVAILABLE, 'ECONNREFUSED', { reason: 'connection refused', retryable: true });
const serverError = () => new SystemError('land', SystemErrorCode.UNAVAILABLE, 'HTTP 500', { reason: 'HTTP 500' });
const garbage = () => new SystemError('land', SystemErrorCode.BAD_RESPONSE, 'not JSON', { reason: 'answer is not JSON' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    await expect(backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() })).resolves.toBe('ok');
    expect(calls()).toBe(3);
    expect(backend.health()).toMatchObject({ calls: 1, failedCalls: 0, retries: 2, circuit: 'CLOSED' });
  });

  it('gives up after the configured number of retries', async () => {
    const backend = new BackendResilience('land', options({ retries: 1 }));
    const { attempt, calls } = scripted(refused, refused, refused);
    await expect(backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() })).rejects.toMatchObject({
      extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
    });
    expect(calls()).toBe(2);
  });

  it('never retries a call that is not idempotent', async () => {
    const backend = new BackendResilience('land', options());
    const { attempt, calls } = scripted(refused);
    await expect(backend.execute(attempt, { idempotent: false, deadlineAt: inTwoSeconds() })).rejects.toBeInstanceOf(SystemError);
    expect(calls()).toBe(1);
  });

  it('does not retry a failure that would fail again: a server error or an answer that breaks the contract', async () => {
    for (const failure of [serverError, garbage]) {
      const backend = new BackendResilience('land', options());
      const { attempt, calls } = scripted(failure);
      await expect(backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() })).rejects.toBeInstanceOf(SystemError);
      expect(calls()).toBe(1);
    }
  });

  it('does not start a retry that the deadline leaves no time for', async () => {
    const backend = new BackendResilience('land', options({ retryMaxDelayMs: 400 }));
    const { attempt, calls } = scripted(refused);
    await expect(backend.execute(attempt, { idempotent: true, deadlineAt: Date.now() + 300 })).rejects.toBeInstanceOf(SystemError);
    expect(calls()).toBe(1);
  });

  it('refuses to start an attempt once the deadline has passed, as a timeout', async () => {
    const backend = new BackendResilience('land', options());
    const { attempt, calls } = scripted();
    await expect(backend.execute(attempt, { idempotent: true, deadlineAt: Date.now() - 1 })).rejects.toMatchObject({
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
      await backend.execute(alwaysRefused, { idempotent: true, deadlineAt: inTwoSeconds() }).catch(() => undefined);
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
    for (let i = 0; i < 3; i++) await backend.execute(failing, { idempotent: true, deadlineAt: inTwoSeconds() }).catch(() => undefined);
    expect(backend.circuit).toBe('OPEN');
    const refusal = await backend.execute(failing, { idempotent: true, deadlineAt: inTwoSeconds() }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SystemError);
    expect(refusal).toMatchObject({ message: 'The land system (Bộ Tài nguyên và Môi trường) is unavailable.', reason: 'circuit open' });
    expect(attempts).toBe(3);
    expect(backend.health()).toMatchObject({ circuit: 'OPEN', refusedByOpenCircuit: 1, calls: 4, failedCalls: 4 });
  });

  it('lets one trial call through after the half-open delay, and closes when it succeeds', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2, breakerHalfOpenMs: 30 }));
    const { attempt } = scripted(serverError, serverError);
    for (let i = 0; i < 2; i++) await backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() }).catch(() => undefined);
    expect(backend.circuit).toBe('OPEN');
    await sleep(40);
    await expect(backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() })).resolves.toBe('ok');
    expect(backend.circuit).toBe('CLOSED');
    expect(backend.health().lastSuccessAt).not.toBeNull();
  });

  it('opens again when the trial call fails, and waits twice as long before the next trial', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 1, breakerHalfOpenMs: 100 }));
    const { attempt, calls } = scripted(serverError, serverError);
    const call = () => backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() });
    await call().catch(() => undefined);
    await sleep(130);
    await expect(call()).rejects.toMatchObject({ reason: 'HTTP 500' });
    expect(backend.circuit).toBe('OPEN');
    await sleep(130);
    await expect(call()).rejects.toMatchObject({ reason: 'circuit open' });
    expect(calls()).toBe(2);
    await sleep(100);
    await expect(call()).resolves.toBe('ok');
    expect(backend.circuit).toBe('CLOSED');
  });

  it('is not opened by answers that break the contract, nor by the caller running out of time', async () => {
    const backend = new BackendResilience('land', options({ retries: 0, breakerFailures: 2 }));
    const callerTimeout = () =>
      new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { reason: 'no answer within 40 ms', callerDeadline: true });
    const { attempt } = scripted(garbage, garbage, garbage, callerTimeout, callerTimeout);
    for (let i = 0; i < 5; i++) await backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() }).catch(() => undefined);
    expect(backend.circuit).toBe('CLOSED');
    await expect(backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() })).resolves.toBe('ok');
  });

  it('records recent failures, newest first, with reasons that carry no address', async () => {
    const backend = new BackendResilience('land', options({ retries: 0 }));
    const { attempt } = scripted(refused, garbage);
    for (let i = 0; i < 2; i++) await backend.execute(attempt, { idempotent: true, deadlineAt: inTwoSeconds() }).catch(() => undefined);
    const { recentFailures, lastFailure } = backend.health();
    expect(recentFailures.map((f) => [f.code, f.reason])).toEqual([
      ['SYSTEM_BAD_RESPONSE', 'answer is not JSON'],
      ['SYSTEM_UNAVAILABLE', 'connection refused'],
    ]);
    expect(lastFailure).toEqual(recentFailures[0]);
    expect(Date.parse(lastFailure!.at)).not.toBeNaN();
  });
});
