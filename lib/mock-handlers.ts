import { HttpResponse } from 'msw';
import type { ZodType } from 'zod';

/** Reads and validates a mock backend's JSON request body as the real backend would (400 otherwise). */
export async function readRequest<T>(request: Request, schema: ZodType<T>): Promise<{ ok: true; body: T } | { ok: false; response: Response }> {
  let json: unknown;
  try {
    json = await request.json();
  } catch {
    return { ok: false, response: HttpResponse.json({ error: 'request body must be JSON' }, { status: 400 }) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return { ok: false, response: HttpResponse.json({ error: problems.join('; ') }, { status: 400 }) };
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
