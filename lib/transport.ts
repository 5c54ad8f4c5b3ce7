import { errors as undiciErrors, type Dispatcher } from 'undici';
import { SystemErrorCode } from './errors.ts';

/**
 * What every HTTP hop (gateway → subgraph, subgraph → backend) shares: reading an answer with a
 * size bound, and naming a failed call with one of the stable system error codes.
 */
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
    // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return { code: SystemErrorCode.TIMEOUT, reason: 'no answer before the deadline', retryable: false };
  }
  return { code: SystemErrorCode.UNAVAILABLE, reason: connectionReason(error), retryable: true };
}

function connectionReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
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
