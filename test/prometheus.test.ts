import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/devkit/services.ts';
import { SYSTEM_IDS } from '../lib/runtime/systems.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * A real Prometheus (Debian package `prometheus`) scrapes the gateway and the subgraphs every second
 * and loads the alert rules from the repository; the test reads back through its HTTP API.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const RULES = fileURLToPath(new URL('../monitoring/prometheus/alerts.yml', import.meta.url));
const EXAMPLE_CONFIG = fileURLToPath(new URL('../monitoring/prometheus/prometheus.yml', import.meta.url));
const run = promisify(execFile);

let system: RunningSystem;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let workDir: string;
let prometheusOutput = '';

function targetOf(url: string): string {
  return new URL(url).host;
}

beforeAll(async () => {
  for (const binary of [PROMETHEUS, PROMTOOL]) {
    if (!existsSync(binary)) throw new Error(`${binary} not found: install the Debian package prometheus (apt-get install -y --no-install-recommends prometheus)`);
  }
  system = await startSystem();
  workDir = mkdtempSync(join(tmpdir(), 'lien-thong-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(RULES)}`,
    'scrape_configs:',
    '  - job_name: lien-thong-gateway',
    '    static_configs:',
    `      - targets: [${JSON.stringify(targetOf(system.gateway.metricsUrl))}]`,
    '  - job_name: lien-thong-subgraph',
    '    static_configs:',
    `      - targets: [${SYSTEM_IDS.map((id) => JSON.stringify(targetOf(system.subgraphs[id].metricsUrl))).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(workDir, 'prometheus.yml'), config);
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(PROMETHEUS, [`--config.file=${join(workDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(workDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusOutput += chunk.toString()));
  prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusOutput += chunk.toString()));
  await waitFor(async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.status === 200, 30_000, 'Prometheus to be ready');
}, 60_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await system?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (Date.now() < giveUpAt) {
    if (prometheus?.exitCode !== null && prometheus?.exitCode !== undefined) throw new Error(`Prometheus exited (${prometheus.exitCode}): ${prometheusOutput}`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; Prometheus said:\n${prometheusOutput.slice(-3000)}`);
}

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorResult[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
  const body = (await response.json()) as { status: string; data: { resultType: string; result: VectorResult[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

describe('Prometheus', () => {
  it('scrapes the gateway and every subgraph', async () => {
    const targets = 1 + SYSTEM_IDS.length;
    await waitFor(async () => (await query('up{job=~"lien-thong-.*"} == 1')).length === targets, 30_000, `all ${targets} targets up`);
    const up = await query('up{job=~"lien-thong-.*"}');
    expect(up.map((series) => series.metric.job).sort()).toEqual(['lien-thong-gateway', ...Array<string>(SYSTEM_IDS.length).fill('lien-thong-subgraph')]);
  });

  it("reads back the gateway's request counter for a query the test sent", async () => {
    const answer = await system.query('query PrometheusReadBack { provinces { code } }');
    expect(answer.status).toBe(200);
    const promql = 'lien_thong_graphql_requests_total{job="lien-thong-gateway",operation="PrometheusReadBack",outcome="ok"}';
    await waitFor(async () => (await query(promql)).length === 1, 30_000, promql);
    const [series] = await query(promql);
    expect(series!.value[1]).toBe('1');
    expect(series!.metric.instance).toBe(targetOf(system.gateway.metricsUrl));
    // The subgraph that answered counted its side, and its backend call.
    const backend = 'lien_thong_backend_calls_total{job="lien-thong-subgraph",system="public-services",outcome="ok"} >= 1';
    await waitFor(async () => (await query(backend)).length === 1, 30_000, backend);
    const lag = await query('nodejs_eventloop_lag_seconds{job="lien-thong-gateway"}');
    expect(lag).toHaveLength(1);
  });

  it('loads the alert rules from the repository', async () => {
    const response = await fetch(`${prometheusUrl}/api/v1/rules?type=alert`);
    const body = (await response.json()) as { status: string; data: { groups: { name: string; file: string; rules: { name: string; health: string; state: string }[] }[] } };
    expect(body.status).toBe('success');
    const [group] = body.data.groups;
    expect(group?.file).toBe(RULES);
    const names = group!.rules.map((rule) => rule.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'LienThongProcessDown',
        'LienThongSystemDown',
        'LienThongHighErrorRate',
        'LienThongAccessLogUnavailable',
        'LienThongSubgraphCircuitOpen',
        'LienThongBackendCircuitOpen',
      ]),
    );
    // Evaluated against the live series without error, and nothing is firing on a healthy system.
    await waitFor(
      async () => {
        const rules = ((await (await fetch(`${prometheusUrl}/api/v1/rules?type=alert`)).json()) as typeof body).data.groups[0]!.rules;
        return rules.every((rule) => rule.health === 'ok');
      },
      15_000,
      'every rule evaluated',
    );
    const rules = ((await (await fetch(`${prometheusUrl}/api/v1/rules?type=alert`)).json()) as typeof body).data.groups[0]!.rules;
    expect(rules.filter((rule) => rule.state === 'firing').map((rule) => rule.name)).toEqual([]);
  });

  it('promtool accepts the rules and the example configuration', async () => {
    const rules = await run(PROMTOOL, ['check', 'rules', RULES]);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const config = await run(PROMTOOL, ['check', 'config', EXAMPLE_CONFIG]);
    expect(config.stdout).toContain('SUCCESS');
    const generated = await run(PROMTOOL, ['check', 'config', join(workDir, 'prometheus.yml')]);
    expect(generated.stdout).toContain('SUCCESS');
  });
});
