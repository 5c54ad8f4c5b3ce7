import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ApolloGateway } from '@apollo/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv, startGateway } from '../gateway/server.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { credentialHeaders, DEFAULT_CREDENTIAL, temporaryAccessLogPath, testEnvironment } from '../lib/devkit/test-credentials.ts';

let system: RunningSystem;
const PORTAL_ORIGIN = 'https://dichvucong.gov.vn';
beforeAll(async () => {
  // The backends' deadline is well above the 2 s for which the in-flight tests below hold a backend's answers.
  system = await startSystem({ corsOrigins: [PORTAL_ORIGIN], backendTimeoutMs: 10_000 });
});
afterAll(() => system.close());

const SUPERGRAPH = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));
const CROSS_SECTOR = `{ citizen(personalId: "${NAMED_IDS.head}") { fullName maritalStatus landParcels { parcelId } } }`;

describe('gateway', () => {
  it('serves a landing page that loads nothing from the internet', async () => {
    const response = await fetch(system.gateway.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>Liên thông — GraphQL</title>');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('answers /health and /ready, and sends / to the GraphQL endpoint', async () => {
    expect((await fetch(`${system.gateway.url}/health`)).status).toBe(200);
    expect((await fetch(`${system.gateway.url}/ready`)).status).toBe(200);
    const root = await fetch(`${system.gateway.url}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/graphql']);
  });

  it('lets only the configured portal origins call it from a browser', async () => {
    const preflight = (origin: string) =>
      fetch(system.gateway.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight(PORTAL_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL_ORIGIN);
    // A portal states who calls and why in headers of its own, which the browser must be let send.
    expect(allowed.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['authorization', 'x-api-key', 'x-purpose-code', 'x-case-number']));
    const other = await preflight('https://attacker.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never creates Apollo’s usage-telemetry exporter', async () => {
    // The gateway module calls the exporter factory through this CommonJS exports object.
    const telemetry = createRequire(import.meta.url)('@apollo/gateway/dist/utilities/opentelemetry.js') as {
      createDataCollectionExporter: () => unknown;
    };
    const factory = telemetry.createDataCollectionExporter;
    let created = 0;
    telemetry.createDataCollectionExporter = () => {
      created++;
      return { shutdown: async () => undefined };
    };
    try {
      delete process.env.APOLLO_TELEMETRY_DISABLED;
      new ApolloGateway({ supergraphSdl: readFileSync(SUPERGRAPH, 'utf8') });
      expect(created, 'control: a stock gateway creates it').toBe(1);
      const logFile = temporaryAccessLogPath();
      const gateway = await startGateway({ ...gatewayConfigFromEnv(testEnvironment(logFile.path)), supergraphPath: SUPERGRAPH, port: 0 });
      await gateway.close();
      logFile.remove();
      expect(created).toBe(1);
    } finally {
      telemetry.createDataCollectionExporter = factory;
      process.env.APOLLO_TELEMETRY_DISABLED = '1';
    }
  });

  it('echoes the caller’s request id and passes it through every subgraph to every backend', async () => {
    system.resetCounters();
    const response = await fetch(system.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'case-2026-0042', ...credentialHeaders(DEFAULT_CREDENTIAL) },
      body: JSON.stringify({ query: CROSS_SECTOR }),
    });
    expect(response.headers.get('x-request-id')).toBe('case-2026-0042');
    for (const id of ['population', 'civil-status', 'land'] as const) {
      expect(system.mocks[id].stats().recentRequestIds, id).toEqual(['case-2026-0042']);
    }
  });

  it('makes up a request id when the caller sends none or an unsafe one', async () => {
    const response = await fetch(system.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad id\twith <html>' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the other systems’ data when a backend is down, naming only the failed system', async () => {
    system.mocks.land.setFault({ mode: 'down' });
    try {
      const { status, body } = await system.query(CROSS_SECTOR);
      expect(status).toBe(200);
      expect(body.data).toEqual({ citizen: { fullName: 'Nguyễn Văn An', maritalStatus: 'MARRIED', landParcels: null } });
      expect(body.errors).toEqual([
        {
          message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable.',
          path: ['citizen', 'landParcels'],
          extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
        },
      ]);
    } finally {
      system.mocks.land.setFault({ mode: 'ok' });
    }
  });

  it('masks an unreachable subgraph: no URL, port, status text or body reaches the client', async () => {
    const civilStatusPort = system.subgraphs['civil-status'].port;
    await system.subgraphs['civil-status'].close();
    const { status, body } = await system.query(CROSS_SECTOR);
    expect(status).toBe(200);
    expect(body.data).toEqual({ citizen: { fullName: 'Nguyễn Văn An', maritalStatus: null, landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] } });
    expect(body.errors?.map((e) => e.extensions)).toEqual([{ code: 'SYSTEM_UNAVAILABLE', system: 'civil-status' }]);
    const text = JSON.stringify(body);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(String(civilStatusPort));
    expect(text).not.toMatch(/ECONNREFUSED|stack|serviceName/);
  });
});

describe('identical subgraph calls in flight at once', () => {
  it('sends a public one once and gives every caller the same answer', async () => {
    const publicServices = system.mocks['public-services'];
    // Slow, so that the first call is still in flight when the others arrive: 2 s, some fifty times what the gateway takes to receive all eight.
    publicServices.setFault({ mode: 'slow', latencyMs: 2000 });
    publicServices.resetStats();
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => system.query('{ provinces { code name } }', {}, { as: null })));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(answers[0]!.body.errors).toBeUndefined();
      for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
      // The connection board's health probe may reach the mock meanwhile: only the provinces are counted.
      expect(publicServices.stats().byRoute['GET /v1/provinces']).toBe(1);
    } finally {
      publicServices.setFault({ mode: 'ok' });
    }
  });

  it('never shares a call made for a caller (personal data): each is sent', async () => {
    const population = system.mocks.population;
    population.setFault({ mode: 'slow', latencyMs: 2000 });
    population.resetStats();
    try {
      const query = `{ citizen(personalId: "${NAMED_IDS.head}") { fullName } }`;
      const answers = await Promise.all(Array.from({ length: 3 }, () => system.query(query)));
      for (const answer of answers) expect(answer.body).toEqual({ data: { citizen: { fullName: 'Nguyễn Văn An' } } });
      expect(population.stats().byRoute['POST /v1/citizens/batch-get']).toBe(3);
    } finally {
      population.setFault({ mode: 'ok' });
    }
  });

  it('shares none with access control off (benchmarks), where the access policy judges no operation public', async () => {
    const open = await startSystem({ access: { enabled: false }, backendTimeoutMs: 10_000 });
    try {
      const population = open.mocks.population;
      population.setFault({ mode: 'slow', latencyMs: 2000 });
      const query = `{ citizen(personalId: "${NAMED_IDS.head}") { fullName } }`;
      const answers = await Promise.all(Array.from({ length: 3 }, () => open.query(query)));
      for (const answer of answers) expect(answer.body).toEqual({ data: { citizen: { fullName: 'Nguyễn Văn An' } } });
      expect(population.stats().byRoute['POST /v1/citizens/batch-get']).toBe(3);
    } finally {
      await open.close();
    }
  });
});
