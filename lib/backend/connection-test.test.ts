import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPHS } from '../../subgraphs/index.ts';
import { MOCK_HANDLERS } from '../devkit/mock-backends.ts';
import { connectionTestReportSchema, testBackendConnection, type ConnectionTestReport, type ContractCheck } from './connection-test.ts';
import { startMockBackend, type RunningMock } from '../devkit/mock-server.ts';
import { payloadOf, respond, route, type MockReply, type MockRequest, type MockRoute } from '../devkit/mock-routes.ts';
import { SYSTEM_IDS, type SystemId } from '../runtime/systems.ts';

const PARTS = Object.fromEntries(SYSTEM_IDS.map((id) => [id, { handlers: MOCK_HANDLERS[id], checks: SUBGRAPHS[id].contractChecks }])) as Record<
  SystemId,
  { handlers: () => MockRoute[]; checks: readonly ContractCheck[] }
>;

const mocks = {} as Record<SystemId, RunningMock>;
const extraMocks: RunningMock[] = [];
beforeAll(async () => {
  for (const id of SYSTEM_IDS) mocks[id] = await startMockBackend(id, PARTS[id].handlers());
});
afterEach(() => {
  for (const id of SYSTEM_IDS) {
    mocks[id].setFault({ mode: 'ok' });
    mocks[id].resetStats();
  }
});
afterAll(async () => {
  for (const mock of [...Object.values(mocks), ...extraMocks]) await mock.close();
});

/** A mock of `system` whose `overrides` answer before its own handlers. */
async function mockWith(system: SystemId, overrides: MockRoute[]): Promise<RunningMock> {
  const mock = await startMockBackend(system, [...overrides, ...PARTS[system].handlers()]);
  extraMocks.push(mock);
  return mock;
}

/** The mock's own answer to the request, changed by `change`. */
const altered =
  (system: SystemId, change: (answer: Record<string, unknown[]>) => unknown) =>
  async (request: MockRequest): Promise<MockReply> => {
    const own = await respond(PARTS[system].handlers(), request);
    return { status: 200, json: change(JSON.parse(payloadOf(own!).toString('utf8')) as Record<string, unknown[]>) };
  };

async function run(system: SystemId, url: string, timeoutMs = 2000): Promise<ConnectionTestReport> {
  const report = await testBackendConnection({ system, baseUrl: url, checks: PARTS[system].checks, timeoutMs });
  // It travels to the gateway and is validated where it enters: every report must pass.
  expect(connectionTestReportSchema.parse(report)).toEqual(report);
  const { port } = new URL(url);
  for (const check of report.checks) {
    for (const leak of ['127.0.0.1', `:${port}`, port, 'db-01', 'Internal Server Error', 'http://']) expect(check.problem ?? '').not.toContain(leak);
  }
  return report;
}

const failing = (report: ConnectionTestReport) => report.checks.at(-1)!;

describe("the connection test on each system's own mock", () => {
  it.each(SYSTEM_IDS)('%s passes every check of its contract, timed', async (system) => {
    const report = await testBackendConnection({
      system,
      baseUrl: mocks[system].url,
      checks: PARTS[system].checks,
      timeoutMs: 2000,
      now: () => new Date('2025-03-01T08:00:00.000Z'),
    });
    expect(connectionTestReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({ system, verdict: 'PASSED', problem: null, testedAt: '2025-03-01T08:00:00.000Z' });
    expect(report.checks.map((c) => [c.name, c.verdict, c.httpStatus, c.problem])).toEqual(PARTS[system].checks.map((c) => [c.name, 'PASSED', 200, null]));
    expect(report.checks[0]!.name).toBe('GET /v1/health');
    expect(typeof report.connectMs).toBe('number');
    expect(report.firstByteMs).toBe(report.checks[0]!.firstByteMs);
    expect(typeof report.firstByteMs).toBe('number');
    // One request per check: no retry, and nothing else.
    expect(mocks[system].stats().byRoute).toEqual(Object.fromEntries(PARTS[system].checks.map((c) => [c.name, 1])));
  });

  it("never calls a write or audited endpoint: population's identity check is not among its checks", () => {
    const called = SYSTEM_IDS.flatMap((id) => PARTS[id].checks.map((c) => c.name));
    expect(called).not.toContain('POST /v1/citizens/verify');
    for (const check of SYSTEM_IDS.flatMap((id) => PARTS[id].checks)) {
      expect(check.method === 'GET' || check.path.endsWith('/batch-get') || check.path.endsWith('/by-holders'), check.name).toBe(true);
    }
  });

  it('calls the backend below the path of its base URL', async () => {
    const report = await run('land', `${mocks.land.url}/gateway/land/`);
    expect(report.verdict).toBe('PASSED');
    expect(Object.keys(mocks.land.stats().byRoute)).toContain('GET /gateway/land/v1/health');
  });
});

describe('a backend that fails the test', () => {
  it('down: UNREACHABLE, after a connection was opened', async () => {
    mocks.land.setFault({ mode: 'down' });
    const report = await run('land', mocks.land.url);
    expect(report).toMatchObject({ verdict: 'UNREACHABLE', problem: 'connection closed by the system before an answer', firstByteMs: null });
    expect(typeof report.connectMs).toBe('number');
    expect(report.checks).toHaveLength(1);
    expect(failing(report)).toMatchObject({ name: 'GET /v1/health', verdict: 'UNREACHABLE', httpStatus: null, firstByteMs: null });
  });

  it('slow beyond the deadline: TIMED_OUT', async () => {
    mocks.population.setFault({ mode: 'slow', latencyMs: 3000 });
    const report = await run('population', mocks.population.url, 150);
    expect(report).toMatchObject({ verdict: 'TIMED_OUT', problem: 'no answer within 150 ms', firstByteMs: null });
    expect(failing(report)).toMatchObject({ verdict: 'TIMED_OUT', httpStatus: null });
  });

  it('an HTTP error: HTTP_ERROR with the status, once (no retry), and nothing of the body', async () => {
    mocks['civil-status'].setFault({ mode: 'error' });
    const report = await run('civil-status', mocks['civil-status'].url);
    expect(report).toMatchObject({ verdict: 'HTTP_ERROR', problem: 'HTTP 500 (the contract says 200 application/json)' });
    expect(failing(report)).toMatchObject({ httpStatus: 500, verdict: 'HTTP_ERROR' });
    expect(typeof failing(report).firstByteMs).toBe('number');
    expect(mocks['civil-status'].stats().requests).toBe(1);
  });

  it('an answer that is not JSON: CONTRACT_BROKEN', async () => {
    mocks['public-services'].setFault({ mode: 'malformed' });
    const report = await run('public-services', mocks['public-services'].url);
    expect(report).toMatchObject({ verdict: 'CONTRACT_BROKEN', problem: 'answer is not JSON' });
    expect(failing(report).httpStatus).toBe(200);
  });

  it('a closed port: UNREACHABLE, connection refused, and no connection time', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    await new Promise((resolve) => server.close(resolve));
    const report = await run('land', `http://127.0.0.1:${port}`);
    expect(report).toMatchObject({ verdict: 'UNREACHABLE', problem: 'connection refused', connectMs: null, firstByteMs: null });
    expect(report.checks).toHaveLength(1);
  });

  it('a base URL that is not http(s): UNREACHABLE, said so', async () => {
    const report = await run('land', 'ftp://127.0.0.1:2121');
    expect(report).toMatchObject({ verdict: 'UNREACHABLE', problem: 'the backend URL is not an http or https URL', connectMs: null });
  });

  it('an answer that is not application/json: CONTRACT_BROKEN', async () => {
    const mock = await mockWith('land', [route.get('/v1/health', () => ({ status: 200, body: '{"status":"ok"}', headers: { 'content-type': 'text/html' } }))]);
    const report = await run('land', mock.url);
    expect(report).toMatchObject({ verdict: 'CONTRACT_BROKEN', problem: "answer's content type is text/html (the contract says application/json)" });
  });
});

describe('an answer that breaks the contract, named by where and what, and the test stops there', () => {
  it('a rule the schema cannot express: fewer provinces than the contract says', async () => {
    const mock = await mockWith('public-services', [
      route.get(
        '/v1/provinces',
        altered('public-services', (answer) => ({ ...answer, provinces: answer.provinces!.slice(1) })),
      ),
    ]);
    const report = await run('public-services', mock.url);
    expect(report).toMatchObject({ verdict: 'CONTRACT_BROKEN', problem: 'answer has 87 provincial units; the contract says 88' });
    expect(report.checks.map((c) => [c.name, c.verdict])).toEqual([
      ['GET /v1/health', 'PASSED'],
      ['GET /v1/provinces', 'CONTRACT_BROKEN'],
    ]);
  });

  it('a batch answer that leaves out the key asked for', async () => {
    const mock = await mockWith('population', [route.post('/v1/citizens/batch-get', () => ({ status: 200, json: { citizens: [], notFound: [] } }))]);
    const report = await run('population', mock.url);
    expect(report).toMatchObject({ verdict: 'CONTRACT_BROKEN', problem: 'answer neither returns the key asked for nor lists it in notFound' });
    expect(failing(report).name).toBe('POST /v1/citizens/batch-get');
  });

  it('notFound where the endpoint has one: civil-status must list an unknown province there, land simply leaves it out', async () => {
    const nothing = () => ({ status: 200, json: { provinces: [], sources: [], notFound: [] } });
    const civilStatus = await mockWith('civil-status', [route.post('/v1/digitization/provinces/batch-get', nothing)]);
    expect(await run('civil-status', civilStatus.url)).toMatchObject({
      verdict: 'CONTRACT_BROKEN',
      problem: 'answer neither returns the key asked for nor lists it in notFound',
    });
    const land = await mockWith('land', [route.post('/v1/digitization/provinces/batch-get', nothing)]);
    expect(await run('land', land.url)).toMatchObject({ verdict: 'PASSED' });
    const stranger = await mockWith('land', [route.post('/v1/parcels/batch-get', () => ({ status: 200, json: { parcels: [], notFound: ['TD-001-CG-0012-0345', 'TD-OTHER'] } }))]);
    expect(await run('land', stranger.url)).toMatchObject({ verdict: 'CONTRACT_BROKEN', problem: 'answer names a key that was not asked for' });
  });

  it('a rule between two lists: a figure id that the indicators do not serve', async () => {
    const mock = await mockWith('public-services', [
      route.get('/v1/population-db-connections', () => ({ status: 200, json: { figureIds: ['no-such-figure-at-db-01.internal'] } })),
    ]);
    const report = await run('public-services', mock.url);
    expect(report).toMatchObject({
      verdict: 'CONTRACT_BROKEN',
      problem: 'a figure id is not an indicator served by GET /v1/indicators (at figureIds[0])',
    });
  });

  it('a rule between two lists: a sector database figure that the indicators do not serve', async () => {
    const mock = await mockWith('public-services', [
      route.get(
        '/v1/agencies',
        altered('public-services', (answer) => {
          const agencies = answer.agencies as { sectorDatabases: { figureIds: string[] }[] }[];
          const keeper = agencies.findIndex((a) => a.sectorDatabases.length > 0);
          agencies[keeper]!.sectorDatabases[0]!.figureIds = ['no-such-figure'];
          return answer;
        }),
      ),
    ]);
    const report = await run('public-services', mock.url);
    expect(report).toMatchObject({ verdict: 'CONTRACT_BROKEN' });
    expect(report.problem).toMatch(/^a sector database names a figure that GET \/v1\/indicators does not serve \(at agencies\[\d+\]\.sectorDatabases\[0\]\.figureIds\[0\]\)$/);
  });

  it('a shape: the zod path and message, never the value received', async () => {
    const mock = await mockWith('land', [
      route.post(
        '/v1/parcels/by-holders',
        altered('land', (answer) => {
          const [holding] = answer.holdings as { parcels: { certificate: { issuedOn: string } | null }[] }[];
          holding!.parcels[0]!.certificate = { ...holding!.parcels[0]!.certificate!, issuedOn: '2013-02-30' };
          return answer;
        }),
      ),
    ]);
    const report = await run('land', mock.url);
    expect(report).toMatchObject({
      verdict: 'CONTRACT_BROKEN',
      problem: 'answer breaks the contract at holdings[0].parcels[0].certificate.issuedOn: expected a real date YYYY-MM-DD',
    });
    expect(report.problem).not.toContain('2013-02-30');
  });

  it('a refinement that quotes the answer (a cited source it lacks) is told without the quoted text', async () => {
    const mock = await mockWith('public-services', [
      route.get('/v1/interconnected-service-groups', () => ({
        status: 200,
        json: { groups: [{ procedures: ['birth registration'], quotation: null, sourceIds: ['db-01.internal:5432'] }], sources: [] },
      })),
    ]);
    const report = await run('public-services', mock.url);
    expect(report).toMatchObject({ verdict: 'CONTRACT_BROKEN', problem: 'answer breaks the contract at sources: cited source … is not in the answer' });
    expect(report.checks).toHaveLength(PARTS['public-services'].checks.length);
  });
});

describe('connectionTestReportSchema', () => {
  const check = { name: 'GET /v1/health', expectation: 'HTTP 200', verdict: 'PASSED' as const, httpStatus: 200, firstByteMs: 1, totalMs: 1, problem: null };
  const report = { system: 'land', verdict: 'PASSED', problem: null, testedAt: '2025-03-01T08:00:00.000Z', connectMs: 1, firstByteMs: 1, totalMs: 2, checks: [check] };

  it("accepts a consistent report and refuses one whose verdict is not its first failing check's", () => {
    expect(connectionTestReportSchema.safeParse(report).success).toBe(true);
    const failed = { ...check, verdict: 'HTTP_ERROR', httpStatus: 503, problem: 'HTTP 503' };
    expect(connectionTestReportSchema.safeParse({ ...report, checks: [failed] }).success).toBe(false);
    expect(connectionTestReportSchema.safeParse({ ...report, verdict: 'HTTP_ERROR', checks: [failed] }).success).toBe(false);
    expect(connectionTestReportSchema.safeParse({ ...report, verdict: 'HTTP_ERROR', problem: 'HTTP 503', checks: [failed] }).success).toBe(true);
    expect(connectionTestReportSchema.safeParse({ ...report, system: 'elsewhere' }).success).toBe(false);
  });
});
