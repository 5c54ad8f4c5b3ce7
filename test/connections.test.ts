import { afterAll, describe, expect, it, vi } from 'vitest';
import { perSystem, SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';
import { startSystem } from '../lib/devkit/in-process-system.ts';

/**
 * The live connection board end to end: the gateway probes each subgraph's `/ready` (and through
 * it each backend) every 200 ms here, learns from real traffic, and answers `connections`, its own
 * `/ready` and `testConnection`. A backend goes down and comes back; a subgraph goes away and
 * comes back.
 */

const PROBE_INTERVAL_MS = 200;
// A failed call keeps a system DEGRADED this long (the tests that wait for it to pass wait at most AGED_OUT).
const FAILURE_WINDOW_MS = 8000;
// A probe counts as slow only past 5 s here, so that a busy test machine does not make a system DEGRADED.
const system = await startSystem({
  probeIntervalMs: PROBE_INTERVAL_MS,
  liveStatus: { failureWindowMs: FAILURE_WINDOW_MS, slowMs: 5000 },
  resilience: { breakerHalfOpenMs: 200, breakerMaxHalfOpenMs: 200 },
});
afterAll(() => system.close());

const CONNECTIONS = `{
  connections {
    system systemId name status reasons latencyMs checkedAt lastSuccessAt circuit subgraphCircuit
    lastError { code message hop at }
    owner { code name agency { name populationDbConnection { status } } }
    owners { code name validFrom validTo agency { id } }
    traffic { windowSeconds subgraphCalls subgraphFailures backendCalls backendFailures }
    uptime { ratio probes answered since }
    history(limit: 3) { at status latencyMs errorCode }
  }
}`;

interface Connection {
  system: string;
  systemId: string;
  status: string;
  reasons: string[];
  latencyMs: number | null;
  circuit: string | null;
  lastError: { code: string; message: string; hop: string; at: string } | null;
  owner: { code: string; name: string; agency: { name: string; populationDbConnection: { status: string } } | null } | null;
  owners: { code: string; name: string; validFrom: string | null; validTo: string | null; agency: { id: string } | null }[];
  uptime: { ratio: number | null; probes: number; answered: number };
  history: { status: string }[];
}

async function connections(): Promise<Record<string, Connection>> {
  const { status, body } = await system.query(CONNECTIONS);
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  const list = (body.data as { connections: Connection[] }).connections;
  return Object.fromEntries(list.map((c) => [c.systemId, c]));
}

const statuses = async () => Object.fromEntries(Object.entries(await connections()).map(([id, c]) => [id, c.status]));
const ALL_UP = perSystem(() => 'UP');
const ALL_CLOSED = perSystem(() => 'CLOSED');
// Polls the board until it shows what is expected: a bound on how long the board may take, not a timing assertion.
const WITHIN = { timeout: 10_000, interval: 100 };
// Back to UP only once the failures have aged out of the window.
const AGED_OUT = { timeout: FAILURE_WINDOW_MS + 20_000, interval: 100 };

/** Every string in an answer: where an address could leak (numbers such as a latency of 1234 ms are not addresses). */
const textsOf = (value: unknown): string[] => (typeof value === 'string' ? [value] : value !== null && typeof value === 'object' ? Object.values(value).flatMap(textsOf) : []);
const ADDRESS = /127\.0\.0\.1|localhost|:\d{4,5}\b/;

const gatewayReady = async () => {
  const response = await fetch(`${system.gateway.url}/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

async function testConnection(system_: string) {
  const { status, body } = await system.query(
    `mutation Test($system: System!) {
      testConnection(system: $system) {
        system ok verdict problem testedAt connectMs firstByteMs totalMs
        checks { name expectation verdict httpStatus firstByteMs totalMs problem }
      }
    }`,
    { system: system_ },
  );
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  return (body.data as { testConnection: Record<string, any> }).testConnection;
}

describe('connections', () => {
  it('shows every system UP, in a fixed order, with its owner, latency, circuit and a clean history', async () => {
    const { body } = await system.query(CONNECTIONS);
    const list = (body.data as { connections: Connection[] }).connections;
    expect(list.map((c) => [c.system, c.systemId])).toEqual(SYSTEM_IDS.map((id) => [SYSTEMS[id].envPrefix, id]));
    expect(list.slice(0, 4).map((c) => c.system)).toEqual(['POPULATION', 'CIVIL_STATUS', 'LAND', 'PUBLIC_SERVICES']);
    for (const c of list) {
      expect(c).toMatchObject({ status: 'UP', reasons: [], circuit: 'CLOSED', subgraphCircuit: 'CLOSED', lastError: null });
      expect(c.latencyMs).toEqual(expect.any(Number));
      expect(c.uptime.ratio).toBe(1);
      expect(c.history.every((h) => h.status === 'UP')).toBe(true);
    }
    // The owner joins the programme registry of the public-services subgraph.
    expect(list[0]!.owner).toEqual({
      code: 'BCA',
      name: 'Bộ Công an',
      agency: { name: 'Bộ Công an', populationDbConnection: { status: 'OPERATOR' } },
    });
    // The land database's owner today is Bộ Nông nghiệp và Môi trường, formed from Bộ Tài nguyên và Môi trường on 2025-03-01.
    expect(list[2]!.owner).toEqual({
      code: 'BNNMT',
      name: 'Bộ Nông nghiệp và Môi trường',
      agency: { name: 'Bộ Nông nghiệp và Môi trường', populationDbConnection: { status: 'NOT_REPORTED' } },
    });
    expect(list[2]!.owners).toEqual([
      { code: 'BTNMT', name: 'Bộ Tài nguyên và Môi trường', validFrom: null, validTo: '2025-02-28', agency: { id: 'BTNMT' } },
      { code: 'BNNMT', name: 'Bộ Nông nghiệp và Môi trường', validFrom: '2025-03-01', validTo: null, agency: { id: 'BNNMT-2025-03-01' } },
    ]);
    // No published report names the owner of the statistics system: none is asserted.
    expect(list[3]!.owner).toBeNull();
    expect(list[3]!.owners).toEqual([]);
    expect(await gatewayReady()).toMatchObject({
      status: 200,
      body: { ready: true, status: 'UP', degraded: [], systems: ALL_UP, subgraphCircuits: ALL_CLOSED },
    });
  });

  it('shows a backend that goes down as DOWN with its error within the probe interval, and UP again once it is back', async () => {
    system.mocks.land.setFault({ mode: 'down' });
    await expect.poll(statuses, WITHIN).toEqual({ ...ALL_UP, land: 'DOWN' });
    const land = (await connections()).land!;
    expect(land.reasons).toEqual([expect.stringMatching(/^backend not answering: connection (reset|closed by the system|refused)/)]);
    expect(land.lastError).toMatchObject({ code: 'SYSTEM_UNAVAILABLE', hop: 'BACKEND' });
    expect(land.latencyMs).toBeNull();
    expect(textsOf(land).filter((text) => ADDRESS.test(text))).toEqual([]);

    // The gateway can still answer (the others are up) and says what is degraded.
    const ready = await gatewayReady();
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, status: 'DEGRADED', degraded: [{ system: 'land', status: 'DOWN' }] });
    // So does the land subgraph's own /ready, which cannot answer.
    const landReady = await fetch(`${system.subgraphs.land.url}/ready`);
    expect(landReady.status).toBe(503);
    expect(await landReady.json()).toMatchObject({ ready: false, system: 'land', status: 'DOWN', backend: 'DOWN' });

    // The connection test names what is wrong, and no address.
    const test = await testConnection('LAND');
    expect(test).toMatchObject({ system: 'LAND', ok: false, verdict: 'UNREACHABLE', connectMs: expect.any(Number) });
    expect(test.problem).toMatch(/^connection (reset|closed)/);
    expect(textsOf(test).filter((text) => ADDRESS.test(text))).toEqual([]);

    system.mocks.land.setFault({ mode: 'ok' });
    await expect.poll(statuses, AGED_OUT).toEqual(ALL_UP);
    expect((await gatewayReady()).body).toMatchObject({ ready: true, status: 'UP', degraded: [] });
    const recovered = (await connections()).land!;
    expect(recovered.uptime.answered).toBeLessThan(recovered.uptime.probes);
    expect(recovered.lastError).toMatchObject({ code: 'SYSTEM_UNAVAILABLE', hop: 'BACKEND' });
  });

  it('learns from real traffic: failed calls for clients make the system DEGRADED until they age out', async () => {
    // The window is read on the clock (Date), which stands still until the test moves it past the
    // window: however slow the machine, the failure is still in the window when the board is asked.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await degradedUntilAgedOut();
    } finally {
      vi.useRealTimers();
    }
  });

  async function degradedUntilAgedOut() {
    system.mocks.land.setFault({ mode: 'error' });
    const portal = await system.query(`{ citizen(personalId: "001085001234") { fullName landParcels { parcelId } } }`);
    expect(portal.body.errors?.[0]?.extensions).toMatchObject({ code: 'SYSTEM_UNAVAILABLE', system: 'land' });
    system.mocks.land.setFault({ mode: 'ok' });
    // The failure comes back from the subgraph's counters: HTTP 500 with its reason, not just a code.
    await expect
      .poll(async () => (await connections()).land, WITHIN)
      .toMatchObject({
        status: 'DEGRADED',
        reasons: [expect.stringMatching(/^\d+ failed backend calls? in the last 8 s \(latest: HTTP 500\)$/)],
        // The latest failure is the client's call, or the early probe that call triggered if it ran before the fault was lifted.
        lastError: { code: 'SYSTEM_UNAVAILABLE', hop: 'BACKEND', message: expect.stringMatching(/^backend (call failed|not answering): HTTP 500$/) },
      });
    vi.setSystemTime(Date.now() + FAILURE_WINDOW_MS + 1);
    await expect.poll(statuses, WITHIN).toEqual(ALL_UP);
  }

  it('returns to UP after an outage that opened the circuit, with no client calls: the probe is the trial call', async () => {
    system.mocks.land.setFault({ mode: 'error' });
    for (let i = 0; i < 6; i++) await system.query(`{ landParcel(parcelId: "TD-001-CG-0012-0345") { area } }`);
    await expect.poll(async () => (await connections()).land, WITHIN).toMatchObject({ status: 'DOWN', circuit: 'OPEN' });
    system.mocks.land.setFault({ mode: 'ok' });
    await expect.poll(async () => (await connections()).land, AGED_OUT).toMatchObject({ status: 'UP', circuit: 'CLOSED' });
  });

  it('shows a subgraph that goes away as DOWN on the subgraph leg, and UP once it is back', async () => {
    await system.stopSubgraph('civil-status');
    await expect.poll(statuses, WITHIN).toEqual({ ...ALL_UP, 'civil-status': 'DOWN' });
    expect((await connections())['civil-status']).toMatchObject({
      reasons: ['subgraph not answering: connection refused'],
      circuit: null,
      lastError: { code: 'SYSTEM_UNAVAILABLE', hop: 'SUBGRAPH' },
    });
    const test = await testConnection('CIVIL_STATUS');
    expect(test).toMatchObject({ ok: false, verdict: 'SUBGRAPH_UNREACHABLE', problem: 'subgraph not answering: connection refused', checks: [] });
    await system.restartSubgraph('civil-status');
    await expect.poll(statuses, AGED_OUT).toEqual(ALL_UP);
  });

  it('tests a healthy connection with timings and every contract check passed', async () => {
    const test = await testConnection('PUBLIC_SERVICES');
    expect(test).toMatchObject({ system: 'PUBLIC_SERVICES', ok: true, verdict: 'PASSED', problem: null });
    for (const timing of [test.connectMs, test.firstByteMs, test.totalMs]) expect(timing).toEqual(expect.any(Number));
    expect(test.checks[0]).toMatchObject({ name: 'GET /v1/health', verdict: 'PASSED', httpStatus: 200, problem: null });
    expect(test.checks.length).toBeGreaterThan(1);
    expect(test.checks.every((c: { verdict: string }) => c.verdict === 'PASSED')).toBe(true);
  });

  it('refuses a history limit out of range, and an unknown system, as client errors', async () => {
    const history = await system.query(`{ connections { history(limit: 501) { at } } }`);
    expect(history.body.errors?.[0]).toMatchObject({
      message: 'Invalid argument limit: expected a whole number from 1 to 500.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const unknown = await system.query(`{ connection(system: MARRIAGE) { status } }`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
