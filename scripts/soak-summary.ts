/** The arithmetic of `npm run bench:soak` (scripts/bench-soak.ts), pure so that it can be tested. */
import { round, type HeapFigures } from './bench-common.ts';

/**
 * One reading of every process: seconds since the load began, by process name its RSS in MiB, its V8
 * heap pages in memory in MiB (scripts/process-stats.ts, `v8PagesResidentKiB`) and its CPU ms so far,
 * and the V8 heap of those that serve `/metrics` (not the mock backends).
 */
export interface SoakSample {
  second: number;
  rssMiB: Record<string, number>;
  v8PagesMiB: Record<string, number>;
  cpuMs: Record<string, number>;
  heap: Record<string, HeapFigures>;
}

/**
 * RSS less the V8 heap pages in memory, in MiB: what neither the young generation's growing nor its
 * pages' filling in moves (native allocations, the allocator's free pages, large objects, compiled
 * code outside the heap, the binary's own pages). Undefined without both figures.
 */
export function outsideV8PagesMiB(sample: SoakSample, name: string): number | undefined {
  const rss = sample.rssMiB[name];
  const v8Pages = sample.v8PagesMiB[name];
  return rss === undefined || v8Pages === undefined ? undefined : round(rss - v8Pages, 1);
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const meanX = points.reduce((total, point) => total + point.x, 0) / points.length;
  const meanY = points.reduce((total, point) => total + point.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const { x, y } of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** One measure of a process over the soak, in MiB. */
export interface SoakCurve {
  /** At the first sample at or after the warm-up. */
  afterWarmUpMiB: number;
  /** At the last sample. */
  endMiB: number;
  /** The largest of any sample, warm-up included. */
  maxMiB: number;
  /** Least-squares slope over the samples from the warm-up on, MiB per minute. */
  slopeMiBPerMinute: number;
}

export interface ProcessSoak extends SoakCurve {
  process: string;
  /** CPU used from the first sample after the warm-up to the last, in % of one core. */
  cpuPercent: number;
  /**
   * The main thread's V8 heap in use, over the same samples: flat while RSS climbs, the climb is
   * not live objects. Only for a process that serves `/metrics` and answered every scrape from the
   * warm-up on.
   */
  heap?: SoakCurve;
  /** The process's V8 heap pages in memory, as the kernel counts them. */
  v8Pages?: SoakCurve;
  /**
   * RSS outside those pages (`outsideV8PagesMiB`): a climb of RSS that this does not share is V8's heap
   * taking memory (the young generation steps by tens of MiB, and its pages fill in); one that it
   * shares is memory outside the heap.
   */
  outsideV8Pages?: SoakCurve;
}

/** The curve of one measure; undefined when a sample from the warm-up on lacks it. */
function curveOf(samples: readonly SoakSample[], steady: readonly SoakSample[], valueOf: (sample: SoakSample) => number | undefined): SoakCurve | undefined {
  const points = steady.flatMap((sample) => {
    const y = valueOf(sample);
    return y === undefined ? [] : [{ x: sample.second / 60, y }];
  });
  if (points.length < steady.length) return undefined;
  return {
    afterWarmUpMiB: round(points[0]!.y, 1),
    endMiB: round(points.at(-1)!.y, 1),
    maxMiB: round(Math.max(...samples.map((sample) => valueOf(sample) ?? 0)), 1),
    slopeMiBPerMinute: round(leastSquaresSlope(points), 3),
  };
}

/**
 * Per process: RSS after the warm-up, at the end, its maximum, its slope after the warm-up, and its
 * CPU share after the warm-up; the same of its V8 heap in use when measured, and of its V8 heap pages
 * in memory and its RSS outside them when read at every sample from the warm-up on. Samples in time
 * order; with none after the warm-up, the last one counts.
 */
export function summariseSoak(samples: readonly SoakSample[], warmUpSeconds: number): ProcessSoak[] {
  const last = samples.at(-1);
  if (!last) return [];
  let steady = samples.filter((sample) => sample.second >= warmUpSeconds);
  if (steady.length === 0) steady = [last];
  const first = steady[0]!;
  return Object.keys(last.rssMiB).map((name) => {
    const elapsedMs = (last.second - first.second) * 1000;
    const cpuMs = (last.cpuMs[name] ?? 0) - (first.cpuMs[name] ?? 0);
    const heap = curveOf(samples, steady, (sample) => sample.heap[name]?.usedMiB);
    const v8Pages = curveOf(samples, steady, (sample) => sample.v8PagesMiB[name]);
    const outsideV8Pages = curveOf(samples, steady, (sample) => outsideV8PagesMiB(sample, name));
    return {
      process: name,
      ...curveOf(samples, steady, (sample) => sample.rssMiB[name] ?? 0)!,
      cpuPercent: elapsedMs > 0 ? round((cpuMs / elapsedMs) * 100, 1) : 0,
      ...(heap ? { heap } : {}),
      ...(v8Pages ? { v8Pages } : {}),
      ...(outsideV8Pages ? { outsideV8Pages } : {}),
    };
  });
}
