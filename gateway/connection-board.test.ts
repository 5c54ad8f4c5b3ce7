import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SystemError, SystemErrorCode } from '../lib/runtime/errors.ts';
import type { SubgraphReadiness } from '../lib/runtime/live-status.ts';
import { createLogger } from '../lib/runtime/logger.ts';
import { CircuitRefusal, DEFAULT_SUBGRAPH_BREAKER } from '../lib/runtime/resilience.ts';
import { perSystem, SYSTEM_IDS } from '../lib/runtime/systems.ts';
import { ConnectionBoard, type ConnectionBoardOptions } from './connection-board.ts';
import { SubgraphRoutes, subgraphRouteUrl } from './subgraph-routes.ts';

/** A stand-in for the land subgraph's `/ready`, answering whatever the test sets. */
let answer: { status: number; body: string } = { status: 200, body: '' };
let readyRequests = 0;
const fakeSubgraph: Server = createServer((req, res) => {
  if (req.url === '/ready') readyRequests += 1;
  res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
});
await new Promise<void>((resolve) => fakeSubgraph.listen(0, '127.0.0.1', resolve));
const landUrl = `http://127.0.0.1:${(fakeSubgraph.address() as AddressInfo).port}/graphql`;

// A port nothing listens on: the other three subgraphs are gone.
const closed = createServer();
await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
await new Promise<void>((resolve) => closed.close(() => resolve()));

const urls = perSystem((id) => (id === 'land' ? landUrl : closedUrl));
const routes = new SubgraphRoutes(urls);
const OPTIONS: ConnectionBoardOptions = {
  probeIntervalMs: 60_000,
  probeTimeoutMs: 2000,
  historySize: 3,
  testTimeoutMs: 5000,
  thresholds: { slowMs: 1000, failureWindowMs: 10_000 },
  subgraphBreakers: perSystem(() => DEFAULT_SUBGRAPH_BREAKER),
};
const logger = createLogger('board-test');

/** A subgraph that answers, saying its backend does not: `reason` as `/ready` words it. */
function backendDown(reason: string): SubgraphReadiness {
  return readiness({
    ready: false,
    status: 'DOWN',
    reasons: [`backend not answering: ${reason}`],
    backend: 'DOWN',
    latencyMs: null,
    error: { code: 'SYSTEM_UNAVAILABLE', reason },
  });
}

function readiness(overrides: Partial<SubgraphReadiness> = {}, calls: Partial<SubgraphReadiness['calls']> = {}): SubgraphReadiness {
  return {
    ready: true,
    system: 'land',
    status: 'UP',
    reasons: [],
    backend: 'UP',
    latencyMs: 3,
    error: null,
    calls: {
      system: 'land',
      circuit: 'CLOSED',
      calls: 10,
      failedCalls: 0,
      retries: 0,
      refusedByOpenCircuit: 0,
      retryBudget: { tokens: 10, maxTokens: 10 },
      lastSuccessAt: '2026-11-23T09:59:00.000Z',
      lastFailure: null,
      lastProbe: null,
      recentFailures: [],
      ...calls,
    },
    ...overrides,
  };
}

const serve = (body: SubgraphReadiness, status = body.ready ? 200 : 503) => {
  answer = { status, body: JSON.stringify(body) };
};

let board: ConnectionBoard;
beforeEach(async () => {
  await board?.stop();
  board = new ConnectionBoard(routes, OPTIONS, logger);
  readyRequests = 0;
  serve(readiness());
});
afterAll(async () => {
  await board.stop();
  await routes.close();
  await new Promise<void>((resolve) => fakeSubgraph.close(() => resolve()));
});

describe('the connection board', () => {
  it('knows nothing before the first probe, and says so', () => {
    expect(board.view('land')).toMatchObject({ status: 'DOWN', reasons: ['not checked yet'], checkedAt: null, uptime: { ratio: null, probes: 0 } });
  });

  it('reads each system through its subgraph’s /ready: UP with latency, circuit and the subgraph’s last success', async () => {
    await board.probeRound();
    const land = board.view('land');
    expect(readyRequests).toBe(1);
    expect(land).toMatchObject({
      system: 'land',
      status: 'UP',
      reasons: [],
      circuit: 'CLOSED',
      lastError: null,
      uptime: { ratio: 1, probes: 1, answered: 1 },
    });
    expect(land.latencyMs).toEqual(expect.any(Number));
    expect(Date.parse(land.lastSuccessAt!)).toBeGreaterThanOrEqual(Date.parse(land.checkedAt!) - 1000);
  });

  it('is DOWN, naming the leg and the reason, when the subgraph does not answer', async () => {
    await board.probeRound();
    expect(board.view('population')).toMatchObject({
      status: 'DOWN',
      reasons: ['subgraph not answering: connection refused'],
      latencyMs: null,
      circuit: null,
      lastError: { code: 'SYSTEM_UNAVAILABLE', hop: 'SUBGRAPH', message: 'subgraph not answering: connection refused' },
    });
  });

  it('is DOWN when the subgraph answers that its backend is not answering', async () => {
    serve(backendDown('connection reset'));
    await board.probeRound();
    expect(board.view('land')).toMatchObject({
      status: 'DOWN',
      reasons: ['backend not answering: connection reset'],
      latencyMs: null,
      lastError: { code: 'SYSTEM_UNAVAILABLE', hop: 'BACKEND', message: 'backend not answering: connection reset' },
      uptime: { ratio: 0, probes: 1, answered: 0 },
      history: [{ status: 'DOWN', latencyMs: null, errorCode: 'SYSTEM_UNAVAILABLE' }],
    });
  });

  it('treats a /ready answer that breaks its contract as a subgraph failure', async () => {
    answer = { status: 200, body: '{"ready":true}' };
    await board.probeRound();
    expect(board.view('land')).toMatchObject({ status: 'DOWN', reasons: ['subgraph not answering: /ready answer breaks the contract'] });
    answer = { status: 404, body: 'not found' };
    await board.probeRound();
    expect(board.view('land').reasons).toEqual(['subgraph not answering: /ready answered HTTP 404']);
  });

  it('refuses a /ready answer that speaks for another system (a subgraph URL pointing at the wrong subgraph)', async () => {
    serve(readiness({ system: 'population' }, { system: 'population' }));
    await board.probeRound();
    expect(board.view('land')).toMatchObject({
      status: 'DOWN',
      reasons: ['subgraph not answering: /ready answers for another system (population)'],
      lastError: { code: 'SYSTEM_BAD_RESPONSE', hop: 'SUBGRAPH' },
    });
  });

  it('keeps the last success, from a probe or from real traffic, when the subgraph stops answering', async () => {
    const fromTraffic = new Date(Date.now() + 60_000).toISOString();
    serve(readiness({}, { lastSuccessAt: fromTraffic }));
    await board.probeRound();
    expect(board.view('land').lastSuccessAt).toBe(fromTraffic);
    answer = { status: 500, body: '' };
    await board.probeRound();
    expect(board.view('land')).toMatchObject({ status: 'DOWN', lastSuccessAt: fromTraffic });
  });

  it('passes on the subgraph’s DEGRADED judgement and the circuit, and the newest backend failure with its reason', async () => {
    serve(
      readiness(
        { status: 'DEGRADED', reasons: ['circuit half-open: a trial call is under way'] },
        { circuit: 'HALF_OPEN', lastFailure: { at: new Date().toISOString(), code: 'SYSTEM_TIMEOUT', reason: 'no answer within 2000 ms' } },
      ),
    );
    await board.probeRound();
    expect(board.view('land')).toMatchObject({
      status: 'DEGRADED',
      reasons: ['circuit half-open: a trial call is under way'],
      circuit: 'HALF_OPEN',
      lastError: { code: 'SYSTEM_TIMEOUT', hop: 'BACKEND', message: 'backend call failed: no answer within 2000 ms' },
    });
  });

  it('is DEGRADED while real gateway → subgraph calls failed in the window, UP again once they age out', async () => {
    await board.probeRound();
    const now = Date.now();
    board.recordSubgraphCall('land', { ok: true, backendFailed: false }, now);
    board.recordSubgraphCall('land', { ok: false, code: 'SYSTEM_TIMEOUT', reason: 'no answer before the deadline' }, now);
    const during = board.view('land', now);
    expect(during).toMatchObject({
      status: 'DEGRADED',
      reasons: ['1 of 2 subgraph calls failed in the last 10 s'],
      traffic: { windowSeconds: 10, subgraphCalls: 2, subgraphFailures: 1 },
      lastError: { code: 'SYSTEM_TIMEOUT', hop: 'SUBGRAPH', message: 'subgraph not answering: no answer before the deadline' },
    });
    const later = board.view('land', now + 12_000);
    expect(later.status).toBe('UP');
    expect(later.traffic).toMatchObject({ subgraphCalls: 0, subgraphFailures: 0 });
  });

  it('probes early when real traffic fails, without waiting for the interval (once per burst)', async () => {
    await board.probeRound();
    expect(readyRequests).toBe(1);
    for (let i = 0; i < 5; i++) board.recordSubgraphCall('land', { ok: true, backendFailed: true });
    await board.probeNow('land'); // joins the early probe under way
    expect(readyRequests).toBe(2);
    // Early probes update the state but do not count towards uptime.
    expect(board.view('land').uptime.probes).toBe(1);
  });

  it('counts backend calls in the window from the subgraph’s counters, and starts over when the subgraph restarted', async () => {
    serve(readiness({}, { calls: 100, failedCalls: 4 }));
    await board.probeRound();
    serve(readiness({}, { calls: 130, failedCalls: 6 }));
    await board.probeRound();
    expect(board.view('land').traffic).toMatchObject({ backendCalls: 30, backendFailures: 2 });
    serve(readiness({}, { calls: 5, failedCalls: 0 }));
    await board.probeRound();
    expect(board.view('land').traffic).toMatchObject({ backendCalls: 0, backendFailures: 0 });
  });

  it('keeps a bounded history, newest first, and an uptime figure over it', async () => {
    await board.probeRound();
    serve(backendDown('HTTP 503'));
    await board.probeRound();
    serve(readiness());
    await board.probeRound();
    await board.probeRound();
    const land = board.view('land');
    expect(land.history.map((h) => h.status)).toEqual(['UP', 'UP', 'DOWN']);
    expect(land.uptime).toMatchObject({ ratio: 2 / 3, probes: 3, answered: 2, since: land.history[2]!.at });
  });

  it('is DEGRADED when the gateway → subgraph leg is slower than the limit, judging only that leg', async () => {
    const slowBoard = new ConnectionBoard(routes, { ...OPTIONS, thresholds: { ...OPTIONS.thresholds, slowMs: 0 } }, logger);
    serve(readiness({ latencyMs: 0 }));
    await slowBoard.probeRound();
    const slow = slowBoard.view('land');
    // A backend leg the subgraph reports as having taken longer than the whole round trip is not this leg's.
    serve(readiness({ latencyMs: 60_000 }));
    await slowBoard.probeRound();
    const backendLegOnly = slowBoard.view('land');
    await slowBoard.stop();
    expect(slow.status).toBe('DEGRADED');
    expect(slow.reasons[0]).toMatch(/^slow: the subgraph took \d+ ms beyond its backend probe \(limit 0 ms\)$/);
    expect(backendLegOnly).toMatchObject({ status: 'UP', reasons: [] });
  });

  it('reports the gateway ready while any system answers, listing the others; not ready when none does', async () => {
    await board.probeRound();
    expect(board.readiness()).toEqual({
      ready: true,
      status: 'DEGRADED',
      degraded: SYSTEM_IDS.filter((system) => system !== 'land').map((system) => ({
        system,
        status: 'DOWN',
        reasons: ['subgraph not answering: connection refused'],
      })),
      systems: perSystem((system) => (system === 'land' ? 'UP' : 'DOWN')),
      subgraphCircuits: perSystem(() => 'CLOSED'),
    });
    answer = { status: 500, body: '' };
    await board.probeRound();
    expect(board.readiness()).toMatchObject({ ready: false, status: 'DOWN' });
  });

  it('finds /ready beside a subgraph’s GraphQL path', () => {
    expect(subgraphRouteUrl('http://land:4003/graphql', 'ready').toString()).toBe('http://land:4003/ready');
    expect(subgraphRouteUrl('https://gw.example/land/graphql?x=1', 'connection-test').toString()).toBe('https://gw.example/land/connection-test');
  });
});

describe("the gateway's circuit to a subgraph", () => {
  const failed = () => new SystemError('land', SystemErrorCode.TIMEOUT, 'aborted', { reason: 'no answer before the deadline' });
  // The circuit reads the clock (Date.now): the test moves it instead of waiting out the half-open wait.
  afterEach(() => {
    vi.useRealTimers();
  });

  async function boardWithOpenLandCircuit() {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breakers = { ...OPTIONS.subgraphBreakers, land: { failures: 2, halfOpenMs: 60_000, maxHalfOpenMs: 60_000 } };
    const gated = new ConnectionBoard(routes, { ...OPTIONS, subgraphBreakers: breakers }, logger);
    await gated.probeRound();
    expect(gated.view('land')).toMatchObject({ status: 'UP', subgraphCircuit: 'CLOSED' });
    for (let i = 0; i < 2; i++)
      await gated
        .circuit('land')
        .run(() => Promise.reject(failed()))
        .catch(() => undefined);
    return gated;
  }

  it('opens after consecutive failed calls, refuses the next without calling, and shows on the board and in /ready', async () => {
    const gated = await boardWithOpenLandCircuit();
    let called = false;
    const refusal = await gated
      .circuit('land')
      .run(async () => (called = true))
      .catch((error: unknown) => error);
    expect(called).toBe(false);
    expect(refusal).toBeInstanceOf(CircuitRefusal);
    expect(refusal).toMatchObject({
      message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable (circuit open: calls are refused until a trial call succeeds).',
      extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
      reason: 'circuit open',
    });
    expect(gated.view('land')).toMatchObject({
      status: 'DEGRADED',
      reasons: ['subgraph circuit open: calls are refused until a trial call succeeds'],
      subgraphCircuit: 'OPEN',
      // The subgraph's own circuit, in front of its backend, is another one.
      circuit: 'CLOSED',
    });
    expect(gated.readiness()).toMatchObject({
      ready: true,
      degraded: expect.arrayContaining([{ system: 'land', status: 'DEGRADED', reasons: ['subgraph circuit open: calls are refused until a trial call succeeds'] }]),
      subgraphCircuits: { land: 'OPEN', population: 'CLOSED' },
    });
    // Other subgraphs' circuits are their own.
    expect(gated.circuit('population').state).toBe('CLOSED');
    await gated.stop();
  });

  it('takes a probe as the trial call once the half-open wait is over: a subgraph answering /ready closes it, one that does not keeps it open', async () => {
    const gated = await boardWithOpenLandCircuit();
    // Still waiting: the probe goes around the circuit and does not close it.
    await gated.probeNow('land');
    expect(readyRequests).toBe(2);
    expect(gated.view('land').subgraphCircuit).toBe('OPEN');

    // A /ready that answers a proxy's error page is no trial success, though it is an answer.
    vi.setSystemTime(Date.now() + 60_000);
    answer = { status: 502, body: '<html>Bad Gateway</html>' };
    await gated.probeNow('land');
    expect(gated.view('land')).toMatchObject({ subgraphCircuit: 'OPEN', lastError: { code: 'SYSTEM_BAD_RESPONSE', hop: 'SUBGRAPH' } });

    // The subgraph answers, even that its backend is down: the subgraph is back, and the circuit closes.
    vi.setSystemTime(Date.now() + 60_000);
    serve(backendDown('connection reset'));
    await gated.probeNow('land');
    expect(gated.view('land')).toMatchObject({ status: 'DOWN', reasons: ['backend not answering: connection reset'], subgraphCircuit: 'CLOSED' });
    expect(gated.readiness().subgraphCircuits.land).toBe('CLOSED');
    await gated.stop();
  });
});

describe('a new board', () => {
  it('starts with one round of probes and stops its timer', async () => {
    const started = new ConnectionBoard(routes, OPTIONS, logger);
    await started.start();
    expect(started.view('land')).toMatchObject({ status: 'UP', uptime: { probes: 1 } });
    await started.stop();
  });

  it('probes nothing once stopped', async () => {
    const stopped = new ConnectionBoard(routes, OPTIONS, logger);
    await stopped.stop();
    readyRequests = 0;
    await stopped.probeNow('land');
    await stopped.probeRound();
    expect(readyRequests).toBe(0);
    expect(stopped.view('land').reasons).toEqual(['not checked yet']);
  });
});
