import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv } from '../gateway/server.ts';
import { DEFAULT_RESILIENCE, DEFAULT_SUBGRAPH_BREAKER } from '../lib/runtime/resilience.ts';
import { SettingsError } from '../lib/runtime/settings.ts';
import { perSystem } from '../lib/runtime/systems.ts';
import { callContextOf, subgraphConfigFromEnv } from '../lib/runtime/subgraph.ts';
import { testEnvironment } from '../lib/devkit/test-credentials.ts';

/** The access variables a gateway cannot start without; nothing is opened by reading a configuration. */
const ACCESS_ENV = testEnvironment('/nonexistent/access-log.sqlite');

describe('deadlines and resilience from the environment', () => {
  it('gives every subgraph the shared deadline unless it has its own, and reads the request deadline', () => {
    const config = gatewayConfigFromEnv({ ...ACCESS_ENV, SUBGRAPH_TIMEOUT_MS: '3000', LAND_SUBGRAPH_TIMEOUT_MS: '800', REQUEST_TIMEOUT_MS: '6000' });
    expect(config.subgraphTimeoutsMs).toEqual(perSystem((id) => (id === 'land' ? 800 : 3000)));
    expect(config.requestTimeoutMs).toBe(6000);
    expect(gatewayConfigFromEnv(ACCESS_ENV)).toMatchObject({
      subgraphTimeoutsMs: perSystem(() => 5000),
      requestTimeoutMs: 10_000,
    });
  });

  it("reads each backend's deadline, retries and circuit settings under its own prefix", () => {
    const env = { LAND_BACKEND_TIMEOUT_MS: '700', LAND_BACKEND_RETRIES: '0', LAND_BREAKER_FAILURES: '3', LAND_BREAKER_HALF_OPEN_MS: '250' };
    expect(subgraphConfigFromEnv('land', env)).toMatchObject({
      backendTimeoutMs: 700,
      resilience: { ...DEFAULT_RESILIENCE, retries: 0, breakerFailures: 3, breakerHalfOpenMs: 250 },
    });
    expect(subgraphConfigFromEnv('population', env)).toMatchObject({ backendTimeoutMs: 2000, resilience: DEFAULT_RESILIENCE });
  });

  it("reads the gateway's circuit to each subgraph: shared settings unless a subgraph has its own", () => {
    const config = gatewayConfigFromEnv({
      ...ACCESS_ENV,
      SUBGRAPH_BREAKER_FAILURES: '3',
      SUBGRAPH_BREAKER_HALF_OPEN_MS: '2000',
      SUBGRAPH_BREAKER_MAX_HALF_OPEN_MS: '8000',
      LAND_SUBGRAPH_BREAKER_FAILURES: '10',
      LAND_SUBGRAPH_BREAKER_HALF_OPEN_MS: '500',
    });
    expect(config.connections.subgraphBreakers).toEqual(
      perSystem((id) => (id === 'land' ? { failures: 10, halfOpenMs: 500, maxHalfOpenMs: 8000 } : { failures: 3, halfOpenMs: 2000, maxHalfOpenMs: 8000 })),
    );
    expect(gatewayConfigFromEnv(ACCESS_ENV).connections.subgraphBreakers.land).toEqual(DEFAULT_SUBGRAPH_BREAKER);
    for (const name of ['SUBGRAPH_BREAKER_FAILURES', 'PUBLIC_SERVICES_SUBGRAPH_BREAKER_HALF_OPEN_MS']) {
      expect(() => gatewayConfigFromEnv({ ...ACCESS_ENV, [name]: '0' })).toThrow(name);
    }
  });

  it('refuses a setting that is not a non-negative integer, naming it', () => {
    expect(() => gatewayConfigFromEnv({ ...ACCESS_ENV, REQUEST_TIMEOUT_MS: '10s' })).toThrow(
      new SettingsError([{ name: 'REQUEST_TIMEOUT_MS', received: '"10s"', expected: 'an integer from 1 to 2147483647' }]),
    );
    expect(() => subgraphConfigFromEnv('land', { LAND_BACKEND_RETRIES: '-1' })).toThrow('LAND_BACKEND_RETRIES is "-1", expected an integer from 0 to 2147483647');
  });

  it("names every invalid variable in one error, with the value received (never a secret's) and what is expected", () => {
    const env = { REQUEST_TIMEOUT_MS: '10s', MAX_QUERY_DEPTH: '0', LAND_SUBGRAPH_URL: 'land:4003', CALLER_ASSERTION_SECRET: 'short' };
    let error: unknown;
    try {
      gatewayConfigFromEnv(env);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).code).toBe('INVALID_SETTINGS');
    expect((error as SettingsError).message).toBe(
      'Invalid settings: LAND_SUBGRAPH_URL is "land:4003", expected an http or https URL, e.g. http://land:4003/graphql; ' +
        'REQUEST_TIMEOUT_MS is "10s", expected an integer from 1 to 2147483647; ' +
        'MAX_QUERY_DEPTH is "0", expected an integer from 1 to 2147483647; ' +
        'CALLER_ASSERTION_SECRET is a secret of 5 characters, expected at least 32 characters; ' +
        'ACCESS_LOG_KEY is unset, expected at least 32 characters',
    );
  });

  it('refuses 0 where it would make every call fail or the circuit meaningless, and accepts 0 retries', () => {
    expect(() => gatewayConfigFromEnv({ ...ACCESS_ENV, REQUEST_TIMEOUT_MS: '0' })).toThrow('REQUEST_TIMEOUT_MS is "0", expected an integer from 1 to 2147483647');
    expect(() => subgraphConfigFromEnv('land', { LAND_BACKEND_TIMEOUT_MS: '3000000000' })).toThrow(
      'LAND_BACKEND_TIMEOUT_MS is "3000000000", expected an integer from 1 to 2147483647',
    );
    expect(() => gatewayConfigFromEnv({ LAND_SUBGRAPH_TIMEOUT_MS: '0' })).toThrow('LAND_SUBGRAPH_TIMEOUT_MS');
    expect(() => gatewayConfigFromEnv({ MAX_QUERY_DEPTH: '0' })).toThrow('MAX_QUERY_DEPTH');
    for (const name of ['LAND_BACKEND_TIMEOUT_MS', 'LAND_BREAKER_FAILURES', 'LAND_BREAKER_HALF_OPEN_MS']) {
      expect(() => subgraphConfigFromEnv('land', { [name]: '0' })).toThrow(name);
    }
    expect(subgraphConfigFromEnv('land', { LAND_BACKEND_RETRIES: '0' }).resilience.retries).toBe(0);
  });
});

describe('the deadline a subgraph receives from the gateway', () => {
  it('becomes the deadline of its backend calls, less a margin for the answer to travel back', () => {
    expect(callContextOf({ 'x-deadline-ms': '1200' }, 'r1', 1_000_000)).toEqual({ requestId: 'r1', deadlineAt: 1_001_150 });
  });

  it('is ignored when absent or not a plain number of milliseconds', () => {
    for (const value of [undefined, '', '-5', '1e3', '12.5', 'soon', '9999999999']) {
      expect(callContextOf({ 'x-deadline-ms': value }, 'r1', 1_000_000)).toEqual({ requestId: 'r1' });
    }
  });
});
