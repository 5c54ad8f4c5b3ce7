import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../access/policy.ts';
import { DEFAULT_THRESHOLDS } from './live-status.ts';
import { createLogger } from './logger.ts';
import { startMockBackend, type RunningMock } from '../devkit/mock-server.ts';
import { addRequestContextFields, currentRequestContext, registerLogFields, runOutsideRequestContext, runWithRequestContext } from './request-context.ts';
import { DEFAULT_RESILIENCE } from './resilience.ts';
import { startSubgraph, type Adapter, type RunningSubgraph } from './subgraph.ts';
import { publicServicesSubgraph } from '../../subgraphs/public-services/index.ts';
import { publicServicesHandlers } from '../../subgraphs/public-services/mock/handlers.ts';

type LogLine = Record<string, unknown> & { msg: string };

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(service: string) {
  const lines: LogLine[] = [];
  const logger = createLogger(service, { level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  return { logger, lines };
}

describe('the request id on log lines', () => {
  it('is on every line logged inside a request, including lines from callbacks and later turns', async () => {
    const { logger, lines } = capturingLogger('unit');
    logger.info('before');
    await runWithRequestContext('req-unit-1', async () => {
      logger.info('sync');
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.warn('after a timer');
      addRequestContextFields({ traceId: 'abc123' });
      logger.error({ requestId: 'named-by-the-call' }, 'explicit id wins');
      runOutsideRequestContext(() => logger.info('outside'));
    });
    logger.info('after');
    expect(lines.map((line) => [line.msg, line.requestId, line.traceId])).toEqual([
      ['before', undefined, undefined],
      ['sync', 'req-unit-1', undefined],
      ['after a timer', 'req-unit-1', undefined],
      ['explicit id wins', 'named-by-the-call', 'abc123'],
      ['outside', undefined, undefined],
      ['after', undefined, undefined],
    ]);
    expect(currentRequestContext()).toBeUndefined();
  });

  it('carries fields that registered providers compute for each line', () => {
    const { logger, lines } = capturingLogger('unit');
    let spanId = 'span-1';
    const unregister = registerLogFields(() => (currentRequestContext() ? { spanId } : undefined));
    try {
      runWithRequestContext('req-unit-2', () => {
        logger.info('first');
        spanId = 'span-2';
        logger.info('second');
      });
      logger.info('outside');
    } finally {
      unregister();
    }
    runWithRequestContext('req-unit-3', () => logger.info('unregistered'));
    expect(lines.map((line) => [line.msg, line.requestId, line.spanId])).toEqual([
      ['first', 'req-unit-2', 'span-1'],
      ['second', 'req-unit-2', 'span-2'],
      ['outside', undefined, undefined],
      ['unregistered', 'req-unit-3', undefined],
    ]);
  });
});

describe('a subgraph request whose backend fails', () => {
  let mock: RunningMock;
  let subgraph: RunningSubgraph<Adapter>;
  const { logger, lines } = capturingLogger('public-services-subgraph');

  beforeAll(async () => {
    mock = await startMockBackend('public-services', publicServicesHandlers());
    subgraph = await startSubgraph(
      publicServicesSubgraph,
      {
        backendUrl: mock.url,
        backendTimeoutMs: 2000,
        // The first failed call opens the circuit, so one request causes both lines.
        resilience: { ...DEFAULT_RESILIENCE, retries: 0, breakerFailures: 1, breakerHalfOpenMs: 60_000, breakerMaxHalfOpenMs: 60_000 },
        liveStatus: DEFAULT_THRESHOLDS,
        port: 0,
        host: '127.0.0.1',
        access: { enabled: false, policy: loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE), callerSecret: undefined },
      },
      logger,
    );
  });
  afterAll(async () => {
    await subgraph.close();
    await mock.close();
  });

  it('logs the backend failure and the circuit opening with that request id', async () => {
    mock.setFault({ mode: 'error' });
    const response = await fetch(`${subgraph.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-backend-fails-1' },
      body: JSON.stringify({ query: '{ provinces { code } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('req-backend-fails-1');
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('SYSTEM_UNAVAILABLE');

    const failure = lines.find((line) => line.msg === 'backend call failed');
    const opened = lines.find((line) => line.circuit === 'OPEN');
    expect(failure).toMatchObject({ requestId: 'req-backend-fails-1', system: 'public-services', service: 'public-services-subgraph' });
    expect(opened).toMatchObject({ requestId: 'req-backend-fails-1', system: 'public-services', hop: 'backend' });
    // The access line of the request, and every other line the request caused, name it too.
    const caused = lines.filter((line) => line.requestId !== undefined);
    expect(new Set(caused.map((line) => line.requestId))).toEqual(new Set(['req-backend-fails-1']));
    expect(lines.find((line) => line.msg === 'request')).toMatchObject({ requestId: 'req-backend-fails-1', path: '/graphql' });
  });
});
