import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectionTestReportSchema } from '../lib/backend/connection-test.ts';
import { startMockBackend, type RunningMock } from '../lib/devkit/mock-server.ts';
import { MOCK_HANDLERS } from '../lib/devkit/mock-backends.ts';
import { SYSTEM_IDS, SYSTEMS, type SystemId } from '../lib/runtime/systems.ts';
import { runNode, type Finished } from './support/child-process.ts';

/** `npm run check-connections`, run as an integrator runs it: a process configured by the environment. */
const root = fileURLToPath(new URL('../', import.meta.url));

const mocks = {} as Record<SystemId, RunningMock>;
beforeAll(async () => {
  for (const id of SYSTEM_IDS) mocks[id] = await startMockBackend(id, MOCK_HANDLERS[id]());
});
afterEach(() => {
  for (const id of SYSTEM_IDS) mocks[id].setFault({ mode: 'ok' });
});
afterAll(async () => {
  for (const id of SYSTEM_IDS) await mocks[id].close();
});

function checkConnections(args: string[], overrides: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  for (const id of SYSTEM_IDS) {
    env[`${SYSTEMS[id].envPrefix}_BACKEND_URL`] = mocks[id].url;
    env[`${SYSTEMS[id].envPrefix}_BACKEND_TIMEOUT_MS`] = '5000';
  }
  Object.assign(env, overrides);
  return runNode(['--import', 'tsx', 'scripts/check-connections.ts', ...args], { cwd: root, env });
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);
const rowOf = (stdout: string, id: SystemId) => stdout.split('\n').find((line) => line.startsWith(`${id} `));

describe('npm run check-connections', () => {
  it('exits 0 when every system passes, with one row per system naming its configured backend', async () => {
    const { code, stdout, stderr } = await checkConnections([]);
    expect(stderr).toBe('');
    for (const id of SYSTEM_IDS) {
      expect(rowOf(stdout, id)).toContain(mocks[id].url);
      expect(rowOf(stdout, id)).toContain('PASSED');
    }
    expect(lastLine(stdout)).toBe(`All ${SYSTEM_IDS.length} systems passed.`);
    expect(code).toBe(0);
  });

  it('follows <PREFIX>_BACKEND_PORT as the services do when no URL is set, so it tests the copy on those ports', async () => {
    const land = new URL(mocks.land.url);
    const { code, stdout } = await checkConnections(['--system', 'land'], { LAND_BACKEND_URL: '', LAND_BACKEND_PORT: land.port });
    expect(rowOf(stdout, 'land')).toContain(`http://127.0.0.1:${land.port}`);
    expect(rowOf(stdout, 'land')).toContain('PASSED');
    expect(code).toBe(0);
  });

  it('exits 1 when a backend is down, naming the system in its row and in the last line', async () => {
    mocks.land.setFault({ mode: 'down' });
    const { code, stdout } = await checkConnections([]);
    expect(rowOf(stdout, 'land')).toMatch(/land +\S+ +UNREACHABLE .*connection closed by the system before an answer$/);
    expect(rowOf(stdout, 'population')).toContain('PASSED');
    expect(stdout).toContain('land: GET /v1/health UNREACHABLE\n  expected: HTTP 200 application/json {"status": "ok"} while the system is up');
    expect(lastLine(stdout)).toBe(`1 of ${SYSTEM_IDS.length} systems failed: land (UNREACHABLE: connection closed by the system before an answer)`);
    expect(code).toBe(1);
  });

  it('--json prints the reports; --system chooses the systems', async () => {
    mocks['civil-status'].setFault({ mode: 'error' });
    const { code, stdout } = await checkConnections(['--json', '--system', 'civil-status', '--system', 'land']);
    const reports = z.array(connectionTestReportSchema).parse(JSON.parse(stdout));
    expect(reports.map((r) => [r.system, r.verdict])).toEqual([
      ['civil-status', 'HTTP_ERROR'],
      ['land', 'PASSED'],
    ]);
    expect(code).toBe(1);
  });

  it('exits 2, naming the variable, when a backend URL is not an http or https URL', async () => {
    const { code, stdout, stderr } = await checkConnections(['--system', 'land'], { LAND_BACKEND_URL: 'land-db.example.gov.vn/api' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe('Invalid settings: LAND_BACKEND_URL is "land-db.example.gov.vn/api", expected an http or https URL, e.g. https://land-db.example.gov.vn/api');
  });

  it('exits 2 with the usage on stderr for an unknown option or system', async () => {
    for (const args of [['--bogus'], ['--system', 'cadastre']]) {
      const { code, stdout, stderr } = await checkConnections(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('Usage: npm run check-connections');
    }
  });
});
