import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callHash, signCallerAssertion } from '../lib/access/caller-assertion.ts';
import { CALLER_ASSERTION_HEADER, type Caller } from '../lib/access/caller.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../lib/access/policy.ts';
import { PostgresReplayStore, type ReplayStoreConfig } from '../lib/access/replay-store.ts';
import { REPLAY_STORE_UNAVAILABLE } from '../lib/access/subgraph-guard.ts';
import { DEFAULT_THRESHOLDS } from '../lib/runtime/live-status.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import { startMockBackend, type RunningMock } from '../lib/devkit/mock-server.ts';
import { DEFAULT_RESILIENCE } from '../lib/runtime/resilience.ts';
import { freePort } from '../lib/devkit/services.ts';
import { startSubgraph, type Adapter, type RunningSubgraph } from '../lib/runtime/subgraph.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { landHandlers } from '../subgraphs/land/mock/handlers.ts';
import { SUBGRAPHS } from '../subgraphs/index.ts';
import { TEST_CALLER_SECRET } from '../lib/devkit/test-credentials.ts';
import { startPostgres, type TestPostgres } from './support/postgres.ts';
import { startSystem, type GraphQLBody, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * Replay: a caller assertion captured between the gateway and a subgraph is accepted at
 * most once — not again by the same instance, nor by another instance of the subgraph sharing its
 * replay store, nor by an instance restarted since — against a real PostgreSQL and real subgraphs.
 */
const HEAD = NAMED_IDS.head;
const LAND_OFFICER: Caller = { kind: 'officer', agency: 'BNNMT', officer: 'x', roles: [], purpose: 'land-transfer', caseNumber: 'HS-1', issuer: 'api-key' };
const LAND_PARCELS = { query: `{ _entities(representations: [{ __typename: "Citizen", personalId: "${HEAD}" }]) { ... on Citizen { landParcels { parcelId } } } }` };
const PARCELS_ANSWER = { data: { _entities: [{ landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] }] } };
const policy = loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE);

/** A call as it travelled to a subgraph: the body as sent, and its caller assertion. */
interface CapturedCall {
  body: string;
  assertion: string;
}

/** An assertion as the gateway signs it for one call of LAND_PARCELS to the land subgraph. */
async function signedCall(body: { query: string } = LAND_PARCELS): Promise<CapturedCall> {
  const assertion = await signCallerAssertion(LAND_OFFICER, { secret: TEST_CALLER_SECRET, requestId: 'r', subgraph: 'land', queryHash: callHash(body.query, undefined) });
  return { body: JSON.stringify(body), assertion };
}

/** Sends a call to a subgraph on a connection of its own (none kept from an instance since stopped). */
async function send(subgraph: { url: string }, call: CapturedCall): Promise<{ status: number; body: GraphQLBody }> {
  const response = await post(`${subgraph.url}/graphql`, call.body, { [CALLER_ASSERTION_HEADER]: call.assertion });
  return { status: response.status, body: JSON.parse(response.text) as GraphQLBody };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const dispatcher = new Agent();
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, dispatcher });
    return { status: response.status, text: await response.text() };
  } finally {
    await dispatcher.close();
  }
}

function startLand(backend: RunningMock, port: number, replay: ReplayStoreConfig, logger?: Logger): Promise<RunningSubgraph<Adapter>> {
  return startSubgraph(
    SUBGRAPHS.land,
    {
      backendUrl: backend.url,
      backendTimeoutMs: 2000,
      resilience: DEFAULT_RESILIENCE,
      liveStatus: DEFAULT_THRESHOLDS,
      port,
      host: '127.0.0.1',
      access: { enabled: true, policy, callerSecret: TEST_CALLER_SECRET, replay },
    },
    ...(logger ? [logger] : []),
  );
}

/** 401 for a replay, saying why in words and in `extensions.callerAssertion`. */
function expectRefused(response: { status: number; body: GraphQLBody }, why: 'REPLAYED' | 'ISSUED_BEFORE_START') {
  expect(response.status).toBe(401);
  expect(response.body.data).toBeUndefined();
  expect(response.body.errors).toEqual([
    {
      message: expect.stringMatching(why === 'REPLAYED' ? /caller assertion rejected: already used/ : /caller assertion rejected: issued before this subgraph instance started/),
      extensions: { code: 'UNAUTHENTICATED', callerAssertion: why },
    },
  ]);
}

/**
 * Stands between the gateway and a subgraph, as whoever can read that traffic would, and keeps a
 * copy of every GraphQL call that carried a caller assertion.
 */
async function startEavesdropper(): Promise<{ url: string; captured: CapturedCall[]; target: { url: string }; close(): Promise<void> }> {
  const captured: CapturedCall[] = [];
  const target = { url: '' };
  const relay = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const assertion = req.headers[CALLER_ASSERTION_HEADER];
    if (typeof assertion === 'string') captured.push({ body, assertion });
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0])),
    );
    try {
      const dispatcher = new Agent();
      try {
        const response = await fetch(`${target.url}${req.url}`, { method: req.method, headers, dispatcher, ...(req.method === 'POST' ? { body } : {}) });
        res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await response.arrayBuffer()));
      } finally {
        await dispatcher.close();
      }
    } catch {
      // Before the target is known (the gateway's first probes), or while it restarts.
      res.writeHead(502).end();
    }
  };
  // A request whose body cannot be read (its client went away) loses only its own connection.
  const server: Server = createServer((req, res) => {
    relay(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    captured,
    target,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

describe('with a replay store shared by every instance (CALLER_REPLAY_DATABASE_URL)', () => {
  let system: RunningSystem;
  let eavesdropper: Awaited<ReturnType<typeof startEavesdropper>>;
  let secondLand: RunningSubgraph<Adapter>;
  let shared: ReplayStoreConfig;

  beforeAll(async () => {
    shared = { databaseUrl: postgres.url, clockSkewMs: 0 };
    eavesdropper = await startEavesdropper();
    system = await startSystem({ callerReplay: shared, subgraphUrlOverrides: { land: `${eavesdropper.url}/graphql` } });
    eavesdropper.target.url = system.subgraphs.land.url;
    secondLand = await startLand(system.mocks.land, 0, shared);
  }, 60_000);
  afterAll(async () => {
    await secondLand?.close();
    await system?.close();
    await eavesdropper?.close();
  });

  const PORTAL = `{ citizen(personalId: "${HEAD}") { fullName landParcels { parcelId } } }`;

  it('refuses an assertion the gateway sent everywhere after its one use: the same instance, another instance, the same instance restarted', async () => {
    const first = await system.query(PORTAL);
    expect(first).toEqual({ status: 200, body: { data: { citizen: { fullName: 'Nguyễn Văn An', landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] } } } });
    const [captured] = eavesdropper.captured;
    expect(captured).toBeDefined();
    expect(captured!.body).toContain('landParcels');

    expectRefused(await send(system.subgraphs.land, captured!), 'REPLAYED');
    expectRefused(await send(secondLand, captured!), 'REPLAYED');

    const port = system.subgraphs.land.port;
    await system.stopSubgraph('land');
    await system.restartSubgraph('land');
    expect(system.subgraphs.land.port).toBe(port);
    expectRefused(await send(system.subgraphs.land, captured!), 'REPLAYED');

    // Not a subgraph refusing everything: the gateway's next call, with a new assertion, is answered.
    expect((await system.query(PORTAL)).body.data).toEqual(first.body.data);
  });

  it('answers the first use on another instance, and that use counts for all of them', async () => {
    const call = await signedCall();
    expect(await send(secondLand, call)).toEqual({ status: 200, body: PARCELS_ANSWER });
    expectRefused(await send(system.subgraphs.land, call), 'REPLAYED');
  });

  it('answers exactly one of two simultaneous uses on two instances', async () => {
    const call = await signedCall();
    const answers = await Promise.all([send(system.subgraphs.land, call), send(secondLand, call)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    expect(answers.find((answer) => answer.status === 200)?.body).toEqual(PARCELS_ANSWER);
  });

  it('records nothing for public data: the same assertion is not used up by a call without personal fields', async () => {
    const publicCall = await signedCall({ query: '{ _service { sdl } }' });
    expect((await send(system.subgraphs.land, publicCall)).status).toBe(200);
    expect((await send(secondLand, publicCall)).status).toBe(200);
  });
});

describe('the PostgreSQL replay store', () => {
  const use = (id: string, expiresAt: number) => ({ id, expiresAt, issuedAtMs: (expiresAt - 10) * 1000 });

  it('accepts an id once whichever store object asks, and prunes only ids no instance can accept any more', async () => {
    const one = new PostgresReplayStore(postgres.url);
    const other = new PostgresReplayStore(postgres.url);
    try {
      const now = Math.floor(Date.now() / 1000);
      expect(await one.accept(use('prune-old', now - 3600))).toBe('accepted');
      expect(await other.accept(use('prune-old', now - 3600))).toBe('replayed');
      expect(await one.accept(use('prune-live', now + 10))).toBe('accepted');
      expect(await one.prune()).toBe(1);
      // The pruned id is forgotten (its assertion would fail as expired anyway); the live one is not.
      expect(await other.accept(use('prune-old', now - 3600))).toBe('accepted');
      expect(await other.accept(use('prune-live', now + 10))).toBe('replayed');
    } finally {
      await one.close();
      await other.close();
    }
  });
});

describe('without a shared replay store (one instance)', () => {
  let backend: RunningMock;
  beforeAll(async () => {
    backend = await startMockBackend('land', landHandlers());
  });
  afterAll(() => backend?.close());

  const inMemory: ReplayStoreConfig = { clockSkewMs: 0 };

  it('refuses a replay to the same instance, and to the same instance restarted on the same port', async () => {
    const port = await freePort();
    let land = await startLand(backend, port, inMemory);
    try {
      const call = await signedCall();
      expect(await send(land, call)).toEqual({ status: 200, body: PARCELS_ANSWER });
      expectRefused(await send(land, call), 'REPLAYED');

      await land.close();
      land = await startLand(backend, port, inMemory);
      expect(land.port).toBe(port);
      expectRefused(await send(land, call), 'ISSUED_BEFORE_START');
      // What the gateway signs after the restart is answered.
      expect(await send(land, await signedCall())).toEqual({ status: 200, body: PARCELS_ANSWER });
    } finally {
      await land.close();
    }
  });

  it('allows for the gateway’s clock running ahead: an assertion issued within CALLER_REPLAY_CLOCK_SKEW_MS of the start is refused', async () => {
    const land = await startLand(backend, 0, { clockSkewMs: 60_000 });
    try {
      expectRefused(await send(land, await signedCall()), 'ISSUED_BEFORE_START');
    } finally {
      await land.close();
    }
  });
});

describe('when the replay store is unreachable', () => {
  /** A logger whose lines the test reads. */
  function capturingLogger(): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    return { logger: pino({ level: 'warn' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) })), lines };
  }
  const PASSWORD = 'replay-store-password-must-not-leak';

  async function expectFailedClosed(land: RunningSubgraph<Adapter>, lines: string[]) {
    const { status, text } = await post(`${land.url}/graphql`, JSON.stringify(LAND_PARCELS), { [CALLER_ASSERTION_HEADER]: (await signedCall()).assertion });
    expect(status).toBe(503);
    expect(JSON.parse(text)).toEqual({
      errors: [
        {
          message: 'This subgraph cannot check that the caller assertion was not used before (its replay store is unavailable), so no personal data is returned. Try again later.',
          extensions: { code: REPLAY_STORE_UNAVAILABLE },
        },
      ],
    });
    expect(text).not.toContain('127.0.0.1:');
    // Public data is still answered, and the process is alive.
    expect(await send(land, await signedCall({ query: '{ _service { __typename } }' }))).toEqual({ status: 200, body: { data: { _service: { __typename: '_Service' } } } });
    expect((await fetch(`${land.url}/health`)).status).toBe(200);
    expect(lines.join('')).toContain('caller replay store unavailable');
    expect(lines.join('')).not.toContain(PASSWORD);
  }

  it('refuses personal data with 503 REPLAY_STORE_UNAVAILABLE when nothing answers at its address, and never shows the password', async () => {
    const backend = await startMockBackend('land', landHandlers());
    const { logger, lines } = capturingLogger();
    const nowhere = `postgres://lien:${PASSWORD}@127.0.0.1:${await freePort()}/replay`;
    const land = await startLand(backend, 0, { databaseUrl: nowhere, clockSkewMs: 0 }, logger);
    try {
      await expectFailedClosed(land, lines);
    } finally {
      await land.close();
      await backend.close();
    }
  });

  it('refuses personal data once its PostgreSQL stops, without crashing on the dropped connections', async () => {
    const own = await startPostgres();
    const backend = await startMockBackend('land', landHandlers());
    const { logger, lines } = capturingLogger();
    const land = await startLand(backend, 0, { databaseUrl: own.url, clockSkewMs: 0 }, logger);
    try {
      expect(await send(land, await signedCall())).toEqual({ status: 200, body: PARCELS_ANSWER });
      await own.stop();
      await expectFailedClosed(land, lines);
    } finally {
      await land.close();
      await backend.close();
    }
  }, 60_000);
});
