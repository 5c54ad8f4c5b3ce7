import { describe, expect, it } from 'vitest';
import { MemoryReplayStore, replayStoreConfigFromEnv } from './replay-store.ts';

// The PostgreSQL store is tested against a real server in test/caller-replay.test.ts.
describe('the in-memory replay store (one instance)', () => {
  const STARTED = 1_800_000_000_000;
  const use = (id: string, issuedAtMs: number) => ({ id, issuedAtMs, expiresAt: Math.ceil(issuedAtMs / 1000) + 10 });

  it('accepts an assertion once', async () => {
    const store = new MemoryReplayStore(STARTED, 0);
    expect(await store.accept(use('a', STARTED + 1))).toBe('accepted');
    expect(await store.accept(use('a', STARTED + 1))).toBe('replayed');
    expect(await store.accept(use('b', STARTED + 1))).toBe('accepted');
  });

  it('refuses what was issued before it started, and within the allowed clock skew after', async () => {
    const exact = new MemoryReplayStore(STARTED, 0);
    expect(await exact.accept(use('before', STARTED - 1))).toBe('predates-start');
    expect(await exact.accept(use('same-ms', STARTED))).toBe('predates-start');
    const skewed = new MemoryReplayStore(STARTED, 2000);
    expect(await skewed.accept(use('within-skew', STARTED + 2000))).toBe('predates-start');
    expect(await skewed.accept(use('after-skew', STARTED + 2001))).toBe('accepted');
  });
});

describe('replay store configuration', () => {
  it('is this process’s memory, no skew, unless set', () => {
    expect(replayStoreConfigFromEnv({})).toEqual({ clockSkewMs: 0 });
    expect(replayStoreConfigFromEnv({ CALLER_REPLAY_DATABASE_URL: 'postgres://replay@db/replay', CALLER_REPLAY_CLOCK_SKEW_MS: '1500' })).toEqual({
      databaseUrl: 'postgres://replay@db/replay',
      clockSkewMs: 1500,
    });
  });

  it('refuses a skew that is not a whole number of milliseconds up to a minute', () => {
    expect(() => replayStoreConfigFromEnv({ CALLER_REPLAY_CLOCK_SKEW_MS: '-1' })).toThrow(/CALLER_REPLAY_CLOCK_SKEW_MS/);
    expect(() => replayStoreConfigFromEnv({ CALLER_REPLAY_CLOCK_SKEW_MS: '60001' })).toThrow(/CALLER_REPLAY_CLOCK_SKEW_MS is "60001", expected an integer from 0 to 60000/);
  });
});
