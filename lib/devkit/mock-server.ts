import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { mockBackendSettings } from '../runtime/process-settings.ts';
import { parseSettings } from '../runtime/settings.ts';
import { listen, sendJson, type RunningServer } from '../runtime/http-server.ts';
import { NO_BODY, payloadOf, respond, route, type MockReply, type MockRoute } from './mock-routes.ts';
import { startOrExit, stopOnSignals } from '../runtime/process.ts';
import { createLogger, type Logger } from '../runtime/logger.ts';
import { runWithRequestContext } from '../runtime/request-context.ts';
import { startTracing } from '../runtime/tracing.ts';
import type { SystemId } from '../runtime/systems.ts';

/**
 * A mock backend: the system's route table (lib/devkit/mock-routes.ts) served by a real loopback HTTP
 * server, so the adapters' undici client talks to it exactly as to the real system. Admin routes under `/_mock/` control faults and
 * report how many requests were served; they, and the process's own `/health`, are never faulted
 * and never counted.
 */
export const FAULT_MODES = ['ok', 'slow', 'error', 'malformed', 'truncated', 'reset', 'down'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const faultSettingSchema = z.object({
  mode: z.enum(FAULT_MODES),
  latencyMs: z.number().int().min(0).max(120_000).optional(),
});
export type FaultSetting = z.infer<typeof faultSettingSchema>;

export interface MockStats {
  system: SystemId;
  requests: number;
  byRoute: Record<string, number>;
  /** The `x-request-id` of the most recent requests (at most 50), to follow one query end to end. */
  recentRequestIds: string[];
  fault: FaultSetting;
}

const RECENT_REQUEST_IDS = 50;

export interface RunningMock extends RunningServer {
  system: SystemId;
  stats(): MockStats;
  resetStats(): void;
  setFault(fault: FaultSetting): void;
}

const DEFAULT_SLOW_MS = 5000;
/**
 * A reset that reaches a Node client together with the data before it is reported as an orderly end
 * (libuv reads the data, sees the hang-up and calls it EOF): waiting lets the client read the half
 * body first, so the reset shows as ECONNRESET.
 */
const RESET_DELAY_MS = 50;

/**
 * `GET /v1/health`: every backend contract has it; it answers only when the system is up, so no
 * cache may keep its answer.
 */
export function healthHandler(system: SystemId): MockRoute {
  const reply: MockReply = { status: 200, json: { status: 'ok', system }, headers: { 'cache-control': 'no-store' } };
  return route.get('/v1/health', () => reply);
}

const notFound = (route: string): MockReply => ({
  status: 404,
  json: { error: `no such route: ${route}` },
  headers: { 'content-type': 'application/json; charset=utf-8' },
});

export function createMockServer(system: SystemId, routes: readonly MockRoute[], logger: Logger) {
  let fault: FaultSetting = { mode: 'ok' };
  let requests = 0;
  let byRoute: Record<string, number> = {};
  let recentRequestIds: string[] = [];
  const sockets = new Set<Socket>();
  const adminSockets = new WeakSet<Socket>();

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => {
    adminSockets.add(req.socket);
    // Liveness of the mock process itself, like every other process; `/v1/health` is the backend's.
    if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { status: 'ok' });
    if (path === '/_mock/stats' && req.method === 'GET') return sendJson(res, 200, snapshot());
    if (path === '/_mock/stats' && req.method === 'DELETE') {
      reset();
      return sendJson(res, 200, snapshot());
    }
    if (path === '/_mock/fault' && req.method === 'GET') return sendJson(res, 200, fault);
    if (path === '/_mock/fault' && req.method === 'PUT') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendJson(res, 400, { error: `body must be JSON: {"mode": "${FAULT_MODES.join('|')}", "latencyMs": n}` });
      }
      const setting = faultSettingSchema.safeParse(parsed);
      if (!setting.success) return sendJson(res, 400, { error: setting.error.issues.map((i) => i.message).join('; ') });
      setFaultMode(setting.data);
      return sendJson(res, 200, fault);
    }
    return sendJson(res, 404, { error: 'unknown mock admin route' });
  };

  const setFaultMode = (setting: FaultSetting) => {
    fault = setting;
    logger.info({ system, fault }, 'fault set');
    if (setting.mode === 'down') {
      for (const socket of sockets) if (!adminSockets.has(socket)) socket.destroy();
    }
  };
  const snapshot = (): MockStats => ({ system, requests, byRoute: { ...byRoute }, recentRequestIds: [...recentRequestIds], fault });
  const reset = () => {
    requests = 0;
    byRoute = {};
    recentRequestIds = [];
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) => {
    if (fault.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const mode = fault.mode;
    requests += 1;
    const routeKey = `${req.method} ${url.pathname}`;
    byRoute[routeKey] = (byRoute[routeKey] ?? 0) + 1;
    const requestId = req.headers['x-request-id'];
    if (typeof requestId === 'string') recentRequestIds = [...recentRequestIds.slice(1 - RECENT_REQUEST_IDS), requestId];
    if (fault.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.latencyMs ?? DEFAULT_SLOW_MS));
    if (fault.mode === 'error') {
      // Deliberately internal-looking, so tests can prove none of it reaches a client.
      return sendJson(res, 500, { error: 'Internal Server Error', trace: `at ${system}.backend.internal (db-01.internal:5432)` });
    }
    if (fault.mode === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status": "ok", "records": [{"id": 1,');
      return;
    }
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD' && body.length > 0;
    const reply = (await respond(routes, { method, path: url.pathname, query: url.searchParams, headers: req.headers, body: hasBody ? body : NO_BODY })) ?? notFound(routeKey);
    const payload = payloadOf(reply);
    const bodiless = reply.status === 204 || reply.status === 304;
    const outHeaders: Record<string, string> = bodiless ? { ...reply.headers } : { 'content-type': 'application/json', ...reply.headers, 'content-length': String(payload.length) };
    res.writeHead(reply.status, outHeaders);
    if (mode === 'truncated' || mode === 'reset') {
      // The full Content-Length is already promised; only the first half follows, then the connection
      // is closed (FIN) or reset (RST).
      const socket = req.socket;
      // Node writes nothing, not even the headers, for a body a 304 may not have: send them first.
      res.flushHeaders();
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => {
        if (socket.destroyed) return;
        if (mode === 'truncated') socket.end();
        else setTimeout(() => socket.destroyed || socket.resetAndDestroy(), RESET_DELAY_MS);
      });
      return;
    }
    res.end(payload);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // A fixed base: the Host header is the client's to send, and a malformed one must not crash the mock.
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks);
      const isAdmin = url.pathname.startsWith('/_mock/') || url.pathname === '/health';
      const requestId = req.headers['x-request-id'];
      const run = () => {
        const handled = isAdmin ? admin(req, res, url.pathname, body) : serve(req, res, url, body);
        handled.catch((error: unknown) => {
          logger.error({ err: error, system }, 'mock handler failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'mock handler failed' });
        });
      };
      if (typeof requestId === 'string') runWithRequestContext(requestId, run);
      else run();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return { server, snapshot, reset, setFault: setFaultMode };
}

export async function startMockBackend(system: SystemId, routes: readonly MockRoute[], options: { port?: number; host?: string; logger?: Logger } = {}): Promise<RunningMock> {
  const logger = options.logger ?? createLogger(`${system}-mock-backend`);
  const mock = createMockServer(system, routes, logger);
  const running = await listen(mock.server, options.port ?? 0, options.host ?? '127.0.0.1');
  return { ...running, system, stats: mock.snapshot, resetStats: mock.reset, setFault: mock.setFault };
}

/** Entry point of a mock backend process. */
export async function runMockBackendProcess(system: SystemId, routes: readonly MockRoute[]): Promise<void> {
  const logger = createLogger(`${system}-mock-backend`);
  await startOrExit(logger, async () => {
    const settings = parseSettings(mockBackendSettings(system), process.env);
    startTracing(`${system}-mock-backend`, logger, settings.tracing, { incomingRequiresParent: true });
    const running = await startMockBackend(system, routes, { port: settings.port, host: settings.host, logger });
    logger.info({ url: running.url }, 'mock backend listening');
    stopOnSignals(logger, running.close);
  });
}
