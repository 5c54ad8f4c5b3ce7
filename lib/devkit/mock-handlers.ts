import type { ZodType } from 'zod';

/** A mock backend's answer (lib/devkit/mock-routes.ts); declared here, as the routes read bodies with `readRequest`. */
export interface MockReply {
  status: number;
  /** Serialised with JSON.stringify; `undefined` sends an empty body. */
  json?: unknown;
  /** An answer already serialised (e.g. once at start-up); sent as is, in place of `json`. */
  body?: string | Buffer;
  /** Sent after the defaults (`content-type: application/json` unless the status has no body). */
  headers?: Readonly<Record<Lowercase<string>, string>>;
}

export type BodyRead<T> = { ok: true; body: T } | { ok: false; reply: MockReply };

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Reads and validates a mock backend's JSON request body as the real backend would (400 otherwise). */
export function readRequest<T>(body: Buffer, schema: ZodType<T>): BodyRead<T> {
  let json: unknown;
  try {
    // A UTF-8 byte order mark is dropped, as the fetch API's `request.json()` drops it.
    json = JSON.parse((body.subarray(0, 3).equals(UTF8_BOM) ? body.subarray(3) : body).toString('utf8'));
  } catch {
    return { ok: false, reply: { status: 400, json: { error: 'request body must be JSON' } } };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return { ok: false, reply: { status: 400, json: { error: problems.join('; ') } } };
  }
  return { ok: true, body: parsed.data };
}

/** Splits requested keys into what a lookup found and what it did not, the shape of every batch endpoint. */
export function partition<K, V>(keys: readonly K[], lookup: (key: K) => V | undefined): { found: V[]; notFound: K[] } {
  const found: V[] = [];
  const notFound: K[] = [];
  for (const key of keys) {
    const value = lookup(key);
    if (value === undefined) notFound.push(key);
    else found.push(value);
  }
  return { found, notFound };
}
