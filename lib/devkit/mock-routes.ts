import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ZodType } from 'zod';
import { readRequest, type BodyRead, type MockReply } from './mock-handlers.ts';

/**
 * A mock backend's routes: method + path pattern → handler, a plain table matched in order (the
 * first route that matches answers). A pattern is parsed once, when the route is declared; a request
 * is matched by comparing its path's segments, no regular expression.
 *
 * Patterns: `/v1/citizens/batch-get` (exact segments), `/v1/citizens/:personalId` (a `:name`
 * segment matches any one non-empty segment, given to the handler in `params`), `*` (any path).
 * Literal segments match whatever their case, one trailing slash is ignored, and a route answers
 * under any path prefix (`/api/v1/health` too), as a backend mounted under a base path would:
 * the subgraphs' `<PREFIX>_BACKEND_URL` may carry one.
 */

/** A request as the server read it, before it is matched to a route. */
export interface IncomingMockRequest {
  method: string;
  /** The URL's path, normalised as WHATWG URL does (dot segments resolved), without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface MockRequest extends IncomingMockRequest {
  params: Readonly<Record<string, string>>;
  /** The body as JSON validated by `schema`, or the backend's 400 reply. */
  json<T>(schema: ZodType<T>): BodyRead<T>;
}

export type { MockReply } from './mock-handlers.ts';

export type MockHandler = (request: MockRequest) => MockReply | Promise<MockReply>;

type Segment = { literal: string } | { param: string };

export interface MockRoute {
  /** An HTTP method in upper case, or `*` for any. */
  readonly method: string;
  readonly pattern: string;
  /** `undefined` for the pattern `*`, which matches any path. */
  readonly segments: readonly Segment[] | undefined;
  readonly handler: MockHandler;
}

function parsePattern(pattern: string): readonly Segment[] | undefined {
  if (pattern === '*') return undefined;
  if (!pattern.startsWith('/')) throw new Error(`route pattern ${pattern} must start with /`);
  return pattern
    .slice(1)
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        if (segment.length === 1) throw new Error(`route pattern ${pattern} has an unnamed parameter`);
        return { param: segment.slice(1) };
      }
      if (segment === '' || segment.includes('*')) throw new Error(`route pattern ${pattern}: only a whole pattern may be *, and no segment may be empty`);
      return { literal: segment.toLowerCase() };
    });
}

const declare =
  (method: string) =>
  (pattern: string, handler: MockHandler): MockRoute => ({
    method,
    pattern,
    segments: parsePattern(pattern),
    handler,
  });

export const route = {
  get: declare('GET'),
  post: declare('POST'),
  put: declare('PUT'),
  delete: declare('DELETE'),
  any: declare('*'),
};

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The params of `path` matched against a route's segments (its last segments, after any prefix), or undefined. */
function matchSegments(segments: readonly Segment[], pathSegments: readonly string[]): Record<string, string> | undefined {
  const offset = pathSegments.length - segments.length;
  if (offset < 0) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = segments.length - 1; i >= 0; i -= 1) {
    const segment = segments[i]!;
    const value = pathSegments[offset + i]!;
    if ('literal' in segment) {
      if (value.length !== segment.literal.length || value.toLowerCase() !== segment.literal) return undefined;
    } else {
      if (value === '') return undefined;
      params ??= {};
      params[segment.param] = decodeSegment(value);
    }
  }
  return params ?? NO_PARAMS;
}

export function matchRoute(routes: readonly MockRoute[], method: string, path: string): { route: MockRoute; params: Readonly<Record<string, string>> } | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const pathSegments = trimmed.slice(1).split('/');
  for (const candidate of routes) {
    if (candidate.method !== method && candidate.method !== '*') continue;
    if (candidate.segments === undefined) return { route: candidate, params: NO_PARAMS };
    const params = matchSegments(candidate.segments, pathSegments);
    if (params) return { route: candidate, params };
  }
  return undefined;
}

/** The reply of the first route matching `request`, or undefined when none does. */
export async function respond(routes: readonly MockRoute[], request: IncomingMockRequest): Promise<MockReply | undefined> {
  const matched = matchRoute(routes, request.method, request.path);
  if (!matched) return undefined;
  return matched.route.handler({ ...request, params: matched.params, json: (schema) => readRequest(request.body, schema) });
}

export const NO_BODY = Buffer.alloc(0);

/** The bytes a reply sends. */
export function payloadOf(reply: MockReply): Buffer {
  if (reply.body !== undefined) return typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  const text: string | undefined = JSON.stringify(reply.json);
  return text === undefined ? NO_BODY : Buffer.from(text);
}

/**
 * How long the mock backends let a cache keep reference data (`Cache-Control: public, max-age`):
 * province lists and digitisation figures change only when a report is published, and a minute
 * bounds how late a new one shows.
 */
export const REFERENCE_DATA_MAX_AGE_SECONDS = 60;
/** The header that lets any cache, shared ones too, keep an answer for `maxAgeSeconds`. */
const publicCaching = (maxAgeSeconds: number) => ({ 'cache-control': `public, max-age=${String(maxAgeSeconds)}` });
/** The caching header of a reference answer that has no `ETag` to revalidate with (a `POST` batch read). */
export const REFERENCE_DATA_CACHING = publicCaching(REFERENCE_DATA_MAX_AGE_SECONDS);

/**
 * A handler for reference data that HTTP caches may keep (RFC 9111): serialised once, with a strong
 * `ETag` (a hash of those bytes) and `cache-control: public, max-age=<maxAgeSeconds>`, and
 * `304 Not Modified`, without a body, to a request whose `If-None-Match` names that tag.
 */
export function cacheableAnswer(answer: unknown, maxAgeSeconds: number): MockHandler {
  const body = Buffer.from(JSON.stringify(answer));
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  const caching = { ...publicCaching(maxAgeSeconds), etag };
  const fresh: MockReply = { status: 200, body, headers: { 'content-type': 'application/json', ...caching } };
  const notModified: MockReply = { status: 304, headers: caching };
  return ({ headers }) => (noneMatchNames(headers['if-none-match'], etag) ? notModified : fresh);
}

/**
 * Whether an `If-None-Match` field names `etag` (RFC 9110 §13.1.2): `*`, or a list of entity tags
 * compared weakly, so `W/"x"` names `"x"`.
 */
export function noneMatchNames(field: string | undefined, etag: string): boolean {
  if (field === undefined) return false;
  if (field.trim() === '*') return true;
  return field.split(',').some((candidate) => {
    const tag = candidate.trim();
    return (tag.startsWith('W/') ? tag.slice(2) : tag) === etag;
  });
}
