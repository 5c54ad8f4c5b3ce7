import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  noJitterGenerator,
  retry,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { SystemError, SystemErrorCode } from './errors.ts';
import { DEFAULT_BACKEND_RESILIENCE, DEFAULT_SUBGRAPH_BREAKER as SUBGRAPH_BREAKER_SETTINGS_DEFAULT } from './settings.ts';
import type { Logger } from './logger.ts';
import type { SystemId } from './systems.ts';

/**
 * How calls to one backend survive its failures: retries for idempotent reads (exponential backoff
 * with decorrelated jitter, throttled by a retry budget), a circuit breaker shared by every call to
 * the backend, and a record of recent outcomes that the connection board reads.
 */
export interface ResilienceOptions {
  /** Extra attempts after a failed idempotent read (0 turns retries off). */
  retries: number;
  /** First backoff delay; later delays grow exponentially, with jitter, up to `retryMaxDelayMs`. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Consecutive failed calls that open the circuit. */
  breakerFailures: number;
  /**
   * How long an open circuit refuses calls before letting one trial call through (half-open). Each
   * failed trial doubles the wait, up to `breakerMaxHalfOpenMs`; a successful one closes the circuit.
   */
  breakerHalfOpenMs: number;
  breakerMaxHalfOpenMs: number;
  /**
   * A timeout of a call its caller gave less than this (or less than the backend's own deadline,
   * when that is shorter) is the caller's, not the backend's. `MEANINGFUL_BUDGET_MS` unless set.
   */
  meaningfulBudgetMs?: number;
}

/**
 * The settings' defaults (lib/runtime/settings.ts) and the backoff between retries. No doubling of the
 * half-open wait by default: on a line that drops for seconds at a time, a trial call every second
 * finds the system back soonest (measured in docs/BENCHMARKS.md), and costs a down system little.
 */
export const DEFAULT_RESILIENCE: ResilienceOptions = { ...DEFAULT_BACKEND_RESILIENCE, retryBaseDelayMs: 50, retryMaxDelayMs: 400 };

/**
 * The gateway's circuit to each subgraph (gateway/connection-board.ts): five failed calls in a row
 * (refused, dropped, HTTP error, or no answer within the subgraph's deadline) open it, and one trial
 * call a second finds the subgraph back.
 */
export const DEFAULT_SUBGRAPH_BREAKER: BreakerOptions = { ...SUBGRAPH_BREAKER_SETTINGS_DEFAULT };

/** A retry is only started when at least this much of the call's deadline is left after the longest backoff. */
const MIN_ATTEMPT_MS = 100;
/**
 * A call the caller gave less than this (or less than the backend's own deadline, when that is
 * shorter) and that timed out says nothing about the backend: it does not open the circuit (but, as
 * a trial call, it does not close it either).
 */
export const MEANINGFUL_BUDGET_MS = 1000;
/** How many failures `health()` lists. */
export const RECENT_FAILURES = 20;

export type CircuitStateName = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface RecordedFailure {
  at: string;
  code: SystemErrorCode;
  /** Short cause without any address or body, e.g. `ECONNREFUSED`, `HTTP 503`, `answer is not JSON`. */
  reason: string;
}

export interface BackendHealth {
  system: SystemId;
  circuit: CircuitStateName;
  calls: number;
  failedCalls: number;
  retries: number;
  /** Calls refused without trying because the circuit was open. */
  refusedByOpenCircuit: number;
  retryBudget: { tokens: number; maxTokens: number };
  lastSuccessAt: string | null;
  lastFailure: RecordedFailure | null;
  /** The last health probe (`GET /v1/health`), which bypasses the circuit. */
  lastProbe: { at: string; ok: boolean; code?: SystemErrorCode; reason?: string } | null;
  /** Newest first. */
  recentFailures: RecordedFailure[];
}

/**
 * gRPC's retry throttling (gRFC A6): every failed attempt spends a token, every success earns back
 * a fraction of one, and retries stop while fewer than half the tokens are left. A backend that is
 * down therefore sees its load drop to first attempts only, instead of being multiplied by retries.
 */
export class RetryBudget {
  private tokens: number;

  constructor(
    readonly maxTokens = 10,
    private readonly tokenRatio = 0.1,
  ) {
    this.tokens = maxTokens;
  }

  get available(): number {
    return Math.round(this.tokens * 10) / 10;
  }

  recordSuccess(): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.tokenRatio);
  }

  recordFailure(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }

  allowsRetry(): boolean {
    return this.tokens > this.maxTokens / 2;
  }
}

export interface ExecuteOptions {
  /** Only idempotent reads are retried. */
  idempotent: boolean;
  /** The backend's own deadline for the whole call, retries included. */
  timeoutMs: number;
  /** The caller's deadline (ms since epoch), when it has one; the call ends at the earlier of the two. */
  callerDeadlineAt?: number;
}

/** One attempt: the time it may take, and whether that time is too short to judge the backend by. */
export interface AttemptBudget {
  timeoutMs: number;
  short: boolean;
}

const stateNames: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'CLOSED',
  [CircuitState.Open]: 'OPEN',
  [CircuitState.HalfOpen]: 'HALF_OPEN',
  [CircuitState.Isolated]: 'OPEN',
};

/** What a circuit that is not closed means, in words: for status reasons and for refused clients. */
export const CIRCUIT_WORDS = {
  OPEN: 'circuit open: calls are refused until a trial call succeeds',
  HALF_OPEN: 'circuit half-open: a trial call is under way',
} as const satisfies Record<Exclude<CircuitStateName, 'CLOSED'>, string>;

export interface BreakerOptions {
  /** Consecutive failed calls that open the circuit. */
  failures: number;
  /** How long an open circuit refuses calls before letting one trial call through (half-open). */
  halfOpenMs: number;
  /** Each failed trial doubles the wait, up to this; a successful one closes the circuit. */
  maxHalfOpenMs: number;
}

export interface CircuitBreakerSettings extends BreakerOptions {
  /** What the circuit stands in front of, as the log lines name it: `the land backend`, `the land subgraph`. */
  hop: 'backend' | 'subgraph';
  /** Whether a refused call's message tells the client that the circuit is open (else only its `reason` does). */
  explainRefusals?: boolean;
}

/** A call an open or half-open circuit refused without making it. */
export class CircuitRefusal extends SystemError {}

/**
 * One circuit breaker in front of one hop to a system (a subgraph's to its backend, the gateway's
 * to a subgraph), on cockatiel: consecutive failures open it; after the half-open wait one trial
 * call goes through, and its outcome closes or reopens it. What counts as a failure is the same for
 * both hops: a system that cannot answer (refused or dropped connections, server errors, timeouts at
 * its own deadline), never an answer that breaks the contract nor a call cut short by its caller's
 * deadline (see `countsAgainstSystem`).
 */
export class CircuitBreaker {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly consecutiveFailures: ConsecutiveBreaker;
  /** Caller-deadline timeouts of trial calls, which the circuit counts as failures. */
  private readonly trialTimeouts = new WeakSet<Error>();
  private refused = 0;

  constructor(
    readonly system: SystemId,
    private readonly settings: CircuitBreakerSettings,
    logger?: Logger,
  ) {
    this.consecutiveFailures = new ConsecutiveBreaker(settings.failures);
    // A trial call cut short by its caller's deadline has not shown the system to be back: it counts
    // as a failure (cockatiel would otherwise take it as a success and close the circuit).
    const counts = (error: Error) => countsAgainstSystem(error) || this.trialTimeouts.has(error);
    this.breaker = circuitBreaker(handleWhen(counts), {
      halfOpenAfter: new ExponentialBackoff({
        generator: noJitterGenerator,
        initialDelay: settings.halfOpenMs,
        maxDelay: Math.max(settings.halfOpenMs, settings.maxHalfOpenMs),
      }),
      breaker: this.consecutiveFailures,
    });
    // Operators learn of an outage and of the recovery from one line each, not from every failed call.
    if (logger) {
      const { hop } = settings;
      this.breaker.onBreak((cause) => {
        const error = 'error' in cause ? cause.error : undefined;
        const lastFailure = error instanceof SystemError ? error.reason : undefined;
        logger.warn({ system, hop, circuit: 'OPEN', lastFailure }, `circuit to the ${system} ${hop} opened: calls fail at once until a trial call succeeds`);
      });
      this.breaker.onHalfOpen(() => logger.info({ system, hop, circuit: 'HALF_OPEN' }, `circuit to the ${system} ${hop} half-open: one trial call`));
      this.breaker.onReset(() => logger.warn({ system, hop, circuit: 'CLOSED' }, `circuit to the ${system} ${hop} closed: calls go through again`));
    }
  }

  get state(): CircuitStateName {
    return stateNames[this.breaker.state];
  }

  /** Calls refused without trying because the circuit was open or half-open. */
  get refusedByOpenCircuit(): number {
    return this.refused;
  }

  /** Read afresh each time: the circuit moves while a call is being started. */
  private circuitState(): CircuitState {
    return this.breaker.state;
  }

  /**
   * One call through the circuit: refused at once (a CircuitRefusal, `attempt` not called) while the
   * circuit is open or a trial is under way; otherwise made, and its outcome counted.
   */
  async run<T>(attempt: () => Promise<T>): Promise<T> {
    // cockatiel makes calls that arrive during a trial wait for it, past their own deadlines: while a
    // trial is under way every other call fails at once instead.
    if (this.breaker.state === CircuitState.HalfOpen) throw this.refuse('HALF_OPEN');
    // Whether this call is the trial is known once execute() has started it: cockatiel moves an
    // open circuit whose wait is over to half-open synchronously, as it starts the trial.
    let trial = false;
    const run = () =>
      attempt().catch((error: unknown) => {
        if (trial && error instanceof SystemError && error.callerDeadline) this.trialTimeouts.add(error);
        throw error;
      });
    const stateBefore = this.circuitState();
    const pending = this.breaker.execute(run);
    trial = stateBefore === CircuitState.Open && this.circuitState() === CircuitState.HalfOpen;
    try {
      return await pending;
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.refuse('OPEN');
      if (trial) this.afterTrial(error);
      throw error;
    }
  }

  /**
   * A health probe, never refused. While the circuit is closed, or open and still waiting, the probe
   * goes around it and does not move it (a healthy health endpoint says little about the data
   * endpoints). Once an open circuit's wait is over, the probe is its trial call: otherwise a circuit
   * opened at night would stay open, and the system reported degraded, until the first client call
   * of the morning.
   */
  async probe<T>(once: () => Promise<T>): Promise<T> {
    if (this.breaker.state !== CircuitState.Open) return once();
    try {
      return await this.breaker.execute(once);
    } catch (error) {
      // Still waiting: the probe goes around the circuit.
      if (error instanceof BrokenCircuitError) return once();
      this.afterTrial(error);
      throw error;
    }
  }

  /**
   * A trial answered, if not well: cockatiel closes the circuit but leaves the failure count where
   * it was, one failure short of opening again. Start the count afresh.
   */
  private afterTrial(error: unknown): void {
    if (error instanceof SystemError && error.systemCode === SystemErrorCode.BAD_RESPONSE) this.consecutiveFailures.success();
  }

  private refuse(state: keyof typeof CIRCUIT_WORDS): CircuitRefusal {
    this.refused += 1;
    const reason = state === 'OPEN' ? 'circuit open' : 'circuit half-open';
    return new CircuitRefusal(this.system, SystemErrorCode.UNAVAILABLE, `${reason}: call refused without trying`, {
      reason,
      ...(this.settings.explainRefusals ? { note: CIRCUIT_WORDS[state] } : {}),
    });
  }
}

export class BackendResilience {
  private readonly breaker: CircuitBreaker;
  private readonly budget = new RetryBudget();
  private calls = 0;
  private failedCalls = 0;
  private retries = 0;
  private lastSuccessAt: Date | null = null;
  private recentFailures: RecordedFailure[] = [];
  private lastProbe: BackendHealth['lastProbe'] = null;

  constructor(
    readonly system: SystemId,
    private readonly options: ResilienceOptions = DEFAULT_RESILIENCE,
    logger?: Logger,
  ) {
    this.breaker = new CircuitBreaker(
      system,
      { hop: 'backend', failures: options.breakerFailures, halfOpenMs: options.breakerHalfOpenMs, maxHalfOpenMs: options.breakerMaxHalfOpenMs },
      logger,
    );
  }

  get circuit(): CircuitStateName {
    return this.breaker.state;
  }

  /**
   * Runs one backend call: each attempt goes through the circuit breaker and gets what is left of
   * the deadline; a failed idempotent read is retried while the failure is transient, the budget
   * allows, and enough time is left.
   */
  async execute<T>(attempt: (budget: AttemptBudget) => Promise<T>, options: ExecuteOptions): Promise<T> {
    this.calls += 1;
    const ownDeadlineAt = Date.now() + options.timeoutMs;
    const callerBound = options.callerDeadlineAt !== undefined && options.callerDeadlineAt < ownDeadlineAt;
    const deadlineAt = callerBound ? options.callerDeadlineAt! : ownDeadlineAt;
    const shortBudget = Math.min(options.timeoutMs, this.options.meaningfulBudgetMs ?? MEANINGFUL_BUDGET_MS);
    const guarded = () => {
      const remaining = deadlineAt - Date.now();
      return this.attemptThroughBreaker(attempt, { timeoutMs: remaining, short: callerBound && remaining < shortBudget });
    };
    try {
      if (!options.idempotent || this.options.retries === 0) return await guarded();
      const policy = retry(
        handleWhen(
          (error) => error instanceof SystemError && error.retryable && deadlineAt - Date.now() > this.options.retryMaxDelayMs + MIN_ATTEMPT_MS && this.budget.allowsRetry(),
        ),
        {
          maxAttempts: this.options.retries,
          backoff: new ExponentialBackoff({ initialDelay: this.options.retryBaseDelayMs, maxDelay: this.options.retryMaxDelayMs }),
        },
      );
      policy.onRetry(() => (this.retries += 1));
      return await policy.execute(guarded);
    } catch (error) {
      this.failedCalls += 1;
      throw error;
    }
  }

  /** A health probe (`GET /v1/health`): one attempt, never refused by the circuit (CircuitBreaker.probe), kept as `lastProbe`. */
  async probe<T>(attempt: (budget: AttemptBudget) => Promise<T>, timeoutMs: number): Promise<T> {
    const at = new Date().toISOString();
    try {
      const result = await this.breaker.probe(() => attempt({ timeoutMs, short: false }));
      this.lastProbe = { at, ok: true };
      return result;
    } catch (error) {
      this.lastProbe = error instanceof SystemError ? { at, ok: false, code: error.systemCode, reason: error.reason } : { at, ok: false };
      throw error;
    }
  }

  health(): BackendHealth {
    const [lastFailure] = this.recentFailures;
    return {
      system: this.system,
      circuit: this.circuit,
      calls: this.calls,
      failedCalls: this.failedCalls,
      retries: this.retries,
      refusedByOpenCircuit: this.breaker.refusedByOpenCircuit,
      retryBudget: { tokens: this.budget.available, maxTokens: this.budget.maxTokens },
      lastSuccessAt: this.lastSuccessAt?.toISOString() ?? null,
      lastFailure: lastFailure ?? null,
      lastProbe: this.lastProbe,
      recentFailures: [...this.recentFailures],
    };
  }

  private async attemptThroughBreaker<T>(attempt: (budget: AttemptBudget) => Promise<T>, budget: AttemptBudget): Promise<T> {
    if (budget.timeoutMs <= 0) {
      throw new SystemError(this.system, SystemErrorCode.TIMEOUT, 'no time left before the deadline', {
        reason: 'deadline exhausted before the call',
        callerDeadline: true,
      });
    }
    try {
      const result = await this.breaker.run(() => attempt(budget));
      this.lastSuccessAt = new Date();
      this.budget.recordSuccess();
      return result;
    } catch (error) {
      if (error instanceof CircuitRefusal) throw error;
      if (error instanceof SystemError) {
        this.budget.recordFailure();
        // A call its caller's deadline cut short says nothing about the backend (see MEANINGFUL_BUDGET_MS).
        if (error.callerDeadline) throw error;
        this.recentFailures = [{ at: new Date().toISOString(), code: error.systemCode, reason: error.reason }, ...this.recentFailures].slice(0, RECENT_FAILURES);
      }
      throw error;
    }
  }
}

/**
 * The circuit protects against a system that cannot answer: refused or dropped connections, server
 * errors, timeouts. An answer that breaks the contract is about that answer's data (one bad record
 * must not cut off every citizen; a trial call that gets one has reached a system that answers, and
 * closes the circuit), and a call cut short by the caller's own deadline says nothing about the
 * system: neither opens the circuit.
 */
function countsAgainstSystem(error: Error): boolean {
  return error instanceof SystemError && error.systemCode !== SystemErrorCode.BAD_RESPONSE && !error.callerDeadline;
}
