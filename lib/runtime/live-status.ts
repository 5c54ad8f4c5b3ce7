import { z } from 'zod';
import { DEFAULT_LIVE_STATUS_THRESHOLDS } from './settings.ts';
import { SystemErrorCode } from './errors.ts';
import { CIRCUIT_WORDS, RECENT_FAILURES, type BackendHealth } from './resilience.ts';
import { SYSTEM_IDS } from './systems.ts';

/**
 * Live status of a connection, one vocabulary for a subgraph's `/ready` and the gateway's
 * connection board: UP, DEGRADED (answering, but slowly, with recent failures, or with its circuit
 * not closed) or DOWN (not answering).
 */
export const LIVE_STATUSES = ['UP', 'DEGRADED', 'DOWN'] as const;
export type LiveStatus = (typeof LIVE_STATUSES)[number];

export const worseStatus = (a: LiveStatus, b: LiveStatus): LiveStatus => (LIVE_STATUSES.indexOf(a) >= LIVE_STATUSES.indexOf(b) ? a : b);

export interface LiveStatusThresholds {
  /** A probe slower than this makes the connection DEGRADED. */
  slowMs: number;
  /** A failed real call this recent makes the connection DEGRADED. */
  failureWindowMs: number;
}

export const DEFAULT_THRESHOLDS: LiveStatusThresholds = { ...DEFAULT_LIVE_STATUS_THRESHOLDS };

const systemErrorCode = z.enum([SystemErrorCode.UNAVAILABLE, SystemErrorCode.TIMEOUT, SystemErrorCode.BAD_RESPONSE]);
const recordedFailure = z.object({ at: z.string(), code: systemErrorCode, reason: z.string() });
const count = z.number().int().min(0);

/** BackendHealth as it travels in a subgraph's `/ready`; validated where it enters the gateway. */
export const backendHealthSchema = z.object({
  system: z.enum(SYSTEM_IDS as [string, ...string[]]),
  circuit: z.enum(['CLOSED', 'OPEN', 'HALF_OPEN']),
  calls: count,
  failedCalls: count,
  retries: count,
  refusedByOpenCircuit: count,
  retryBudget: z.object({ tokens: z.number(), maxTokens: z.number() }),
  lastSuccessAt: z.string().nullable(),
  lastFailure: recordedFailure.nullable(),
  lastProbe: z.object({ at: z.string(), ok: z.boolean(), code: systemErrorCode.optional(), reason: z.string().optional() }).nullable(),
  recentFailures: z.array(recordedFailure),
});

/** A subgraph's `/ready` answer: 200 when its backend answers the probe (UP or DEGRADED), 503 when DOWN. */
export const subgraphReadinessSchema = z.object({
  ready: z.boolean(),
  system: z.enum(SYSTEM_IDS as [string, ...string[]]),
  status: z.enum(LIVE_STATUSES),
  /** Why the status is not UP; empty when UP. */
  reasons: z.array(z.string()),
  backend: z.enum(['UP', 'DOWN']),
  /** The probe's round trip to the backend, when it answered. */
  latencyMs: z.number().nullable(),
  /** The probe's failure, when it failed. */
  error: z.object({ code: systemErrorCode, reason: z.string() }).nullable(),
  calls: backendHealthSchema,
});
export type SubgraphReadiness = z.infer<typeof subgraphReadinessSchema>;

export type ProbeOutcome = { ok: true; latencyMs: number } | { ok: false; code: SystemErrorCode; reason: string };

/** Failed calls whose time falls in the window, newest first (recentFailures is kept newest first). */
export function failuresWithin(failures: readonly { at: string }[], windowMs: number, now: number): number {
  let n = 0;
  for (const failure of failures) {
    if (now - Date.parse(failure.at) > windowMs) break;
    n += 1;
  }
  return n;
}

/**
 * The status of a subgraph → backend connection from one probe and the backend calls' health:
 * DOWN when the probe failed; DEGRADED when it was slow, the circuit is not closed, or a real call
 * failed within the window; UP otherwise.
 */
export function backendStatus(
  probe: ProbeOutcome,
  health: Pick<BackendHealth, 'circuit' | 'recentFailures'>,
  thresholds: LiveStatusThresholds,
  now = Date.now(),
): { status: LiveStatus; reasons: string[] } {
  if (!probe.ok) return { status: 'DOWN', reasons: [`backend not answering: ${probe.reason}`] };
  const reasons: string[] = [];
  if (health.circuit !== 'CLOSED') reasons.push(CIRCUIT_WORDS[health.circuit]);
  if (probe.latencyMs > thresholds.slowMs) reasons.push(`slow: probe took ${Math.round(probe.latencyMs)} ms (limit ${thresholds.slowMs} ms)`);
  const failed = failuresWithin(health.recentFailures, thresholds.failureWindowMs, now);
  if (failed > 0) {
    const latest = health.recentFailures[0];
    reasons.push(
      `${failed === RECENT_FAILURES ? 'at least ' : ''}${failed} failed backend call${failed === 1 ? '' : 's'} in the last ${Math.round(thresholds.failureWindowMs / 1000)} s` +
        (latest ? ` (latest: ${latest.reason})` : ''),
    );
  }
  return { status: reasons.length === 0 ? 'UP' : 'DEGRADED', reasons };
}
