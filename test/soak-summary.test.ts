import { describe, expect, it } from 'vitest';
import { leastSquaresSlope, outsideV8PagesMiB, summariseSoak, type SoakSample } from '../scripts/soak-summary.ts';

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

  it('reads RSS after the warm-up, at the end, its maximum, its slope per minute and the CPU share after the warm-up, and the same of the V8 heap in use and of RSS outside the heap where measured', () => {
    // RSS climbs to 200 MiB during the warm-up minute, then grows 1 MiB every 30 s; 150 ms of CPU per
    // second. The gateway's heap stays at 80 MiB in use (160 committed) but for one sample, its V8
    // pages at 150 MiB in memory; the mock serves no /metrics and has 40 MiB of V8 pages.
    const samples: SoakSample[] = [0, 30, 60, 90, 120, 150, 180].map((second) => ({
      second,
      rssMiB: { gateway: second < 60 ? 100 + second : 200 + (second - 60) / 30, 'mock-land': 80 },
      v8PagesMiB: { gateway: 150, 'mock-land': 40 },
      cpuMs: { gateway: second * 150, 'mock-land': second * 10 },
      heap: { gateway: { usedMiB: second === 120 ? 110 : 80, committedMiB: 160 } },
    }));
    samples[1]!.rssMiB.gateway = 250; // a peak in the warm-up counts in the maximum only
    samples[0]!.heap.gateway!.usedMiB = 120;
    expect(summariseSoak(samples, 60)).toEqual([
      {
        process: 'gateway',
        afterWarmUpMiB: 200,
        endMiB: 204,
        maxMiB: 250,
        slopeMiBPerMinute: 2,
        cpuPercent: 15,
        heap: { afterWarmUpMiB: 80, endMiB: 80, maxMiB: 120, slopeMiBPerMinute: 0 },
        v8Pages: { afterWarmUpMiB: 150, endMiB: 150, maxMiB: 150, slopeMiBPerMinute: 0 },
        outsideV8Pages: { afterWarmUpMiB: 50, endMiB: 54, maxMiB: 100, slopeMiBPerMinute: 2 },
      },
      {
        process: 'mock-land',
        afterWarmUpMiB: 80,
        endMiB: 80,
        maxMiB: 80,
        slopeMiBPerMinute: 0,
        cpuPercent: 1,
        v8Pages: { afterWarmUpMiB: 40, endMiB: 40, maxMiB: 40, slopeMiBPerMinute: 0 },
        outsideV8Pages: { afterWarmUpMiB: 40, endMiB: 40, maxMiB: 40, slopeMiBPerMinute: 0 },
      },
    ]);
  });

  it('leaves out the heap of a process when a scrape from the warm-up on failed, not when one during the warm-up did; the same of its V8 pages', () => {
    const samples: SoakSample[] = [0, 60, 120].map((second) => ({
      second,
      rssMiB: { gateway: 100 },
      v8PagesMiB: { gateway: 70 },
      cpuMs: { gateway: 0 },
      heap: { gateway: { usedMiB: 50 + second / 60, committedMiB: 80 } },
    }));
    delete samples[0]!.heap.gateway;
    expect(summariseSoak(samples, 60)[0]!.heap).toEqual({ afterWarmUpMiB: 51, endMiB: 52, maxMiB: 52, slopeMiBPerMinute: 1 });
    expect(summariseSoak(samples, 60)[0]!.outsideV8Pages).toEqual({ afterWarmUpMiB: 30, endMiB: 30, maxMiB: 30, slopeMiBPerMinute: 0 });
    delete samples[2]!.heap.gateway;
    expect(summariseSoak(samples, 60)[0]).not.toHaveProperty('heap');
    expect(summariseSoak(samples, 60)[0]!.outsideV8Pages).toEqual({ afterWarmUpMiB: 30, endMiB: 30, maxMiB: 30, slopeMiBPerMinute: 0 });
    delete samples[1]!.v8PagesMiB.gateway;
    expect(summariseSoak(samples, 60)[0]).not.toHaveProperty('v8Pages');
    expect(summariseSoak(samples, 60)[0]).not.toHaveProperty('outsideV8Pages');
  });

  it('falls back to the last sample when the soak is shorter than the warm-up', () => {
    const samples: SoakSample[] = [
      { second: 0, rssMiB: { gateway: 100 }, v8PagesMiB: {}, cpuMs: { gateway: 0 }, heap: {} },
      { second: 10, rssMiB: { gateway: 110 }, v8PagesMiB: {}, cpuMs: { gateway: 500 }, heap: {} },
    ];
    expect(summariseSoak(samples, 60)).toEqual([{ process: 'gateway', afterWarmUpMiB: 110, endMiB: 110, maxMiB: 110, slopeMiBPerMinute: 0, cpuPercent: 0 }]);
    expect(summariseSoak([], 60)).toEqual([]);
  });

  it("tells the heap's taking memory, in steps or by filling in, from memory outside the heap", () => {
    // Land: RSS jumps 50 MiB at 120 s, and so do its V8 pages in memory (V8 doubling the young
    // generation). Gateway: committed heap flat at 220 MiB, its pages filling in 2 MiB a minute, and
    // RSS with them. Population: its pages flat, RSS climbing 1 MiB a minute outside them.
    const samples: SoakSample[] = [60, 90, 120, 150, 180].map((second) => {
      const minutes = (second - 60) / 60;
      return {
        second,
        rssMiB: { land: second < 120 ? 190 : 240, gateway: 340 + minutes * 2, population: 200 + minutes },
        v8PagesMiB: { land: second < 120 ? 100 : 150, gateway: 200 + minutes * 2, population: 90 },
        cpuMs: { land: 0, gateway: 0, population: 0 },
        heap: {
          land: { usedMiB: 60, committedMiB: second < 120 ? 110 : 160 },
          gateway: { usedMiB: 90, committedMiB: 220 },
          population: { usedMiB: 50, committedMiB: 100 },
        },
      };
    });
    const [land, gateway, population] = summariseSoak(samples, 60);
    expect(land!.slopeMiBPerMinute).toBeGreaterThan(20);
    expect(land!.outsideV8Pages).toEqual({ afterWarmUpMiB: 90, endMiB: 90, maxMiB: 90, slopeMiBPerMinute: 0 });
    expect(gateway!.slopeMiBPerMinute).toBe(2);
    expect(gateway!.v8Pages!.slopeMiBPerMinute).toBe(2);
    expect(gateway!.outsideV8Pages).toEqual({ afterWarmUpMiB: 140, endMiB: 140, maxMiB: 140, slopeMiBPerMinute: 0 });
    expect(population!.outsideV8Pages).toEqual({ afterWarmUpMiB: 110, endMiB: 112, maxMiB: 112, slopeMiBPerMinute: 1 });
    expect(outsideV8PagesMiB(samples[0]!, 'land')).toBe(90);
    expect(outsideV8PagesMiB(samples[0]!, 'mock-land')).toBeUndefined();
  });
});
