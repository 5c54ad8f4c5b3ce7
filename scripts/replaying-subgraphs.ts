/**
 * Replaying subgraphs for `npm run bench:compare -- --replay`: one loopback HTTP server per subgraph
 * that forwards the first request of each body to the real subgraph and answers every later request
 * with the same body from its record, without calling it. The subgraphs and their backends then do
 * almost nothing during the measured load, and the gateway's CPU per answer is measured without
 * eight other processes competing with it for the machine's cores.
 *
 * Only a 200 is recorded. A request is keyed by its body alone: the caller assertion that this
 * project's gateway sends in a header differs on every call, and the subgraph sees only the first
 * one. GETs (`/health`, `/ready`) are forwarded every time. A development tool: nothing in the
 * services imports it.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { requestText } from './bench-common.ts';

export interface ReplayingSubgraphs {
  /** The replaying URL (`http://127.0.0.1:<port>/graphql`) in place of each subgraph's. */
  urls: Record<string, string>;
  /** Requests forwarded to a subgraph because their body was new (GETs not counted). */
  forwarded(): number;
  /** Requests answered from a record. */
  replayed(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

/** `subgraphUrls`: each subgraph's real GraphQL URL, by name; `ports`: where each replaying server listens (0: any free port). */
export async function startReplayingSubgraphs(subgraphUrls: Record<string, string>, ports: Record<string, number> = {}): Promise<ReplayingSubgraphs> {
  let forwarded = 0;
  let replayed = 0;
  const servers: Server[] = [];
  const urls: Record<string, string> = {};
  for (const [name, target] of Object.entries(subgraphUrls)) {
    const origin = new URL(target).origin;
    const recorded = new Map<string, string>();
    const answer = (res: ServerResponse, status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    const server = createServer((req, res) => {
      void (async () => {
        const body = await requestText(req);
        const post = req.method === 'POST';
        const known = post ? recorded.get(body) : undefined;
        if (known !== undefined) {
          replayed += 1;
          return answer(res, 200, known);
        }
        if (post) forwarded += 1;
        const headers: Record<string, string> = {};
        for (const [header, value] of Object.entries(req.headers)) if (typeof value === 'string' && !HOP_BY_HOP.has(header)) headers[header] = value;
        const upstream = await request(`${origin}${req.url ?? '/'}`, { method: post ? 'POST' : 'GET', headers, ...(post ? { body } : {}) });
        const text = await upstream.body.text();
        if (post && upstream.statusCode === 200) recorded.set(body, text);
        answer(res, upstream.statusCode, text);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[name] ?? 0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }
  return {
    urls,
    forwarded: () => forwarded,
    replayed: () => replayed,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
