import { errors as undiciErrors } from 'undici';
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

/** A failed call: too large an answer breaks the contract; a deadline is a timeout; anything else, unavailable. */
export function classifyTransportError(error: unknown): SystemErrorCode {
  if (error instanceof ResponseTooLarge) return SystemErrorCode.BAD_RESPONSE;
  if (
    // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return SystemErrorCode.TIMEOUT;
  }
  return SystemErrorCode.UNAVAILABLE;
}
