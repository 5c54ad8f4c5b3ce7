import { cacheStores, interceptors, Pool, type Dispatcher } from 'undici';
import type { ZodType } from 'zod';
import { describeIssues } from './contract-issues.ts';
import { SystemError, SystemErrorCode, type SystemErrorFacts } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { BackendCallMetrics } from '../runtime/metrics.ts';
import { BackendResilience, CircuitRefusal, DEFAULT_RESILIENCE, type AttemptBudget, type BackendHealth, type ResilienceOptions } from '../runtime/resilience.ts';
import { sharedFreshnessSeconds, type AnswerFreshness } from '../runtime/http-caching.ts';
import type { SystemId } from '../runtime/systems.ts';
import {
  CallDeadline,
  classifyHttpStatus,
  classifyTransportError,
  closeDispatcher,
  describeTransportError,
  drainLimited,
  MAX_BACKEND_ANSWER_BYTES,
  readLimited,
} from '../runtime/transport.ts';

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
  /**
   * Answers kept in an HTTP cache (RFC 9111, undici's cache interceptor) when the backend marks them
   * cacheable: for reference data. 0 or unset: no cache. Only GET answers are stored, health probes
   * never read or fill it.
   */
  cacheEntries?: number;
}

/** What a call carries from the request that caused it. */
export interface CallContext {
  requestId?: string;
  /** The caller's own deadline (ms since epoch), e.g. what is left of the gateway's budget. */
  deadlineAt?: number;
  /** Told the freshness of every answer the call gets, for the freshness of the answer built from them. */
  freshness?: AnswerFreshness;
}

export interface CallOptions extends CallContext {
  /** A read that is safe to send twice; only these are retried. GET is always idempotent. */
  idempotent?: boolean;
  /** A health probe: one attempt that bypasses the circuit breaker (see BackendResilience.probe). */
  probe?: boolean;
}

/**
 * The one way adapters talk HTTP to a backend: a keep-alive undici Pool, a deadline per call,
 * retries of idempotent reads and a circuit breaker (lib/runtime/resilience.ts), JSON validated by a zod
 * schema where it enters, and every failure turned into a SystemError that names the system and
 * carries nothing internal.
 */
export class BackendClient {
  readonly system: SystemId;
  private readonly pool: Pool;
  private readonly origin: string;
  private readonly pathPrefix: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly logger: Logger | undefined;
  private readonly resilience: BackendResilience;
  private readonly metrics: BackendCallMetrics | undefined;
  /** The pool, behind the HTTP cache when there is one. */
  private readonly dispatcher: Dispatcher;
  /** With a cache: calls whose request reached the backend, by call number (see `NETWORK_MARK_HEADER`). */
  private readonly reachedBackend = new Set<string>();
  private callNumber = 0;
  /**
   * With a cache: the last answer validated for each path, by its strong ETag. A strong ETag names one
   * representation byte for byte, so an answer with the same one (from the cache, or revalidated) is
   * the same JSON: it is not parsed and validated again, and adapters can keep what they derive from it.
   */
  private readonly validatedByPath = new Map<string, { etag: string; schema: ZodType<unknown>; value: unknown }>();

  constructor(options: BackendClientOptions) {
    const url = new URL(options.baseUrl);
    this.system = options.system;
    this.origin = url.origin;
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
    const cacheEntries = options.cacheEntries ?? 0;
    this.dispatcher =
      cacheEntries > 0
        ? this.pool.compose(
            markRequestsThatReachTheBackend(this.reachedBackend),
            interceptors.cache({ store: new cacheStores.MemoryCacheStore({ maxCount: cacheEntries }), methods: ['GET'], type: 'shared' }),
          )
        : this.pool;
  }

  private get cached(): boolean {
    return this.dispatcher !== this.pool;
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

  private async call<T>(method: 'GET' | 'POST', path: string, body: string | undefined, schema: ZodType<T>, options: CallOptions): Promise<T> {
    const attempt = (budget: AttemptBudget) => this.attempt(method, path, body, schema, options, budget);
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
    { requestId, probe, freshness }: CallOptions,
    budget: AttemptBudget,
  ): Promise<T> {
    const { timeoutMs } = budget;
    const fullPath = `${this.pathPrefix}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (requestId) headers['x-request-id'] = requestId;
    // A probe asks the backend itself, never the cache (RFC 9111 §5.2.1.5: no-store).
    if (probe) headers['cache-control'] = 'no-store';
    const mark = this.cached && !probe ? String(++this.callNumber) : undefined;
    if (mark) headers[NETWORK_MARK_HEADER] = mark;
    let text: string;
    let statusCode: number;
    let etag: string | undefined;
    let freshSeconds: number | undefined;
    const deadline = new CallDeadline(timeoutMs);
    try {
      const response = await this.dispatcher.request({ origin: this.origin, method, path: fullPath, headers, body, signal: deadline.signal });
      statusCode = response.statusCode;
      etag = typeof response.headers.etag === 'string' && response.headers.etag.startsWith('"') ? response.headers.etag : undefined;
      if (freshness) freshSeconds = sharedFreshnessSeconds(response.headers['cache-control'], response.headers.age);
      const known = statusCode === 200 && etag !== undefined ? this.validatedByPath.get(fullPath) : undefined;
      if (known && known.etag === etag && known.schema === schema) {
        // The same representation as one already validated: read to the end (a cut answer still
        // fails), but neither decoded nor parsed again.
        await drainLimited(response.body, this.maxResponseBytes);
        this.countIfFromCache(mark);
        freshness?.observe(freshSeconds);
        return known.value as T;
      }
      text = await readLimited(response.body, this.maxResponseBytes);
      this.countIfFromCache(mark);
    } catch (error) {
      if (mark) this.reachedBackend.delete(mark);
      const failure = classifyTransportError(error);
      throw this.fail(failure.code, `${method} ${fullPath}: ${describeTransportError(error)}`, {
        reason: failure.code === SystemErrorCode.TIMEOUT ? `no answer within ${timeoutMs} ms` : failure.reason,
        retryable: failure.retryable,
        callerDeadline: budget.short && failure.code === SystemErrorCode.TIMEOUT,
      });
    } finally {
      deadline.end();
    }
    if (statusCode < 200 || statusCode >= 300) {
      const failure = classifyHttpStatus(statusCode);
      throw this.fail(failure.code, `${method} ${fullPath}: ${failure.reason}`, { reason: failure.reason, retryable: failure.retryable });
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
    if (this.cached && etag !== undefined && method === 'GET') this.rememberValidated(fullPath, { etag, schema, value: parsed.data });
    freshness?.observe(freshSeconds);
    return parsed.data;
  }

  /** A call whose request never reached the backend was answered by the cache alone. */
  private countIfFromCache(mark: string | undefined): void {
    if (mark && !this.reachedBackend.delete(mark)) this.metrics?.observeCacheAnswer(this.system);
  }

  private rememberValidated(path: string, answer: { etag: string; schema: ZodType<unknown>; value: unknown }): void {
    this.validatedByPath.delete(path);
    if (this.validatedByPath.size >= MAX_VALIDATED_PATHS) this.validatedByPath.delete(this.validatedByPath.keys().next().value!);
    this.validatedByPath.set(path, answer);
  }

  private fail(code: SystemErrorCode, detail: string, facts: SystemErrorFacts): SystemError {
    this.logger?.warn({ system: this.system, code, detail }, 'backend call failed');
    return new SystemError(this.system, code, detail, facts);
  }
}

/** Paths whose last validated answer is kept (least recently validated dropped first). */
const MAX_VALIDATED_PATHS = 256;

/**
 * A request header that numbers a call for the interceptor below the cache, which removes it before
 * the request leaves: a call whose number it never saw was answered by the cache alone.
 */
const NETWORK_MARK_HEADER = 'x-lien-thong-call';

function markRequestsThatReachTheBackend(reached: Set<string>): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    const headers = options.headers as Record<string, string | string[] | undefined> | undefined;
    const mark = headers?.[NETWORK_MARK_HEADER];
    if (typeof mark !== 'string') return dispatch(options, handler);
    reached.add(mark);
    const { [NETWORK_MARK_HEADER]: _mark, ...forwarded } = headers!;
    return dispatch({ ...options, headers: forwarded }, handler);
  };
}
