import type { ConnectionBoardSettings } from '../lib/runtime/process-settings.ts';
import { SystemError, SystemErrorCode } from '../lib/runtime/errors.ts';
import { subgraphReadinessSchema, worseStatus, type LiveStatus, type LiveStatusThresholds, type SubgraphReadiness } from '../lib/runtime/live-status.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import { CIRCUIT_WORDS, CircuitBreaker, type BreakerOptions, type CircuitStateName } from '../lib/runtime/resilience.ts';
import { SYSTEM_IDS, type SystemId } from '../lib/runtime/systems.ts';
import type { RouteAnswer, SubgraphRoutes } from './subgraph-routes.ts';
import type { ConnectionHop } from './generated/connections.ts';

export interface ConnectionBoardOptions {
  /** How often each system is probed. */
  probeIntervalMs: number;
  /** Deadline of one probe (gateway → subgraph `/ready` → backend `/v1/health` → back). */
  probeTimeoutMs: number;
  /** Probes kept per system for its history and uptime figure. */
  historySize: number;
  /** Deadline of one `testConnection` (every check of the test). */
  testTimeoutMs: number;
  thresholds: LiveStatusThresholds;
  /** The gateway's circuit breaker in front of each subgraph. */
  subgraphBreakers: Record<SystemId, BreakerOptions>;
}

/** The board's options from the gateway's settings (lib/runtime/process-settings.ts). */
export function connectionBoardOptions(settings: ConnectionBoardSettings): ConnectionBoardOptions {
  const subgraphBreakers = Object.fromEntries(
    SYSTEM_IDS.map((id) => {
      const { breakerFailures, breakerHalfOpenMs } = settings.subgraphs[id];
      return [id, { failures: breakerFailures, halfOpenMs: breakerHalfOpenMs, maxHalfOpenMs: settings.subgraphBreakerMaxHalfOpenMs }];
    }),
  ) as Record<SystemId, BreakerOptions>;
  return { ...settings.connections, subgraphBreakers };
}

export type Hop = ConnectionHop;

export interface ConnectionFailure {
  code: string;
  message: string;
  hop: Hop;
  at: string;
}

export interface ProbeRecord {
  at: string;
  status: LiveStatus;
  latencyMs: number | null;
  errorCode: string | null;
}

/** What the board knows of one system now; the graph's SystemConnection is built from it. */
export interface ConnectionView {
  system: SystemId;
  status: LiveStatus;
  reasons: string[];
  latencyMs: number | null;
  checkedAt: string | null;
  lastSuccessAt: string | null;
  lastError: ConnectionFailure | null;
  circuit: SubgraphReadiness['calls']['circuit'] | null;
  /** The gateway's own circuit breaker in front of the subgraph. */
  subgraphCircuit: CircuitStateName;
  traffic: { windowSeconds: number; subgraphCalls: number; subgraphFailures: number; backendCalls: number | null; backendFailures: number | null };
  uptime: { ratio: number | null; probes: number; answered: number; since: string | null };
  history: ProbeRecord[];
}

/** The outcome of a real gateway → subgraph call, reported by the data source. */
export type SubgraphCallOutcome = { ok: true; backendFailed: boolean } | { ok: false; code: string; reason: string };

type ProbeResult = { answered: true; at: number; latencyMs: number; readiness: SubgraphReadiness } | { answered: false; at: number; code: string; reason: string };

/** Calls and failures per second over a sliding window. */
class SlidingCounter {
  private readonly buckets = new Map<number, { calls: number; failures: number }>();

  constructor(private readonly windowMs: number) {}

  record(failed: boolean, now: number): void {
    const second = Math.floor(now / 1000);
    const bucket = this.buckets.get(second) ?? { calls: 0, failures: 0 };
    bucket.calls += 1;
    if (failed) bucket.failures += 1;
    this.buckets.set(second, bucket);
    if (this.buckets.size > this.windowMs / 1000 + 2) this.prune(now);
  }

  totals(now: number): { calls: number; failures: number } {
    this.prune(now);
    let calls = 0;
    let failures = 0;
    for (const bucket of this.buckets.values()) {
      calls += bucket.calls;
      failures += bucket.failures;
    }
    return { calls, failures };
  }

  private prune(now: number): void {
    const oldest = Math.floor((now - this.windowMs) / 1000);
    for (const second of this.buckets.keys()) if (second < oldest) this.buckets.delete(second);
  }
}

/** Everything the board keeps about one system. */
class SystemRecord {
  lastProbe: ProbeResult | undefined;
  /** The status the last probe found, to log each change once. */
  statusAtLastProbe: LiveStatus | undefined;
  /** Cumulative backend call counts from the subgraph, at each probe in the window (and one before it). */
  backendSnapshots: { at: number; calls: number; failedCalls: number }[] = [];
  readonly history: ProbeRecord[] = [];
  readonly gatewayCalls: SlidingCounter;
  lastSuccessAt: number | undefined;
  lastError: ConnectionFailure | undefined;
  probing: Promise<void> | undefined;
  /** A scheduled probe asked for while another was under way: the one under way counts as it. */
  scheduledPending = false;
  lastTriggeredProbeAt = 0;

  constructor(
    readonly system: SystemId,
    windowMs: number,
    /** Every gateway → subgraph call goes through it; probes are its trial calls once it has waited. */
    readonly circuit: CircuitBreaker,
  ) {
    this.gatewayCalls = new SlidingCounter(windowMs);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A probe that found the subgraph not answering `/ready` properly: a failed trial call for its circuit, whatever the code. */
class FailedProbe extends SystemError {
  constructor(
    system: SystemId,
    readonly answer: Extract<RouteAnswer<never>, { ok: false }>,
  ) {
    super(system, SystemErrorCode.UNAVAILABLE, `/ready probe: ${answer.reason}`, { reason: answer.reason });
  }
}

/**
 * The gateway's live view of its connections, in the spirit of X-Road's operational monitoring:
 * every system is probed on an interval through its subgraph's `/ready` (which probes the backend
 * and reports its circuit and call counts), and real traffic is counted as it passes. A failure in
 * real traffic triggers an early probe, so the board does not wait for the next interval to notice.
 *
 * It also keeps the gateway's circuit breaker in front of each subgraph (lib/runtime/resilience.ts, as the
 * subgraphs keep one in front of each backend): a subgraph that keeps failing or hanging is answered
 * for at once, instead of costing every request its full deadline, until a trial call succeeds; once
 * the half-open wait is over, the next probe is that trial call.
 */
export class ConnectionBoard {
  private readonly records: Map<SystemId, SystemRecord>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly routes: SubgraphRoutes,
    readonly options: ConnectionBoardOptions,
    private readonly logger: Logger,
  ) {
    this.records = new Map(
      SYSTEM_IDS.map((id) => {
        const circuit = new CircuitBreaker(id, { hop: 'subgraph', explainRefusals: true, ...options.subgraphBreakers[id] }, logger);
        return [id, new SystemRecord(id, options.thresholds.failureWindowMs, circuit)];
      }),
    );
  }

  /** The circuit breaker every gateway → subgraph call for clients goes through. */
  circuit(system: SystemId): CircuitBreaker {
    return this.record(system).circuit;
  }

  /** Whether every gateway → subgraph circuit is closed (none open or half-open). */
  circuitsClosed(): boolean {
    for (const record of this.records.values()) if (record.circuit.state !== 'CLOSED') return false;
    return true;
  }

  /** Runs the first round of probes (each bounded by the probe deadline), then probes on the interval. */
  async start(): Promise<void> {
    await this.probeRound();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.probeRound(), this.options.probeIntervalMs);
    this.timer.unref();
  }

  /**
   * Stops probing, and resolves once the probes under way have ended; what they find is ignored.
   * Closing the SubgraphRoutes meanwhile cuts them instead of waiting out their deadline.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.records.values()].flatMap((r) => (r.probing ? [r.probing] : [])));
  }

  /** Probes one system now (joining a probe already under way); not counted in its uptime. */
  probeNow(system: SystemId): Promise<void> {
    return this.probe(this.record(system), false);
  }

  /** A real gateway → subgraph call has ended. */
  recordSubgraphCall(system: SystemId, outcome: SubgraphCallOutcome, now = Date.now()): void {
    const record = this.record(system);
    record.gatewayCalls.record(!outcome.ok, now);
    if (!outcome.ok) {
      record.lastError = { code: outcome.code, message: `subgraph not answering: ${outcome.reason}`, hop: 'SUBGRAPH', at: iso(now) };
      this.triggerProbe(record, now);
    } else if (outcome.backendFailed) {
      // The subgraph knows why its backend call failed; the early probe brings that back.
      this.triggerProbe(record, now);
    }
  }

  view(system: SystemId, now = Date.now()): ConnectionView {
    const record = this.record(system);
    const { thresholds } = this.options;
    const probe = record.lastProbe;
    const gateway = record.gatewayCalls.totals(now);
    const backend = this.backendTraffic(record, now);

    let status: LiveStatus;
    let reasons: string[];
    if (probe === undefined) {
      status = 'DOWN';
      reasons = ['not checked yet'];
    } else if (!probe.answered) {
      status = 'DOWN';
      reasons = [`subgraph not answering: ${probe.reason}`];
    } else {
      status = probe.readiness.status;
      reasons = [...probe.readiness.reasons];
      // The subgraph judges its backend's leg; the board judges only its own, gateway → subgraph.
      const ownLegMs = probe.latencyMs - (probe.readiness.latencyMs ?? 0);
      if (probe.readiness.backend === 'UP' && ownLegMs > thresholds.slowMs) {
        status = worseStatus(status, 'DEGRADED');
        reasons.push(`slow: the subgraph took ${Math.round(ownLegMs)} ms beyond its backend probe (limit ${thresholds.slowMs} ms)`);
      }
    }
    if (gateway.failures > 0) {
      status = worseStatus(status, 'DEGRADED');
      reasons.push(`${gateway.failures} of ${gateway.calls} subgraph calls failed in the last ${Math.round(thresholds.failureWindowMs / 1000)} s`);
    }
    const subgraphCircuit = record.circuit.state;
    if (subgraphCircuit !== 'CLOSED') {
      status = worseStatus(status, 'DEGRADED');
      reasons.push(`subgraph ${CIRCUIT_WORDS[subgraphCircuit]}`);
    }

    const answered = record.history.filter((h) => h.status !== 'DOWN').length;
    const oldest = record.history.at(-1);
    const readiness = probe?.answered ? probe.readiness : undefined;
    return {
      system,
      status,
      reasons,
      latencyMs: probe?.answered && probe.readiness.backend === 'UP' ? probe.latencyMs : null,
      checkedAt: probe ? iso(probe.at) : null,
      lastSuccessAt: record.lastSuccessAt === undefined ? null : iso(record.lastSuccessAt),
      lastError: this.lastError(record, readiness),
      circuit: readiness?.calls.circuit ?? null,
      subgraphCircuit,
      traffic: {
        windowSeconds: Math.round(thresholds.failureWindowMs / 1000),
        subgraphCalls: gateway.calls,
        subgraphFailures: gateway.failures,
        backendCalls: backend?.calls ?? null,
        backendFailures: backend?.failures ?? null,
      },
      uptime: {
        ratio: record.history.length === 0 ? null : answered / record.history.length,
        probes: record.history.length,
        answered,
        since: oldest?.at ?? null,
      },
      history: record.history,
    };
  }

  views(now = Date.now()): ConnectionView[] {
    return SYSTEM_IDS.map((id) => this.view(id, now));
  }

  /**
   * The gateway's `/ready`: it can answer while at least one system answers (a partial answer is
   * still an answer, and taking every gateway out of a load balancer because one ministry is down
   * would turn one outage into four). Lists every system that is not UP.
   */
  readiness(now = Date.now()) {
    const views = this.views(now);
    const degraded = views.filter((v) => v.status !== 'UP').map((v) => ({ system: v.system, status: v.status, reasons: v.reasons }));
    const answering = views.some((v) => v.status !== 'DOWN');
    const status: LiveStatus = degraded.length === 0 ? 'UP' : answering ? 'DEGRADED' : 'DOWN';
    return {
      ready: answering,
      status,
      degraded,
      systems: Object.fromEntries(views.map((v) => [v.system, v.status])),
      subgraphCircuits: Object.fromEntries(views.map((v) => [v.system, v.subgraphCircuit])),
    };
  }

  private record(system: SystemId): SystemRecord {
    const record = this.records.get(system);
    if (!record) throw new Error(`unknown system ${system}`);
    return record;
  }

  /** One scheduled round: every system probed, each probe counted in its history and uptime. */
  probeRound(): Promise<void> {
    return Promise.all([...this.records.values()].map((record) => this.probe(record, true))).then(() => undefined);
  }

  /** At most one early probe per quarter interval, so a burst of failed calls costs one probe. */
  private triggerProbe(record: SystemRecord, now: number): void {
    if (this.stopped || now - record.lastTriggeredProbeAt < this.options.probeIntervalMs / 4) return;
    record.lastTriggeredProbeAt = now;
    void this.probe(record, false);
  }

  private probe(record: SystemRecord, scheduled: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (scheduled) record.scheduledPending = true;
    if (record.probing) return record.probing;
    record.probing = this.runProbe(record).finally(() => (record.probing = undefined));
    return record.probing;
  }

  private async runProbe(record: SystemRecord): Promise<void> {
    const answer = await this.probeReady(record);
    const result: ProbeResult = answer.ok
      ? { answered: true, at: Date.now(), latencyMs: answer.latencyMs, readiness: answer.value }
      : { answered: false, at: Date.now(), code: answer.code, reason: answer.reason };
    this.apply(record, result);
  }

  /**
   * `GET /ready` of the subgraph, never refused by the gateway's circuit; once an open circuit's wait
   * is over, it is the trial call (CircuitBreaker.probe). A subgraph that answers it closes the
   * circuit, whatever it says of its backend; one that does not answer it properly (no answer, an
   * HTTP error, an answer that breaks the contract: a proxy's error page) keeps it open.
   */
  private async probeReady(record: SystemRecord): Promise<RouteAnswer<SubgraphReadiness>> {
    try {
      return await record.circuit.probe(async () => {
        const answer = await this.routes.call(record.system, 'ready', {
          method: 'GET',
          timeoutMs: this.options.probeTimeoutMs,
          answerStatuses: [200, 503],
          schema: subgraphReadinessSchema,
        });
        if (!answer.ok) throw new FailedProbe(record.system, answer);
        return answer;
      });
    } catch (error) {
      if (error instanceof FailedProbe) return error.answer;
      throw error;
    }
  }

  private apply(record: SystemRecord, result: ProbeResult): void {
    // A probe cut short by stop() says nothing about the system.
    if (this.stopped) return;
    record.lastProbe = result;
    if (result.answered) {
      const { calls, failedCalls } = result.readiness.calls;
      const previous = record.backendSnapshots.at(-1);
      // A subgraph that restarted counts from zero again: start over rather than report negative calls.
      if (previous && (calls < previous.calls || failedCalls < previous.failedCalls)) record.backendSnapshots = [];
      record.backendSnapshots.push({ at: result.at, calls, failedCalls });
      if (result.readiness.backend === 'UP') {
        record.lastSuccessAt = result.at;
      } else {
        const failure = result.readiness.error;
        record.lastError = {
          code: failure?.code ?? SystemErrorCode.UNAVAILABLE,
          message: `backend not answering: ${failure?.reason ?? 'probe failed'}`,
          hop: 'BACKEND',
          at: iso(result.at),
        };
      }
      // Kept, so that it does not go back in time when the subgraph stops answering.
      const fromTraffic = result.readiness.calls.lastSuccessAt === null ? undefined : Date.parse(result.readiness.calls.lastSuccessAt);
      if (fromTraffic !== undefined && fromTraffic > (record.lastSuccessAt ?? -Infinity)) record.lastSuccessAt = fromTraffic;
    } else {
      record.lastError = { code: result.code, message: `subgraph not answering: ${result.reason}`, hop: 'SUBGRAPH', at: iso(result.at) };
    }
    const after = this.view(record.system, result.at);
    // Only probes on the interval count towards uptime: early probes come in bursts during failures.
    if (record.scheduledPending) {
      record.scheduledPending = false;
      record.history.unshift({
        at: iso(result.at),
        status: after.status,
        latencyMs: after.latencyMs,
        errorCode: result.answered ? (result.readiness.error?.code ?? null) : result.code,
      });
      if (record.history.length > this.options.historySize) record.history.length = this.options.historySize;
    }
    const before = record.statusAtLastProbe;
    record.statusAtLastProbe = after.status;
    if (before !== undefined && before !== after.status) {
      const log = after.status === 'UP' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
      log({ system: record.system, from: before, to: after.status, reasons: after.reasons }, `connection ${record.system} is ${after.status}`);
    }
  }

  /** Backend calls in the window: the newest snapshot against the newest one from before the window (or the oldest kept). */
  private backendTraffic(record: SystemRecord, now: number): { calls: number; failures: number } | undefined {
    const windowStart = now - this.options.thresholds.failureWindowMs;
    const firstInWindow = record.backendSnapshots.findIndex((s) => s.at >= windowStart);
    if (firstInWindow === -1) return undefined;
    // Keep one snapshot from before the window as the baseline; older ones are no longer needed.
    if (firstInWindow > 1) record.backendSnapshots.splice(0, firstInWindow - 1);
    const baseline = record.backendSnapshots[0]!;
    const latest = record.backendSnapshots.at(-1)!;
    return { calls: latest.calls - baseline.calls, failures: latest.failedCalls - baseline.failedCalls };
  }

  /** The newest of what the gateway saw itself and the subgraph's last failed backend call. */
  private lastError(record: SystemRecord, readiness: SubgraphReadiness | undefined): ConnectionFailure | null {
    const fromSubgraph = readiness?.calls.lastFailure;
    const own = record.lastError;
    if (fromSubgraph && (!own || Date.parse(fromSubgraph.at) > Date.parse(own.at))) {
      return { code: fromSubgraph.code, message: `backend call failed: ${fromSubgraph.reason}`, hop: 'BACKEND', at: fromSubgraph.at };
    }
    return own ?? null;
  }
}
