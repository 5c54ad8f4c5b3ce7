import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import bodyParser from 'body-parser';
import cors from 'cors';
import type { Logger } from './logger.ts';
import { mediaTypeOf } from './media-type.ts';
import { currentRequestContext, runWithRequestContext, type RequestContext } from './request-context.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  [detail: string]: unknown;
}

/**
 * Answers one GraphQL request, its JSON body already parsed: Apollo Server in the gateway
 * (lib/runtime/apollo-answer.ts), graphql-http in the subgraphs (lib/runtime/subgraph-graphql.ts).
 * `extraHeaders` are set after the answer's own.
 */
export type GraphQLAnswer<TContext> = (
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  context: () => Promise<TContext>,
  extraHeaders: Record<string, string>,
) => Promise<void>;

export interface GraphQLHttpServerOptions<TContext extends object> {
  answer: GraphQLAnswer<TContext>;
  /** Builds the per-request context (DataLoaders live here, so they never outlive a request). */
  context: (req: IncomingMessage, requestId: string) => Promise<TContext>;
  logger: Logger;
  /** `/ready`: can this process answer? Liveness (`/health`) needs no callback. */
  readiness: (req: IncomingMessage) => Promise<ReadinessReport>;
  /** Extra GET routes, e.g. a status page. */
  routes?: Record<string, RouteHandler>;
  /**
   * A page for browsers at `graphqlPath`: a GET or HEAD whose `Accept` prefers HTML to JSON (a browser
   * opening the address) gets it; every other request there is GraphQL.
   */
  graphqlPage?: RouteHandler;
  /** POST routes other than GraphQL, e.g. an action; their request body is not read. Other methods get 405. */
  postRoutes?: Record<string, RouteHandler>;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  /**
   * How long a client has to send its whole request, headers and body (default 30 s; Node's own is
   * 5 minutes). A client that trickles a request in ("slowloris") gets 408 and the connection closed.
   */
  receiveTimeoutMs?: number;
  graphqlPath?: string;
  /** Browser origins allowed to call (CORS); none by default, so only same-origin pages and non-browser clients. */
  corsOrigins?: readonly string[];
  /** Counts and times each answered GraphQL request (lib/runtime/metrics.ts `ServiceMetrics`). */
  metrics?: GraphQLRequestObserver;
}

/** What the server tells the metrics of each answered GraphQL request; declared here, as lib/runtime/metrics.ts serves its own metrics over this server. */
export interface GraphQLRequestObserver {
  observeGraphQLRequest(context: RequestContext | undefined, status: number, seconds: number): void;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  // Accept a caller's id only when it is short and printable, so it is safe to log and forward.
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/**
 * Serves GraphQL over node:http (`answer`), with `/health` and `/ready`; the JSON body parser is
 * body-parser, bounded by `maxBodyBytes`.
 */
export function createGraphQLHttpServer<TContext extends object>(options: GraphQLHttpServerOptions<TContext>): Server {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const parseJson = bodyParser.json({ limit: maxBodyBytes, strict: false });
  const readPlainJson = plainJsonReader(maxBodyBytes);
  const allowedOrigins = new Set(options.corsOrigins ?? []);
  const applyCors = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowedOrigins.has(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'x-request-id', 'apollo-require-preflight', 'authorization', 'x-api-key', 'x-purpose-code', 'x-case-number'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
  const routes: Record<string, RouteHandler> = {
    '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/ready': async (req, res) => {
      const report = await options.readiness(req);
      sendJson(res, report.ready ? 200 : 503, report);
    },
    ...options.routes,
  };
  const postRoutes = new Map(Object.entries(options.postRoutes ?? {}));

  const handleGraphQL = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, requestId: string) =>
    options.answer(req, res, req.body, () => options.context(req, requestId), { 'x-request-id': requestId });

  const receiveTimeoutMs = options.receiveTimeoutMs ?? 30_000;
  const serverOptions = {
    requestTimeout: receiveTimeoutMs,
    headersTimeout: receiveTimeoutMs,
    keepAliveTimeout: Math.min(KEEP_ALIVE_TIMEOUT_MS, receiveTimeoutMs),
    // Node checks both timeouts on this interval (30 s by default), so it bounds their precision.
    connectionsCheckingInterval: Math.min(1000, receiveTimeoutMs),
  };
  return createServer(serverOptions, (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => {
      options.logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    const fail = (error: unknown) => {
      options.logger.error({ requestId, err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    };
    // Everything this request causes, callbacks and promises included, logs its request id.
    runWithRequestContext(requestId, () => {
      const { metrics } = options;
      if (metrics && path === graphqlPath && !isPageRequest(req, path)) {
        const context = currentRequestContext();
        res.on('finish', () => metrics.observeGraphQLRequest(context, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
      }
      // With no origin allowed, only a preflight needs the CORS middleware (to refuse it); any other
      // answer is the same whatever the Origin, so it carries no CORS header and no Vary.
      if (allowedOrigins.size === 0 && req.method !== 'OPTIONS') handle(req, res, path, requestId, fail);
      else applyCors(req, res, () => handle(req, res, path, requestId, fail));
    });
  });

  /** A browser opening `graphqlPath`: it gets the page, not GraphQL (and is not counted as a GraphQL request). */
  function isPageRequest(req: IncomingMessage, path: string): boolean {
    return options.graphqlPage !== undefined && path === graphqlPath && (req.method === 'GET' || req.method === 'HEAD') && prefersHtml(req.headers.accept);
  }

  function handle(req: IncomingMessage, res: ServerResponse, path: string, requestId: string, fail: (error: unknown) => void) {
    // HEAD is GET without the body (Node leaves the body out).
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes[path] : req.method === 'POST' ? postRoutes.get(path) : undefined;
    if (route) {
      // A POST route's body is not read: drain it, so the connection can serve the next request.
      if (req.method === 'POST') req.resume();
      Promise.resolve(route(req, res)).catch(fail);
      return;
    }
    if (routes[path]) {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: `Method ${req.method} not allowed: send GET.` });
      return;
    }
    if (postRoutes.has(path)) {
      res.setHeader('allow', 'POST');
      sendJson(res, 405, { error: `Method ${req.method} not allowed: send POST.` });
      return;
    }
    if (path !== graphqlPath) {
      if (path === '/' && req.method === 'GET') {
        res.writeHead(302, { location: graphqlPath }).end();
        return;
      }
      sendJson(res, 404, { error: `Not found. GraphQL is served at ${graphqlPath}.` });
      return;
    }
    if (options.graphqlPage && isPageRequest(req, path)) {
      Promise.resolve(options.graphqlPage(req, res)).catch(fail);
      return;
    }
    if (req.method === 'POST' && !isJsonContentType(req.headers['content-type'])) {
      // Refused here rather than by Apollo, whose answer to text/plain is a CSRF warning and to any
      // other type "POST body missing": neither tells a client what to send.
      const received = req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'none';
      sendJson(res, 415, {
        errors: [{ message: `Unsupported content type ${received}: send the GraphQL request as application/json.`, extensions: { code: 'BAD_REQUEST' } }],
      });
      return;
    }
    const read = isPlainUtf8Json(req) ? readPlainJson : parseJson;
    read(req, res, (parseError?: unknown) => {
      if (parseError) {
        const { status, message } = describeBodyError(parseError);
        sendJson(res, status, { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
      handleGraphQL(req, res, requestId).catch(fail);
    });
  }
}

/** A JSON body in UTF-8, not compressed: what every GraphQL client and the gateway send. */
function isPlainUtf8Json(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  return charset === undefined || charset.toLowerCase() === 'utf-8';
}

/**
 * body-parser's JSON parser for the common case, without its content negotiation and decoding
 * layers (type-is, raw-body, iconv-lite): a bounded read and JSON.parse, with body-parser's error
 * types, so the same answers come out. It took 8–9 % of a subgraph's CPU per call when profiled;
 * compressed bodies and other charsets still go through body-parser.
 */
function plainJsonReader(limit: number) {
  const failure = (type: string, status: number, facts: Record<string, unknown> = {}) => Object.assign(new Error(type), { type, status, limit, ...facts });
  return (req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (error?: unknown) => void): void => {
    // The body's events come in the socket's async context: the request's own (its id in every log
    // line, its metrics) is carried to what follows, as raw-body does for body-parser. Not
    // `AsyncResource.bind`, which builds a deprecation wrapper on every call in Node 20 (0.9 % of a
    // subgraph's CPU when profiled).
    const scope = new AsyncResource('lien-thong.request-body');
    const done = (error?: unknown) => scope.runInAsyncScope(next, undefined, error);
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > limit) {
      req.resume();
      done(failure('entity.too.large', 413, { length: declared }));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      req.off('data', onData).off('end', onEnd).off('error', finish);
      done(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.resume();
        finish(failure('entity.too.large', 413));
        return;
      }
      chunks.push(chunk);
    };
    // Node's parser ends the body at its Content-Length; a connection lost before is an 'error' (ECONNRESET).
    const onEnd = () => {
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      // body-parser: an empty body is an empty object; a leading byte-order mark is dropped.
      const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (json.length === 0) {
        req.body = {};
        return finish();
      }
      try {
        req.body = JSON.parse(json);
      } catch {
        return finish(failure('entity.parse.failed', 400));
      }
      finish();
    };
    req.on('data', onData).on('end', onEnd).on('error', finish);
  };
}

/** body-parser's errors, in words a client can act on. */
function describeBodyError(error: unknown): { status: number; message: string } {
  const {
    status = 400,
    type,
    limit,
    length,
    charset,
    encoding,
  } = error as {
    status?: number;
    type?: string;
    limit?: number;
    length?: number;
    charset?: string;
    encoding?: string;
  };
  switch (type) {
    case 'entity.too.large':
      return {
        status,
        message: length !== undefined ? `Request body of ${length} bytes exceeds the limit of ${limit} bytes.` : `Request body exceeds the limit of ${limit} bytes.`,
      };
    case 'charset.unsupported':
      return { status, message: `Unsupported charset "${charset}": send the request body as UTF-8.` };
    case 'encoding.unsupported':
      return { status, message: `Unsupported content encoding "${encoding}".` };
    case 'entity.parse.failed':
      return { status, message: 'Request body is not valid JSON.' };
    default:
      return { status, message: 'Request body could not be read.' };
  }
}

/**
 * Does this `Accept` rank `text/html` above every JSON type a GraphQL client asks for? A browser
 * opening a page names `text/html` first and anything else at q=0.8; curl sends any type without
 * naming one, GraphQL clients a JSON type.
 */
export function prefersHtml(accept: string | undefined): boolean {
  const quality = new Map<string, number>();
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...parameters] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = parameters.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    if (type && Number.isFinite(value)) quality.set(type, Math.max(quality.get(type) ?? 0, value));
  }
  const html = quality.get('text/html') ?? 0;
  const json = Math.max(quality.get('application/json') ?? 0, quality.get('application/graphql-response+json') ?? 0);
  return html > 0 && html > json;
}

function isJsonContentType(header: string | undefined): boolean {
  return mediaTypeOf(header) === 'application/json';
}

/**
 * How many connections the kernel may complete and queue before the process accepts them (Linux
 * caps it at `net.core.somaxconn`, 4096 by default since kernel 5.4). Node's own default is 511:
 * more clients than that connecting at once to a busy process (1,000 in
 * test/access-log-load.test.ts) overflow the accept queue, and on a loaded machine some of them end
 * in a reset (ECONNRESET) instead of a delay.
 */
export const LISTEN_BACKLOG = 4096;

/**
 * How long an idle keep-alive connection stays open. Node announces it rounded down to whole
 * seconds (`Keep-Alive: timeout=10`), and undici (fetch) closes its idle socket 2 s before the
 * announced time: the extra 900 ms keep this server from closing a connection a client is just
 * reusing (which the client sees as ECONNRESET or "other side closed"), even with a busy event loop.
 * Shorter than `receiveTimeoutMs`, as Node wants `headersTimeout` to be the longer one.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 10_900;

export async function listen(server: Server, port: number, host: string): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    port: address.port,
    url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
