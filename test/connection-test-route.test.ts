import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionTestReportSchema, type ConnectionTestReport } from '../lib/backend/connection-test.ts';
import { DEFAULT_THRESHOLDS } from '../lib/runtime/live-status.ts';
import { startMockBackend, type RunningMock } from '../lib/devkit/mock-server.ts';
import { DEFAULT_RESILIENCE } from '../lib/runtime/resilience.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../lib/access/policy.ts';
import { startSubgraph, type RunningSubgraph } from '../lib/runtime/subgraph.ts';
import type { LandAdapter } from '../subgraphs/land/adapter/client.ts';
import { landSubgraph } from '../subgraphs/land/index.ts';
import { landHandlers } from '../subgraphs/land/mock/handlers.ts';

/** A subgraph's `POST /connection-test`: the test of its own backend, beside its adapter and never through it. */
let mock: RunningMock;
let subgraph: RunningSubgraph<LandAdapter>;
const startLand = (backendTimeoutMs: number) =>
  startSubgraph(landSubgraph, {
    backendUrl: mock.url,
    backendTimeoutMs,
    resilience: DEFAULT_RESILIENCE,
    liveStatus: DEFAULT_THRESHOLDS,
    port: 0,
    host: '127.0.0.1',
    access: { enabled: true, policy: loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE), callerSecret: undefined },
  });
/** Every backend answer waits for this; open, except while a test holds the backend. */
let backendGate: Promise<void> = Promise.resolve();
beforeAll(async () => {
  mock = await startMockBackend(
    'land',
    landHandlers().map((declared) => ({ ...declared, handler: async (request) => (await backendGate, declared.handler(request)) })),
  );
  subgraph = await startLand(2000);
});
afterEach(() => {
  mock.setFault({ mode: 'ok' });
  mock.resetStats();
});
afterAll(async () => {
  await subgraph.close();
  await mock.close();
});

async function connectionTest(): Promise<{ status: number; report: ConnectionTestReport }> {
  const response = await fetch(`${subgraph.url}/connection-test`, { method: 'POST' });
  return { status: response.status, report: connectionTestReportSchema.parse(await response.json()) };
}

describe('POST /connection-test on a subgraph', () => {
  it('answers 200 with the report of its backend, which passes on the mock', async () => {
    const { status, report } = await connectionTest();
    expect(status).toBe(200);
    expect(report).toMatchObject({ system: 'land', verdict: 'PASSED', problem: null });
    expect(report.checks.map((c) => c.name)).toEqual(landSubgraph.contractChecks.map((c) => c.name));
  });

  it("answers 200 when the backend is down, with the verdict, and leaves the adapter's circuit and counters alone", async () => {
    const before = subgraph.adapter.health();
    mock.setFault({ mode: 'down' });
    for (let i = 0; i < DEFAULT_RESILIENCE.breakerFailures + 1; i++) {
      const { status, report } = await connectionTest();
      expect(status).toBe(200);
      expect(report).toMatchObject({ system: 'land', verdict: 'UNREACHABLE', problem: 'connection closed by the system before an answer' });
    }
    expect(subgraph.adapter.health()).toEqual(before);
    expect(subgraph.adapter.health()).toMatchObject({ circuit: 'CLOSED', calls: 0, failedCalls: 0, recentFailures: [] });
  });

  it('shares one test between concurrent requests', async () => {
    // The backend holds its answers until the subgraph has received all three requests, so the three
    // overlap however slow the machine (the route joins a test under way when the request arrives).
    let release = () => {};
    backendGate = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    const onRequest = (req: IncomingMessage) => {
      if (req.url === '/connection-test' && ++arrived === 3) release();
    };
    subgraph.server.on('request', onRequest);
    const [a, b, c] = await Promise.all([connectionTest(), connectionTest(), connectionTest()]).finally(() => {
      subgraph.server.off('request', onRequest);
      backendGate = Promise.resolve();
    });
    expect(b.report).toEqual(a.report);
    expect(c.report).toEqual(a.report);
    expect(mock.stats().requests).toBe(landSubgraph.contractChecks.length);
  });

  it('is POST only; the GET routes are unchanged', async () => {
    const response = await fetch(`${subgraph.url}/connection-test`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect((await fetch(`${subgraph.url}/health`)).status).toBe(200);
    expect((await fetch(`${subgraph.url}/connection-test`, { method: 'PUT' })).status).toBe(405);
  });
});

describe('the caller’s deadline (x-deadline-ms) on a subgraph’s probe and test routes', () => {
  // The backend answers after 2 minutes and the subgraph's own deadline is as long: only the caller's
  // 300 ms can end these calls before the test's own timeout, however slow the machine.
  const BACKEND_MS = 120_000;
  let patient: RunningSubgraph<LandAdapter>;
  beforeAll(async () => {
    patient = await startLand(BACKEND_MS);
  });
  afterAll(() => patient.close());

  it('ends /ready’s backend probe within the prober’s deadline, as the subgraph’s own finding of a timeout', async () => {
    mock.setFault({ mode: 'slow', latencyMs: BACKEND_MS });
    const response = await fetch(`${patient.url}/ready`, { headers: { 'x-deadline-ms': '300' } });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'DOWN', backend: 'DOWN', error: { code: 'SYSTEM_TIMEOUT' } });
  });

  it('stops a connection test whose caller has no time left, as TIMED_OUT', async () => {
    mock.setFault({ mode: 'slow', latencyMs: BACKEND_MS });
    const response = await fetch(`${patient.url}/connection-test`, { method: 'POST', headers: { 'x-deadline-ms': '300' } });
    const report = connectionTestReportSchema.parse(await response.json());
    expect(report).toMatchObject({ verdict: 'TIMED_OUT', checks: [{ name: 'GET /v1/health', verdict: 'TIMED_OUT' }] });
  });
});
