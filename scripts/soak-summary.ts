/** The arithmetic of `npm run bench:soak` (scripts/bench-soak.ts), pure so that it can be tested. */

/** One reading of every process: seconds since the load began, RSS in MiB and CPU ms so far, by process name. */
export interface SoakSample {
  second: number;
  rssMiB: Record<string, number>;
  cpuMs: Record<string, number>;
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

export interface ProcessSoak {
  process: string;
  /** RSS at the first sample at or after the warm-up, MiB. */
  afterWarmUpMiB: number;
  /** RSS at the last sample, MiB. */
  endMiB: number;
  /** Largest RSS of any sample, warm-up included, MiB. */
  maxMiB: number;
  /** Least-squares slope of RSS over the samples from the warm-up on, MiB per minute. */
  slopeMiBPerMinute: number;
  /** CPU used from the first sample after the warm-up to the last, in % of one core. */
  cpuPercent: number;
}

/**
 * Per process: RSS after the warm-up, at the end, its maximum, its slope after the warm-up, and its
 * CPU share after the warm-up. Samples in time order; with none after the warm-up, the last one counts.
 */
export function summariseSoak(samples: readonly SoakSample[], warmUpSeconds: number): ProcessSoak[] {
  const last = samples.at(-1);
  if (!last) return [];
  let steady = samples.filter((sample) => sample.second >= warmUpSeconds);
  if (steady.length === 0) steady = [last];
  const first = steady[0]!;
  const round = (value: number, digits: number) => Number(value.toFixed(digits));
  return Object.keys(last.rssMiB).map((name) => {
    const elapsedMs = (last.second - first.second) * 1000;
    const cpuMs = (last.cpuMs[name] ?? 0) - (first.cpuMs[name] ?? 0);
    return {
      process: name,
      afterWarmUpMiB: round(first.rssMiB[name] ?? 0, 1),
      endMiB: round(last.rssMiB[name] ?? 0, 1),
      maxMiB: round(Math.max(...samples.map((sample) => sample.rssMiB[name] ?? 0)), 1),
      slopeMiBPerMinute: round(leastSquaresSlope(steady.map((sample) => ({ x: sample.second / 60, y: sample.rssMiB[name] ?? 0 }))), 3),
      cpuPercent: elapsedMs > 0 ? round((cpuMs / elapsedMs) * 100, 1) : 0,
    };
  });
}
