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

  it('reads RSS after the warm-up, at the end, its maximum, its slope per minute and the CPU share after the warm-up', () => {
    // RSS climbs to 200 MiB during the warm-up minute, then grows 1 MiB every 30 s; 150 ms of CPU per second.
    const samples: SoakSample[] = [0, 30, 60, 90, 120, 150, 180].map((second) => ({
      second,
      rssMiB: { gateway: second < 60 ? 100 + second : 200 + (second - 60) / 30, 'mock-land': 80 },
      cpuMs: { gateway: second * 150, 'mock-land': second * 10 },
    }));
    samples[1]!.rssMiB.gateway = 250; // a peak in the warm-up counts in the maximum only
    expect(summariseSoak(samples, 60)).toEqual([
      { process: 'gateway', afterWarmUpMiB: 200, endMiB: 204, maxMiB: 250, slopeMiBPerMinute: 2, cpuPercent: 15 },
      { process: 'mock-land', afterWarmUpMiB: 80, endMiB: 80, maxMiB: 80, slopeMiBPerMinute: 0, cpuPercent: 1 },
    ]);
  });

  it('falls back to the last sample when the soak is shorter than the warm-up', () => {
    const samples: SoakSample[] = [
      { second: 0, rssMiB: { gateway: 100 }, cpuMs: { gateway: 0 } },
      { second: 10, rssMiB: { gateway: 110 }, cpuMs: { gateway: 500 } },
    ];
    expect(summariseSoak(samples, 60)).toEqual([{ process: 'gateway', afterWarmUpMiB: 110, endMiB: 110, maxMiB: 110, slopeMiBPerMinute: 0, cpuPercent: 0 }]);
    expect(summariseSoak([], 60)).toEqual([]);
  });
});
