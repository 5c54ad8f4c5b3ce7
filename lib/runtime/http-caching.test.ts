import { describe, expect, it } from 'vitest';
import { AnswerFreshness, sharedFreshnessSeconds } from './http-caching.ts';

describe('sharedFreshnessSeconds: how long a shared cache may serve an answer (RFC 9111)', () => {
  it('is the max-age of a public answer, less its Age', () => {
    expect(sharedFreshnessSeconds('public, max-age=60', undefined)).toBe(60);
    expect(sharedFreshnessSeconds('public, max-age=60', '20')).toBe(40);
    expect(sharedFreshnessSeconds('Public, Max-Age="60"', undefined)).toBe(60);
  });

  it('takes s-maxage over max-age, and s-maxage alone lets a shared cache keep it', () => {
    expect(sharedFreshnessSeconds('public, max-age=60, s-maxage=10', undefined)).toBe(10);
    expect(sharedFreshnessSeconds('s-maxage=30', '5')).toBe(25);
  });

  it('is undefined for what a shared cache must not keep for an identified caller', () => {
    expect(sharedFreshnessSeconds(undefined, undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('max-age=60', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=60, private', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=60, no-store', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=60, no-cache', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public', undefined)).toBeUndefined();
  });

  it('is undefined once stale, for a lifetime that is not delta-seconds, and for a repeated directive', () => {
    expect(sharedFreshnessSeconds('public, max-age=60', '60')).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=0', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=-5', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=1e3', undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=60, max-age=3600', undefined)).toBeUndefined();
  });

  it('reads several field lines as one list, and ignores an Age that is not delta-seconds', () => {
    expect(sharedFreshnessSeconds(['public', 'max-age=60'], undefined)).toBe(60);
    expect(sharedFreshnessSeconds(['public', 'max-age=60', 'private'], undefined)).toBeUndefined();
    expect(sharedFreshnessSeconds('public, max-age=60', 'soon')).toBe(60);
    expect(sharedFreshnessSeconds('public, max-age=60', ['10', '20'])).toBe(60);
  });
});

describe('AnswerFreshness: the freshness of an answer built from several', () => {
  it('is that of the least fresh answer used', () => {
    const freshness = new AnswerFreshness();
    freshness.observe(60);
    freshness.observe(12);
    freshness.observe(30);
    expect(freshness.maxAgeSeconds).toBe(12);
  });

  it('is none once one answer used was not cacheable, and none when no answer was used', () => {
    const freshness = new AnswerFreshness();
    freshness.observe(60);
    freshness.observe(undefined);
    freshness.observe(30);
    expect(freshness.maxAgeSeconds).toBeUndefined();
    expect(new AnswerFreshness().maxAgeSeconds).toBeUndefined();
  });
});
