import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../lib/access-log/group-commit.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../lib/access/policy.ts';
import { DEFAULT_THRESHOLDS } from '../lib/runtime/live-status.ts';
import { AccessLogMetrics, ServiceMetrics } from '../lib/runtime/metrics.ts';
import { startMockBackend } from '../lib/devkit/mock-server.ts';
import { DEFAULT_RESILIENCE } from '../lib/runtime/resilience.ts';
import { startSubgraph, subgraphConfigFromEnv } from '../lib/runtime/subgraph.ts';
import { publicServicesSubgraph } from '../subgraphs/public-services/index.ts';
import { publicServicesHandlers } from '../subgraphs/public-services/mock/handlers.ts';
import { accessRecord } from '../lib/devkit/test-credentials.ts';
import { exposedNames, parseSamples, sampleValue } from '../lib/devkit/metrics-text.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

const PERSONAL_ID = '001085012345';
const DASHBOARD = new URL('../monitoring/grafana/lien-thong.json', import.meta.url);

let system: RunningSystem;
beforeAll(async () => {
  // The land backend's circuit opens after two failed calls, so one test can watch it open.
  system = await startSystem({ resilience: { retries: 0, breakerFailures: 2, breakerHalfOpenMs: 60_000, breakerMaxHalfOpenMs: 60_000 } });
});
afterAll(async () => {
  await system?.close();
});

const scrape = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

describe('/metrics', () => {
  it('counts and times a named query at the gateway and in each subgraph it reached', async () => {
    const answer = await system.query('query MetricsPrefill($id: ID!) { citizen(personalId: $id) { fullName landParcels { parcelId } } }', { id: PERSONAL_ID });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();

    const gateway = await scrape(system.gateway.metricsUrl);
    expect(sampleValue(gateway, 'lien_thong_graphql_requests_total', { operation: 'MetricsPrefill', outcome: 'ok' })).toBe(1);
    expect(sampleValue(gateway, 'lien_thong_graphql_request_duration_seconds_count', { operation: 'MetricsPrefill', outcome: 'ok' })).toBe(1);
    for (const subgraph of ['population', 'land']) {
      expect(sampleValue(gateway, 'lien_thong_subgraph_calls_total', { system: subgraph, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(gateway, 'lien_thong_subgraph_call_duration_seconds_count', { system: subgraph })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(gateway, 'lien_thong_subgraph_circuit_state', { system: subgraph, state: 'closed' })).toBe(1);
    }
    // The personal answer's access record was written in a batch of one.
    expect(sampleValue(gateway, 'lien_thong_access_log_batches_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(gateway, 'lien_thong_access_log_batch_records_count')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(gateway, 'lien_thong_access_log_up')).toBe(1);
    expect(sampleValue(gateway, 'lien_thong_access_log_circuit_state', { state: 'closed' })).toBe(1);
    // prom-client's default metrics, event-loop lag among them.
    expect(sampleValue(gateway, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(gateway, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    const land = await scrape(system.subgraphs.land.metricsUrl);
    const landRequests = parseSamples(land).filter((sample) => sample.name === 'lien_thong_graphql_requests_total');
    // The gateway names its subgraph operations after the client's: MetricsPrefill__land__1.
    expect(landRequests.map((sample) => sample.labels.operation)).toEqual([expect.stringMatching(/^MetricsPrefill__land__\d+$/)]);
    expect(sampleValue(land, 'lien_thong_backend_calls_total', { system: 'land', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(land, 'lien_thong_backend_call_duration_seconds_count', { system: 'land', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(land, 'lien_thong_backend_circuit_state', { system: 'land', state: 'closed' })).toBe(1);
    expect(sampleValue(land, 'lien_thong_backend_retries_total', { system: 'land' })).toBe(0);

    // Nothing personal, no address, no credential.
    for (const text of [gateway, land]) {
      expect(text).not.toContain(PERSONAL_ID);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toMatch(/bearer|secret|password/i);
    }
  });

  it('labels operations only by a bounded, parsed name', async () => {
    await system.query('{ provinces { code } }');
    await system.query(`query Q${PERSONAL_ID} { provinces { code } }`);
    const notParsed = await fetch(system.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ provinces {', operationName: 'ClientSaysSo' }),
    });
    expect(notParsed.status).toBe(400);

    const gateway = await scrape(system.gateway.metricsUrl);
    expect(sampleValue(gateway, 'lien_thong_graphql_requests_total', { operation: 'anonymous', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(gateway, 'lien_thong_graphql_requests_total', { operation: 'other', outcome: 'ok' })).toBe(1);
    expect(sampleValue(gateway, 'lien_thong_graphql_requests_total', { operation: 'anonymous', outcome: 'rejected' })).toBe(1);
    expect(gateway).not.toContain('ClientSaysSo');
    expect(gateway).not.toContain(PERSONAL_ID);
  });

  it('shows a backend failing, its circuit opening and the calls it then refuses', async () => {
    system.mocks.land.setFault({ mode: 'error' });
    try {
      for (let i = 0; i < 3; i++) await system.query('{ citizen(personalId: "036138000123") { fullName landParcels { parcelId } } }');
    } finally {
      system.mocks.land.setFault({ mode: 'ok' });
    }
    const land = await scrape(system.subgraphs.land.metricsUrl);
    expect(sampleValue(land, 'lien_thong_backend_calls_total', { system: 'land', outcome: 'failed' })).toBe(2);
    expect(sampleValue(land, 'lien_thong_backend_calls_total', { system: 'land', outcome: 'refused' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(land, 'lien_thong_backend_circuit_refusals_total', { system: 'land' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(land, 'lien_thong_backend_circuit_state', { system: 'land', state: 'open' })).toBe(1);
    expect(sampleValue(land, 'lien_thong_backend_circuit_state', { system: 'land', state: 'closed' })).toBe(0);
    const gateway = await scrape(system.gateway.metricsUrl);
    expect(sampleValue(gateway, 'lien_thong_graphql_requests_total', { operation: 'anonymous', outcome: 'partial' })).toBeGreaterThanOrEqual(3);
  });

  it('is not behind access control', async () => {
    const response = await fetch(system.gateway.metricsUrl, { headers: {} });
    expect(response.status).toBe(200);
  });
});

describe('the access log metrics', () => {
  it('count batches, their records, write time and failures', async () => {
    const metrics = new ServiceMetrics('test');
    const accessLog = new AccessLogMetrics(metrics.registry);
    let fail = false;
    const commits = new GroupCommit(
      () => {
        if (fail) throw Object.assign(new Error('disk full'), { code: '53100' });
      },
      { observer: accessLog, breakerFailures: 1, halfOpenAfterMs: 60_000 },
    );
    accessLog.watch({ health: () => commits.health('sqlite') });
    const append = (n: number) =>
      commits.append([accessRecord(n)]).then(
        () => 'ok',
        (error: { code?: string }) => error.code ?? 'error',
      );
    // Three appends in one turn of the event loop: one transaction of three records.
    expect(await Promise.all([append(1), append(2), append(3)])).toEqual(['ok', 'ok', 'ok']);
    fail = true;
    expect(await append(4)).toBe('53100');
    expect(await append(5)).toBe('ACCESS_LOG_UNAVAILABLE');

    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'lien_thong_access_log_batches_total', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'lien_thong_access_log_batches_total', { outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'lien_thong_access_log_batch_records_sum')).toBe(4);
    expect(sampleValue(text, 'lien_thong_access_log_batch_records_bucket', { le: '2' })).toBe(1);
    expect(sampleValue(text, 'lien_thong_access_log_write_duration_seconds_count', { outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'lien_thong_access_log_refusals_total')).toBe(1);
    expect(sampleValue(text, 'lien_thong_access_log_circuit_state', { state: 'open' })).toBe(1);
    expect(sampleValue(text, 'lien_thong_access_log_up')).toBe(0);
    await commits.close();
  });
});

describe('a metrics port of its own', () => {
  it('is read from <SYSTEM>_SUBGRAPH_METRICS_PORT, unset by default', () => {
    expect(subgraphConfigFromEnv('land', { LAND_SUBGRAPH_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(subgraphConfigFromEnv('land', {}).metricsPort).toBeUndefined();
    expect(() => subgraphConfigFromEnv('land', { LAND_SUBGRAPH_METRICS_PORT: 'x' })).toThrow(/LAND_SUBGRAPH_METRICS_PORT/);
  });

  it('serves /metrics there only, and not on the service port', async () => {
    const mock = await startMockBackend('public-services', publicServicesHandlers());
    const subgraph = await startSubgraph(publicServicesSubgraph, {
      backendUrl: mock.url,
      backendTimeoutMs: 2000,
      resilience: DEFAULT_RESILIENCE,
      liveStatus: DEFAULT_THRESHOLDS,
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      access: { enabled: false, policy: loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE), callerSecret: undefined },
    });
    try {
      expect(new URL(subgraph.metricsUrl).port).not.toBe(String(subgraph.port));
      expect((await fetch(subgraph.metricsUrl)).status).toBe(200);
      expect((await fetch(`${subgraph.url}/metrics`)).status).toBe(404);
      expect((await fetch(new URL('/graphql', subgraph.metricsUrl))).status).toBe(404);
    } finally {
      await subgraph.close();
      await mock.close();
    }
  });
});

describe('the Grafana dashboard', () => {
  it('parses, and queries only metrics that /metrics exposes', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title: string; panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.title).toBe('Liên thông');
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(exprs.length).toBeGreaterThan(10);
    // Label values and selectors removed, the remaining identifiers of our families are metric names.
    const used = new Set(exprs.flatMap((expr) => [...expr.replace(/\{[^}]*\}/g, '').matchAll(/\b(?:lien_thong|nodejs|process)_[a-z0-9_]+\b/g)].map((match) => match[0])));
    const exposed = new Set([
      ...exposedNames(await scrape(system.gateway.metricsUrl)),
      ...exposedNames(await scrape(system.subgraphs.land.metricsUrl)),
      // Prometheus's own series for each target.
      'up',
    ]);
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
