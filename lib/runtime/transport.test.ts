import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallDeadline, classifyTransportError } from './transport.ts';
import { SystemErrorCode } from './errors.ts';

afterEach(() => vi.useRealTimers());

describe('a call deadline', () => {
  it('aborts at its deadline with the TimeoutError that AbortSignal.timeout gives, classified as a timeout', () => {
    vi.useFakeTimers();
    const deadline = new CallDeadline(500);
    vi.advanceTimersByTime(499);
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(classifyTransportError(deadline.signal.reason)).toMatchObject({ code: SystemErrorCode.TIMEOUT, retryable: false });
  });

  it('never aborts once its call has ended, and leaves no timer behind', () => {
    vi.useFakeTimers();
    const deadline = new CallDeadline(500);
    deadline.end();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(deadline.signal.aborted).toBe(false);
  });
});
