import { Pool } from 'undici';
import type { ZodType } from 'zod';
import { SystemError, SystemErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import type { SystemId } from './systems.ts';
import { classifyTransportError, readLimited } from './transport.ts';

export interface BackendClientOptions {
  system: SystemId;
  /** Base URL of the backend, e.g. http://127.0.0.1:4101. Only its origin and path prefix are used. */
  baseUrl: string;
  /** Deadline for one backend call, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** Keep-alive connections kept open to the backend. */
  connections?: number;
  /** Answers larger than this are refused as a broken contract. */
  maxResponseBytes?: number;
  logger?: Logger;
}

export interface CallOptions {
  requestId?: string;
}

/**
 * The one way adapters talk HTTP to a backend: a keep-alive undici Pool, a deadline per call,
 * JSON validated by a zod schema where it enters, and every failure turned into a SystemError
 * that names the system and carries nothing internal.
 */
export class BackendClient {
  readonly system: SystemId;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly logger: Logger | undefined;

  constructor(options: BackendClientOptions) {
    const url = new URL(options.baseUrl);
    this.system = options.system;
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
    this.logger = options.logger;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      connectTimeout: options.timeoutMs,
    });
  }

  get<T>(path: string, schema: ZodType<T>, options: CallOptions = {}): Promise<T> {
    return this.call('GET', path, undefined, schema, options);
  }

  post<T>(path: string, body: unknown, schema: ZodType<T>, options: CallOptions = {}): Promise<T> {
    return this.call('POST', path, JSON.stringify(body), schema, options);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    schema: ZodType<T>,
    options: CallOptions,
  ): Promise<T> {
    const fullPath = `${this.pathPrefix}${path}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.requestId) headers['x-request-id'] = options.requestId;
    let text: string;
    let statusCode: number;
    try {
      const response = await this.pool.request({ method, path: fullPath, headers, body, signal });
      statusCode = response.statusCode;
      text = await readLimited(response.body, this.maxResponseBytes);
    } catch (error) {
      throw this.fail(classifyTransportError(error), `${method} ${fullPath}: ${describeError(error)}`);
    }
    if (statusCode < 200 || statusCode >= 300) {
      const code = statusCode >= 500 || statusCode === 429 ? SystemErrorCode.UNAVAILABLE : SystemErrorCode.BAD_RESPONSE;
      throw this.fail(code, `${method} ${fullPath}: HTTP ${statusCode}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.fail(SystemErrorCode.BAD_RESPONSE, `${method} ${fullPath}: answer is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
      throw this.fail(SystemErrorCode.BAD_RESPONSE, `${method} ${fullPath}: answer breaks the contract (${issues.join('; ')})`);
    }
    return parsed.data;
  }

  private fail(code: SystemErrorCode, detail: string): SystemError {
    this.logger?.warn({ system: this.system, code, detail }, 'backend call failed');
    return new SystemError(this.system, code, detail);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
