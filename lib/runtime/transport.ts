import { errors as undiciErrors, type Dispatcher } from 'undici';
import { SystemErrorCode } from './errors.ts';

/**
 * What every HTTP hop (gateway → subgraph, subgraph → backend) shares: reading an answer with a
 * size bound, and naming a failed call with one of the stable system error codes.
 */
/** Answers larger than this are refused as a broken contract, by the adapters and by connection tests. */
export const MAX_BACKEND_ANSWER_BYTES = 8 * 1024 * 1024;

/** Milliseconds as reported (latency, timings): to a tenth. */
export const roundMs = (ms: number): number => Math.round(ms * 10) / 10;

export class ResponseTooLarge extends Error {
  override readonly name = 'ResponseTooLarge';
}

export async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new ResponseTooLarge(`answer larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a body to its end, with the same bound and errors as `readLimited`, keeping nothing (an answer already known). */
export async function drainLimited(body: AsyncIterable<Buffer>, limit: number): Promise<void> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new ResponseTooLarge(`answer larger than ${limit} bytes`);
  }
}

/**
 * Aborts a call at its deadline, like `AbortSignal.timeout`, with the same `TimeoutError`; `end()`
 * once the call is over (answer read or failed) drops the timer. `AbortSignal.timeout`'s timer runs
 * to the deadline even after the call has ended and then builds a `DOMException` with its stack for
 * nobody: 0.9 % of the gateway's CPU in the profile of the portal query (docs/BENCHMARKS.md).
 */
export class CallDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => this.controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  end(): void {
    clearTimeout(this.timer);
  }
}

/** The JSON in a body, or undefined when it is not JSON (for answers validated right after). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface TransportFailure {
  code: SystemErrorCode;
  /** Short cause, safe to show: no address, no body. */
  reason: string;
  /** Transient: the same idempotent request may succeed if sent again. */
  retryable: boolean;
}

/**
 * A failed call: too large an answer breaks the contract; a deadline is a timeout; a refused,
 * reset or closed connection (including one closed in the middle of an answer) is unavailable,
 * and worth one more try.
 */
export function classifyTransportError(error: unknown): TransportFailure {
  if (error instanceof ResponseTooLarge) return { code: SystemErrorCode.BAD_RESPONSE, reason: 'answer too large', retryable: false };
  if (
    // A CallDeadline (or AbortSignal.timeout) aborts with a DOMException named TimeoutError.
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return { code: SystemErrorCode.TIMEOUT, reason: 'no answer before the deadline', retryable: false };
  }
  return { code: SystemErrorCode.UNAVAILABLE, reason: connectionReason(error), retryable: true };
}

/**
 * An answer whose status is not 2xx: the system's own trouble (5xx, or 429 asking to come back
 * later) or a call it would not take (any other status). Only a gateway or load balancer in front
 * of it saying it is briefly unable to answer (502, 503, 504) is worth another try.
 */
export function classifyHttpStatus(status: number): TransportFailure {
  const serverSide = status >= 500 || status === 429;
  return {
    code: serverSide ? SystemErrorCode.UNAVAILABLE : SystemErrorCode.BAD_RESPONSE,
    reason: `HTTP ${status}`,
    retryable: status === 502 || status === 503 || status === 504,
  };
}

/** A failed call's error for the log (never for a client: the message may name the host): its code, if any, and its message. */
export function describeTransportError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}

/** Why a connection could not be made or was lost, by the code Node or undici gives (never its message, which names the host). */
const CONNECTION_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not name the host',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted (self-signed)',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted (self-signed in chain)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted (issuer unknown)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate not trusted (issuer unknown)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is the backend served over https?)',
};

function connectionReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const known = typeof code === 'string' ? CONNECTION_REASONS[code] : undefined;
  if (known) return known;
  if (error instanceof undiciErrors.ResponseContentLengthMismatchError) return 'answer cut short';
  if (error instanceof undiciErrors.SocketError) return 'connection closed by the system';
  return typeof code === 'string' ? code : 'connection failed';
}

/**
 * Closes an undici pool or agent. `close()` waits for every call in flight, which can be a whole
 * deadline; a stopping service gives them `graceMs`, then cuts them.
 */
export async function closeDispatcher(dispatcher: Dispatcher, graceMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)));
  try {
    const outcome = await Promise.race([dispatcher.close().then(() => 'closed' as const), grace]);
    if (outcome === 'grace over') await dispatcher.destroy();
  } finally {
    clearTimeout(timer);
  }
}
