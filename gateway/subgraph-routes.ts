import { Agent } from 'undici';
import type { ZodType } from 'zod';
import { SystemErrorCode } from '../lib/runtime/errors.ts';
import { DEADLINE_HEADER } from '../lib/runtime/subgraph.ts';
import { SYSTEM_IDS, type SystemId } from '../lib/runtime/systems.ts';
import { CallDeadline, classifyTransportError, closeDispatcher, parseJsonOrUndefined, readLimited, roundMs } from '../lib/runtime/transport.ts';

/** A route every subgraph serves beside its GraphQL path. */
export type SubgraphRoute = 'ready' | 'connection-test';

/** (`http://host:4001/graphql`, `ready`) → `http://host:4001/ready`. */
export function subgraphRouteUrl(subgraphUrl: string, route: SubgraphRoute): URL {
  const url = new URL(subgraphUrl);
  url.pathname = `${url.pathname.replace(/\/graphql\/?$/, '').replace(/\/+$/, '')}/${route}`;
  url.search = '';
  return url;
}

export type RouteAnswer<T> = { ok: true; value: T; latencyMs: number } | { ok: false; code: SystemErrorCode; reason: string };

export interface RouteCall<T> {
  method: 'GET' | 'POST';
  /** The call's deadline, also sent to the subgraph in `x-deadline-ms` so that it answers within it. */
  timeoutMs: number;
  /** Statuses whose body is the route's answer (e.g. 200 and 503 for `/ready`). */
  answerStatuses: readonly number[];
  /** The answer's shape, checked where it enters the gateway. */
  schema: ZodType<T>;
}

/**
 * The gateway's calls to the subgraphs' own routes (the connection board's probes and
 * `testConnection`), on one keep-alive agent: a deadline, a size bound, and an answer that must
 * match its schema and speak for the system asked, or a failure with a stable code and a short
 * reason that names no address.
 */
export class SubgraphRoutes {
  private readonly agent = new Agent({ connections: 2, keepAliveTimeout: 30_000 });
  private readonly urls: Map<string, URL>;

  constructor(subgraphUrls: Record<SystemId, string>) {
    this.urls = new Map(SYSTEM_IDS.flatMap((id) => (['ready', 'connection-test'] as const).map((route) => [`${id} ${route}`, subgraphRouteUrl(subgraphUrls[id], route)])));
  }

  async call<T extends { system: string }>(system: SystemId, route: SubgraphRoute, call: RouteCall<T>): Promise<RouteAnswer<T>> {
    const url = this.urls.get(`${system} ${route}`)!;
    const started = performance.now();
    const deadline = new CallDeadline(call.timeoutMs);
    try {
      const response = await this.agent.request({
        origin: url.origin,
        path: url.pathname,
        method: call.method,
        headers: { accept: 'application/json', [DEADLINE_HEADER]: String(call.timeoutMs) },
        signal: deadline.signal,
      });
      const text = await readLimited(response.body, 1024 * 1024);
      const latencyMs = roundMs(performance.now() - started);
      if (!call.answerStatuses.includes(response.statusCode)) return this.broken(`/${route} answered HTTP ${response.statusCode}`);
      const parsed = call.schema.safeParse(parseJsonOrUndefined(text));
      if (!parsed.success) return this.broken(`/${route} answer breaks the contract`);
      if (parsed.data.system !== system) return this.broken(`/${route} answers for another system (${parsed.data.system})`);
      return { ok: true, value: parsed.data, latencyMs };
    } catch (error) {
      const { code, reason } = classifyTransportError(error);
      return { ok: false, code, reason };
    } finally {
      deadline.end();
    }
  }

  /** Cuts calls under way: a stopping gateway does not wait for probes. */
  close(): Promise<void> {
    return closeDispatcher(this.agent, 0);
  }

  private broken(reason: string): RouteAnswer<never> {
    return { ok: false, code: SystemErrorCode.BAD_RESPONSE, reason };
  }
}
