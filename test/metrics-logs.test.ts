import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/runtime/logger.ts';
import { freePort } from '../lib/devkit/services.ts';
import { credentialHeaders, DEFAULT_CREDENTIAL } from '../lib/devkit/test-credentials.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/** The gateway's side of "every log line a request causes carries its request id". */
type LogLine = Record<string, unknown> & { msg: string };
const lines: LogLine[] = [];
const logger = createLogger('gateway', { level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });

let system: RunningSystem;
beforeAll(async () => {
  // The land subgraph "is" a port nobody listens on, and the gateway's circuit to it opens at the first failure.
  const nobody = await freePort();
  system = await startSystem({
    gatewayLogger: logger,
    subgraphUrlOverrides: { land: `http://127.0.0.1:${nobody}/graphql` },
    subgraphBreaker: { failures: 1, halfOpenMs: 60_000, maxHalfOpenMs: 60_000 },
  });
});
afterAll(async () => {
  await system?.close();
});

describe('gateway log lines', () => {
  it("name the request that made a subgraph call fail and opened the gateway's circuit", async () => {
    const response = await fetch(system.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-gateway-circuit-1', ...credentialHeaders(DEFAULT_CREDENTIAL) },
      body: JSON.stringify({ query: '{ citizen(personalId: "036138000123") { fullName landParcels { parcelId } } }' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { errors?: { extensions?: { system?: string } }[] };
    expect(body.errors?.[0]?.extensions?.system).toBe('land');

    const failed = lines.find((line) => line.msg === 'subgraph call failed');
    const opened = lines.find((line) => line.hop === 'subgraph' && line.circuit === 'OPEN');
    expect(failed).toMatchObject({ requestId: 'req-gateway-circuit-1', system: 'land' });
    expect(opened).toMatchObject({ requestId: 'req-gateway-circuit-1', system: 'land', service: 'gateway' });
    expect(lines.find((line) => line.msg === 'request' && line.path === '/graphql')).toMatchObject({ requestId: 'req-gateway-circuit-1' });
    // Lines no request caused (the connection board's probes) carry no request id.
    expect(lines.filter((line) => line.requestId !== undefined).every((line) => line.requestId === 'req-gateway-circuit-1')).toBe(true);
  });
});
