import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionTestReportSchema, type ConnectionTestReport } from '../lib/connection-test.ts';
import { DEFAULT_THRESHOLDS } from '../lib/live-status.ts';
import { startMockBackend, type RunningMock } from '../lib/mock-server.ts';
import { DEFAULT_RESILIENCE } from '../lib/resilience.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../lib/access/policy.ts';
import { startSubgraph, type RunningSubgraph } from '../lib/subgraph.ts';
import type { LandAdapter } from '../subgraphs/land/adapter/client.ts';
import { landSubgraph } from '../subgraphs/land/index.ts';
import { landHandlers } from '../subgraphs/land/mock/handlers.ts';

/** A subgraph's `POST /connection-test`: the test of its own backend, beside its adapter and never through it. */
let mock: RunningMock;
let subgraph: RunningSubgraph<LandAdapter>;
beforeAll(async () => {
  mock = await startMockBackend('land', landHandlers());
  subgraph = await startSubgraph(landSubgraph, {
    backendUrl: mock.url,
    backendTimeoutMs: 2000,
    resilience: DEFAULT_RESILIENCE,
    liveStatus: DEFAULT_THRESHOLDS,
    port: 0,
    host: '127.0.0.1',
    access: { enabled: true, policy: loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE), callerSecret: undefined },
  });
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

  it('answers 200 when the backend is down, with the verdict, and leaves the adapter\'s circuit and counters alone', async () => {
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
    mock.setFault({ mode: 'slow', latencyMs: 300 });
    const [a, b, c] = await Promise.all([connectionTest(), connectionTest(), connectionTest()]);
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

// The backend's own deadline is 2 s here; a caller that gives up after 1.5 s gets an answer only if its 300 ms are honoured.
const CALLER_GIVES_UP = () => AbortSignal.timeout(1500);

describe('the caller’s deadline (x-deadline-ms) on a subgraph’s probe and test routes', () => {
  it('ends /ready’s backend probe within the prober’s deadline, as the subgraph’s own finding of a timeout', async () => {
    mock.setFault({ mode: 'slow', latencyMs: 60_000 });
    const response = await fetch(`${subgraph.url}/ready`, { headers: { 'x-deadline-ms': '300' }, signal: CALLER_GIVES_UP() });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'DOWN', backend: 'DOWN', error: { code: 'SYSTEM_TIMEOUT' } });
  });

  it('stops a connection test whose caller has no time left, as TIMED_OUT', async () => {
    mock.setFault({ mode: 'slow', latencyMs: 60_000 });
    const response = await fetch(`${subgraph.url}/connection-test`, { method: 'POST', headers: { 'x-deadline-ms': '300' }, signal: CALLER_GIVES_UP() });
    const report = connectionTestReportSchema.parse(await response.json());
    expect(report).toMatchObject({ verdict: 'TIMED_OUT', checks: [{ name: 'GET /v1/health', verdict: 'TIMED_OUT' }] });
  });
});
