import { describe, expect, it } from 'vitest';
import { errorText } from './cli.ts';

describe('errorText', () => {
  it("tells why fetch failed, which undici says only in the error's cause", async () => {
    const refused = await fetch('http://127.0.0.1:6000/').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe('fetch failed');
    expect(errorText(refused)).toBe('fetch failed: bad port');
  });

  it('follows a chain of causes in order, and stops at a cycle', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:4101');
    const middle = new Error('population backend unreachable', { cause: root });
    const top = new Error('the system did not start', { cause: middle });
    expect(errorText(top)).toBe('the system did not start: population backend unreachable: connect ECONNREFUSED 127.0.0.1:4101');

    const looped = new Error('first');
    const second = new Error('second', { cause: looped });
    looped.cause = second;
    expect(errorText(looped)).toBe('first: second');
  });

  it('tells a thrown value that is not an Error, and a non-Error cause', () => {
    expect(errorText('plain text')).toBe('plain text');
    expect(errorText(new Error('outer', { cause: 42 }))).toBe('outer: 42');
    expect(errorText(new Error('alone'))).toBe('alone');
    expect(errorText({ code: 'EPIPE' })).toBe("{ code: 'EPIPE' }");
  });
});
