import { describe, expect, it } from 'vitest';
import { leastSquaresSlope, summariseSoak, type SoakSample } from '../scripts/soak-summary.ts';

describe('the soak summary (npm run bench:soak)', () => {
  it('fits a least-squares slope, 0 without two distinct points', () => {
    expect(
      leastSquaresSlope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2);
    expect(
      leastSquaresSlope([
        { x: 0, y: 1 },
        { x: 1, y: 2 },
        { x: 2, y: 1 },
        { x: 3, y: 2 },
      ]),
    ).toBeCloseTo(0.2);
    expect(leastSquaresSlope([{ x: 1, y: 5 }])).toBe(0);
    expect(
      leastSquaresSlope([
        { x: 1, y: 5 },
        { x: 1, y: 7 },
      ]),
    ).toBe(0);
  });

  it('reads RSS after the warm-up, at the end, its maximum, its slope per minute and the CPU share after the warm-up, and the same of the V8 heap where measured', () => {
    // RSS climbs to 200 MiB during the warm-up minute, then grows 1 MiB every 30 s; 150 ms of CPU per
    // second. The gateway's heap stays at 80 MiB but for one sample; the mock serves no /metrics.
    const samples: SoakSample[] = [0, 30, 60, 90, 120, 150, 180].map((second) => ({
      second,
      rssMiB: { gateway: second < 60 ? 100 + second : 200 + (second - 60) / 30, 'mock-land': 80 },
      cpuMs: { gateway: second * 150, 'mock-land': second * 10 },
      heapMiB: { gateway: second === 120 ? 110 : 80 },
    }));
    samples[1]!.rssMiB.gateway = 250; // a peak in the warm-up counts in the maximum only
    samples[0]!.heapMiB.gateway = 120;
    expect(summariseSoak(samples, 60)).toEqual([
      {
        process: 'gateway',
        afterWarmUpMiB: 200,
        endMiB: 204,
        maxMiB: 250,
        slopeMiBPerMinute: 2,
        cpuPercent: 15,
        heap: { afterWarmUpMiB: 80, endMiB: 80, maxMiB: 120, slopeMiBPerMinute: 0 },
      },
      { process: 'mock-land', afterWarmUpMiB: 80, endMiB: 80, maxMiB: 80, slopeMiBPerMinute: 0, cpuPercent: 1 },
    ]);
  });

  it('leaves out the heap of a process when a scrape from the warm-up on failed, not when one during the warm-up did', () => {
    const samples: SoakSample[] = [0, 60, 120].map((second) => ({ second, rssMiB: { gateway: 100 }, cpuMs: { gateway: 0 }, heapMiB: { gateway: 50 + second / 60 } }));
    delete samples[0]!.heapMiB.gateway;
    expect(summariseSoak(samples, 60)[0]!.heap).toEqual({ afterWarmUpMiB: 51, endMiB: 52, maxMiB: 52, slopeMiBPerMinute: 1 });
    delete samples[2]!.heapMiB.gateway;
    expect(summariseSoak(samples, 60)[0]).not.toHaveProperty('heap');
  });

  it('falls back to the last sample when the soak is shorter than the warm-up', () => {
    const samples: SoakSample[] = [
      { second: 0, rssMiB: { gateway: 100 }, cpuMs: { gateway: 0 }, heapMiB: {} },
      { second: 10, rssMiB: { gateway: 110 }, cpuMs: { gateway: 500 }, heapMiB: {} },
    ];
    expect(summariseSoak(samples, 60)).toEqual([{ process: 'gateway', afterWarmUpMiB: 110, endMiB: 110, maxMiB: 110, slopeMiBPerMinute: 0, cpuPercent: 0 }]);
    expect(summariseSoak([], 60)).toEqual([]);
  });
});
