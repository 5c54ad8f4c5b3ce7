import { Pool } from 'undici';
import type { ZodType } from 'zod';
import { describeIssues } from './contract-issues.ts';
import { SystemError, SystemErrorCode, type SystemErrorFacts } from './errors.ts';
import type { Logger } from './logger.ts';
import type { BackendCallMetrics } from './metrics.ts';
import { BackendResilience, CircuitRefusal, DEFAULT_RESILIENCE, type AttemptBudget, type BackendHealth, type ResilienceOptions } from './resilience.ts';
import type { SystemId } from './systems.ts';
import { classifyTransportError, closeDispatcher, MAX_BACKEND_ANSWER_BYTES, readLimited } from './transport.ts';

export interface BackendClientOptions {
  system: SystemId;
  /** Base URL of the backend, e.g. http://127.0.0.1:4101. Only its origin and path prefix are used. */
  baseUrl: string;
  /** Deadline for one backend call, retries included, from sending to the last byte of the answer. */
  timeoutMs: number;
  resilience?: ResilienceOptions;
  /** Keep-alive connections kept open to the backend. */
  connections?: number;
  /** Answers larger than this are refused as a broken contract. */
  maxResponseBytes?: number;
  logger?: Logger;
  /** Counts and times the calls, and reads the circuit, retries and refusals at each scrape. */
  metrics?: BackendCallMetrics;
}

/** What a call carries from the request that caused it. */
export interface CallContext {
  requestId?: string;
  /** The caller's own deadline (ms since epoch), e.g. what is left of the gateway's budget. */
  deadlineAt?: number;
}

export interface CallOptions extends CallContext {
  /** A read that is safe to send twice; only these are retried. GET is always idempotent. */
  idempotent?: boolean;
  /** A health probe: one attempt that bypasses the circuit breaker (see BackendResilience.probe). */
  probe?: boolean;
}

/**
 * The one way adapters talk HTTP to a backend: a keep-alive undici Pool, a deadline per call,
 * retries of idempotent reads and a circuit breaker (lib/resilience.ts), JSON validated by a zod
 * schema where it enters, and every failure turned into a SystemError that names the system and
 * carries nothing internal.
 */
export class BackendClient {
  readonly system: SystemId;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly logger: Logger | undefined;
  private readonly resilience: BackendResilience;
  private readonly metrics: BackendCallMetrics | undefined;

  constructor(options: BackendClientOptions) {
    const url = new URL(options.baseUrl);
    this.system = options.system;
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_BACKEND_ANSWER_BYTES;
    this.logger = options.logger;
    this.resilience = new BackendResilience(options.system, options.resilience ?? DEFAULT_RESILIENCE, options.logger);
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      connectTimeout: options.timeoutMs,
    });
    this.metrics = options.metrics;
    this.metrics?.watch(this);
  }

  get<T>(path: string, schema: ZodType<T>, options: CallContext & Pick<CallOptions, 'probe'> = {}): Promise<T> {
    return this.call('GET', path, undefined, schema, { ...options, idempotent: true });
  }

  post<T>(path: string, body: unknown, schema: ZodType<T>, options: CallOptions = {}): Promise<T> {
    return this.call('POST', path, JSON.stringify(body), schema, options);
  }

  /** Circuit state and recent outcomes of calls to this backend. */
  health(): BackendHealth {
    return this.resilience.health();
  }

  close(): Promise<void> {
    return closeDispatcher(this.pool);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    schema: ZodType<T>,
    options: CallOptions,
  ): Promise<T> {
    const attempt = (budget: AttemptBudget) => this.attempt(method, path, body, schema, options.requestId, budget);
    if (options.probe) {
      const timeoutMs = Math.min(this.timeoutMs, (options.deadlineAt ?? Infinity) - Date.now());
      return this.resilience.probe(attempt, timeoutMs);
    }
    const executed = this.resilience.execute(attempt, {
      idempotent: options.idempotent ?? false,
      timeoutMs: this.timeoutMs,
      callerDeadlineAt: options.deadlineAt,
    });
    return this.metrics ? this.measured(executed, this.metrics) : executed;
  }

  private async measured<T>(call: Promise<T>, metrics: BackendCallMetrics): Promise<T> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await call;
      metrics.observe(this.system, 'ok', seconds());
      return result;
    } catch (error) {
      metrics.observe(this.system, error instanceof CircuitRefusal ? 'refused' : 'failed', seconds());
      throw error;
    }
  }

  private async attempt<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    schema: ZodType<T>,
    requestId: string | undefined,
    budget: AttemptBudget,
  ): Promise<T> {
    const { timeoutMs } = budget;
    const fullPath = `${this.pathPrefix}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (requestId) headers['x-request-id'] = requestId;
    let text: string;
    let statusCode: number;
    try {
      const response = await this.pool.request({ method, path: fullPath, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      statusCode = response.statusCode;
      text = await readLimited(response.body, this.maxResponseBytes);
    } catch (error) {
      const failure = classifyTransportError(error);
      throw this.fail(failure.code, `${method} ${fullPath}: ${describeError(error)}`, {
        reason: failure.code === SystemErrorCode.TIMEOUT ? `no answer within ${timeoutMs} ms` : failure.reason,
        retryable: failure.retryable,
        callerDeadline: budget.short && failure.code === SystemErrorCode.TIMEOUT,
      });
    }
    if (statusCode < 200 || statusCode >= 300) {
      const serverSide = statusCode >= 500 || statusCode === 429;
      throw this.fail(serverSide ? SystemErrorCode.UNAVAILABLE : SystemErrorCode.BAD_RESPONSE, `${method} ${fullPath}: HTTP ${statusCode}`, {
        reason: `HTTP ${statusCode}`,
        // A gateway or load balancer in front of the system says it is briefly unable to answer.
        retryable: statusCode === 502 || statusCode === 503 || statusCode === 504,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.fail(SystemErrorCode.BAD_RESPONSE, `${method} ${fullPath}: answer is not JSON`, { reason: 'answer is not JSON' });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      // The reason reaches `/ready`, `connections` and the status page: no text of the answer in it.
      const reason = describeIssues(parsed.error.issues, json);
      throw this.fail(SystemErrorCode.BAD_RESPONSE, `${method} ${fullPath}: ${reason}`, { reason });
    }
    return parsed.data;
  }

  private fail(code: SystemErrorCode, detail: string, facts: SystemErrorFacts): SystemError {
    this.logger?.warn({ system: this.system, code, detail }, 'backend call failed');
    return new SystemError(this.system, code, detail, facts);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
