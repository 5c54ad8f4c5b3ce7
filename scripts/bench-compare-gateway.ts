/**
 * One peer gateway of `npm run bench:compare` (scripts/bench-compare.ts), as a process of its own,
 * over the same subgraphs as this project's gateway. Which one is `BENCH_COMPARE_GATEWAY`:
 *
 * - `apollo`: stock `@apollo/gateway` on Apollo Server 5, the gateway's default fetcher (make-fetch-happen);
 * - `apollo-undici`: the same with a fetcher on undici's `request` (this project's subgraph transport,
 *   gateway/subgraph-transport.ts; its calls are not marked shareable, so every one is sent, as the
 *   stock gateway sends them);
 * - `hive`: Hive Gateway's runtime with the Rust query planner (`@graphql-hive/router-runtime`);
 * - `hive-no-dedup`: the same with the deduplication of identical in-flight subgraph requests off.
 *
 * Each serves the composed supergraph (schema/supergraph.graphql) with its routing URLs replaced by
 * `<PREFIX>_SUBGRAPH_URL`, at `/graphql` on `GATEWAY_PORT`, and answers `GET /health` so that
 * lib/devkit/services.ts can wait for it. None has this project's access control: only public data passes
 * the subgraphs' guard. A development tool: nothing in the services imports it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { createSubgraphTransport, type SubgraphAnswer, type SubgraphTransport } from '../gateway/subgraph-transport.ts';
import { settingsOrExit } from '../lib/runtime/cli.ts';
import { BENCH_COMPARE_GATEWAY_SETTINGS } from '../lib/runtime/process-settings.ts';
import { answerWithApollo } from '../lib/runtime/apollo-answer.ts';
import { listen } from '../lib/runtime/http-server.ts';
import { SYSTEM_IDS, type SystemId } from '../lib/runtime/systems.ts';
import { requestText } from './bench-common.ts';

/** Where the in-process subgraphs of this project's gateway (connections, access log) would be: nobody listens there. */
const UNSERVED_URL = 'http://127.0.0.1:9/unserved';

/** The supergraph with each routing URL replaced by where the subgraph runs now. */
function supergraphSdl(subgraphUrls: Record<SystemId, { url: string }>): string {
  const urls = new Map<string, string>(SYSTEM_IDS.map((id) => [id, subgraphUrls[id].url]));
  const sdl = readFileSync(fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url)), 'utf8');
  return sdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_, name: string) => `@join__graph(name: "${name}", url: "${urls.get(name) ?? UNSERVED_URL}")`);
}

interface Peer {
  handler: RequestListener;
  close(): Promise<void>;
}

/** Stock `@apollo/gateway` on Apollo Server, over Apollo Server's own HTTP integration API. */
async function apolloPeer(sdl: string, undiciFetcher: boolean): Promise<Peer> {
  // The gateway's usage telemetry would try to reach the internet.
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  const { ApolloGateway, RemoteGraphQLDataSource } = await import('@apollo/gateway');
  const { ApolloServer } = await import('@apollo/server');
  const transport = undiciFetcher ? createSubgraphTransport({ connectTimeoutMs: 5000 }) : undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: sdl,
    ...(transport ? { buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url, fetcher: fetcherOver(transport, name as SystemId) }) } : {}),
  });
  const server = new ApolloServer({ gateway });
  await server.start();
  const handler: RequestListener = (req, res) => {
    requestText(req)
      .then((body) => answerWithApollo(server, req, res, body ? (JSON.parse(body) as unknown) : undefined, async () => ({})))
      .catch((error: unknown) => {
        if (!res.headersSent) res.statusCode = 500;
        res.end(String(error));
      });
  };
  return {
    handler,
    close: async () => {
      await server.stop();
      await transport?.close();
    },
  };
}

/** The fetcher interface RemoteGraphQLDataSource calls, over the subgraph transport: POSTs only, 5 s each. */
function fetcherOver(transport: SubgraphTransport, system: SystemId): Fetcher {
  return (async (url: string, init: FetcherRequestInit = {}) => {
    const answer = await transport.send({ system, url: new URL(url), body: String(init.body), headers: (init.headers ?? {}) as Record<string, string>, timeoutMs: 5000 });
    return new AnsweredResponse(url, answer);
  }) as Fetcher;
}

/** What RemoteGraphQLDataSource reads of a response, without a WHATWG Response and its streams. */
class AnsweredResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly headers: FetcherHeaders;

  constructor(
    readonly url: string,
    private readonly answer: SubgraphAnswer,
  ) {
    this.headers = new Headers(answer.contentType ? { 'content-type': answer.contentType } : {});
  }

  get status(): number {
    return this.answer.status;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return this.ok ? 'OK' : `HTTP ${this.status}`;
  }

  async text(): Promise<string> {
    return this.answer.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.answer.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(this.answer.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  clone(): FetcherResponse {
    return new AnsweredResponse(this.url, this.answer);
  }
}

/**
 * What is used of Hive Gateway's packages, typed here. They are imported by a name TypeScript does not
 * follow: their types (graphql-yoga's) widen graphql's `GraphQLErrorExtensions` for the whole
 * program, and the project's own errors (lib/access/refusal.ts) would no longer type-check.
 */
interface HiveGatewayRuntime {
  createGatewayRuntime(config: Record<string, unknown>): RequestListener & { dispose(): void | Promise<void> };
}
interface HiveRouterRuntime {
  unifiedGraphHandler: unknown;
}
const HIVE_GATEWAY_RUNTIME: string = '@graphql-hive/gateway-runtime';
const HIVE_ROUTER_RUNTIME: string = '@graphql-hive/router-runtime';

/** Hive Gateway's runtime with the Rust query planner; `dedup` false turns off the in-flight deduplication of subgraph requests. */
async function hivePeer(sdl: string, dedup: boolean): Promise<Peer> {
  const { createGatewayRuntime } = (await import(HIVE_GATEWAY_RUNTIME)) as HiveGatewayRuntime;
  const { unifiedGraphHandler } = (await import(HIVE_ROUTER_RUNTIME)) as HiveRouterRuntime;
  const runtime = createGatewayRuntime({
    supergraph: sdl,
    unifiedGraphHandler,
    graphqlEndpoint: '/graphql',
    logging: 'warn',
    ...(dedup ? {} : { transportEntries: { '*': { options: { deduplicateInflightRequests: false } } } }),
  });
  return { handler: runtime, close: async () => runtime.dispose() };
}

const settings = settingsOrExit(BENCH_COMPARE_GATEWAY_SETTINGS);
const kind = settings.gateway;
const sdl = supergraphSdl(settings.subgraphUrls);
const peers: Record<typeof kind, () => Promise<Peer>> = {
  apollo: () => apolloPeer(sdl, false),
  'apollo-undici': () => apolloPeer(sdl, true),
  hive: () => hivePeer(sdl, true),
  'hive-no-dedup': () => hivePeer(sdl, false),
};
const peer = await peers[kind]();
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/health') {
    res.end('ok');
    return;
  }
  peer.handler(req, res);
});
const running = await listen(server, settings.port, settings.host);
console.log(`${kind} gateway listening on ${running.url}/graphql`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void running
    .close()
    .then(() => peer.close())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
