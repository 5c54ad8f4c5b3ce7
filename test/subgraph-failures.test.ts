import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../lib/runtime/http-server.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { startSystem, type GraphQLBody, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * The gateway's side of a failure: a subgraph that is gone, hangs, or answers something that is not
 * GraphQL. Each costs only that subgraph's fields, with one error per failed field at its path.
 */
const CROSS_SECTOR = `query($id: ID!) {
  citizen(personalId: $id) { fullName birthRegistration { registrationNumber } landParcels { parcelId } }
}`;
const landOutage = (code: string) => ({
  message:
    code === 'SYSTEM_TIMEOUT'
      ? 'The land system (Bộ Nông nghiệp và Môi trường) did not answer in time.'
      : code === 'SYSTEM_BAD_RESPONSE'
        ? 'The land system (Bộ Nông nghiệp và Môi trường) returned an answer that breaks its contract.'
        : 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable.',
  path: ['citizen', 'landParcels'],
  extensions: { code, system: 'land' },
});
const withoutLand = { citizen: { fullName: 'Nguyễn Văn An', birthRegistration: { registrationNumber: '67/1985' }, landParcels: null } };
const complete = {
  citizen: { fullName: 'Nguyễn Văn An', birthRegistration: { registrationNumber: '67/1985' }, landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] },
};

function expectNothingInternal(body: GraphQLBody) {
  const text = JSON.stringify(body);
  for (const leak of ['127.0.0.1', 'http://', 'ECONNREFUSED', 'stack', '<html', 'serviceName', 'DOWNSTREAM']) expect(text).not.toContain(leak);
}

describe('a subgraph that is gone', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.close());

  it('costs only its own fields, with the error at their path, and recovers when it is back', async () => {
    await system.stopSubgraph('land');
    const { status, body } = await system.query(CROSS_SECTOR, { id: NAMED_IDS.head });
    expect(status).toBe(200);
    expect(body.data).toEqual(withoutLand);
    expect(body.errors).toEqual([landOutage('SYSTEM_UNAVAILABLE')]);
    expectNothingInternal(body);

    await system.restartSubgraph('land');
    const again = await system.query(CROSS_SECTOR, { id: NAMED_IDS.head });
    expect(again.body).toEqual({ data: complete });
  });

  it('names each failed element of a list', async () => {
    await system.stopSubgraph('land');
    const { body } = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName landParcels { parcelId } } }', {
      ids: [NAMED_IDS.head, NAMED_IDS.wife, NAMED_IDS.son],
    });
    expect(body.data).toEqual({
      citizens: [
        { fullName: 'Nguyễn Văn An', landParcels: null },
        { fullName: 'Trần Thị Bình', landParcels: null },
        { fullName: 'Nguyễn Minh Khang', landParcels: null },
      ],
    });
    expect(body.errors?.map((e) => [e.path, e.extensions])).toEqual([0, 1, 2].map((i) => [['citizens', i, 'landParcels'], { code: 'SYSTEM_UNAVAILABLE', system: 'land' }]));
    await system.restartSubgraph('land');
  });

  it('fails a root field of its own at that field, and the other root fields still answer', async () => {
    await system.stopSubgraph('population');
    const { status, body } = await system.query(`{ citizen(personalId: "${NAMED_IDS.head}") { fullName } province(code: "001") { name } }`);
    expect(status).toBe(200);
    expect(body.data).toEqual({ citizen: null, province: { name: 'Hà Nội' } });
    expect(body.errors).toEqual([
      { message: 'The population system (Bộ Công an) is unavailable.', path: ['citizen'], extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'population' } },
    ]);
    await system.restartSubgraph('population');
  });
});

describe('a subgraph that misbehaves', () => {
  type Behaviour = 'hang' | 'html-502' | 'html-200';
  let behaviour: Behaviour = 'hang';
  let standIn: RunningServer;
  let system: RunningSystem;
  const held: ServerResponse[] = [];
  beforeAll(async () => {
    standIn = await listen(
      createServer((req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        if (behaviour === 'hang') return void held.push(res);
        res.writeHead(behaviour === 'html-502' ? 502 : 200, { 'content-type': 'text/html' });
        res.end('<html><body>Bad Gateway at lb-07.internal</body></html>');
      }),
      0,
      '127.0.0.1',
    );
    system = await startSystem({ subgraphTimeoutsMs: { land: 300 }, subgraphUrlOverrides: { land: `${standIn.url}/graphql` } });
  });
  afterEach(() => {
    for (const res of held.splice(0)) res.destroy();
  });
  afterAll(async () => {
    await system.close();
    await standIn.close();
  });

  it('that hangs is cut off at its deadline as SYSTEM_TIMEOUT', async () => {
    behaviour = 'hang';
    const { status, body } = await system.query(CROSS_SECTOR, { id: NAMED_IDS.head });
    expect(status).toBe(200);
    expect(body.data).toEqual(withoutLand);
    expect(body.errors).toEqual([landOutage('SYSTEM_TIMEOUT')]);
  });

  it('whose proxy answers 502 with a page is SYSTEM_UNAVAILABLE, and the page never reaches the client', async () => {
    behaviour = 'html-502';
    const { body } = await system.query(CROSS_SECTOR, { id: NAMED_IDS.head });
    expect(body.data).toEqual(withoutLand);
    expect(body.errors).toEqual([landOutage('SYSTEM_UNAVAILABLE')]);
    expectNothingInternal(body);
    expect(JSON.stringify(body)).not.toContain('lb-07');
  });

  it('that answers 200 with something that is not GraphQL is SYSTEM_BAD_RESPONSE', async () => {
    behaviour = 'html-200';
    const { body } = await system.query(CROSS_SECTOR, { id: NAMED_IDS.head });
    expect(body.data).toEqual(withoutLand);
    expect(body.errors).toEqual([landOutage('SYSTEM_BAD_RESPONSE')]);
    expectNothingInternal(body);
  });
});

describe('the request deadline', () => {
  // Only the request's deadline can end the land backend's call: the backend answers after 2 minutes,
  // and the backend's and the subgraph's own deadlines are as long. The request's 5 s leaves the
  // public part of the query time to answer however slow the machine, and is under the budget below
  // which a timeout does not count against a system (raised to 1 minute here, from its default of
  // MEANINGFUL_BUDGET_MS), so one timeout that counted would open the land circuit (it opens at the first failure).
  const SLOW_MS = 120_000;
  const REQUEST_TIMEOUT_MS = 5_000;
  const PROVINCE = `{ province(code: "001") { code landDigitization { status } } }`;
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      backendTimeoutMs: SLOW_MS,
      subgraphTimeoutMs: SLOW_MS,
      resilience: { breakerFailures: 1, meaningfulBudgetMs: 60_000 },
    });
  });
  afterAll(() => system.close());

  it("reaches the subgraph's backend calls: a slow backend costs its fields as SYSTEM_TIMEOUT, not the whole request", async () => {
    // Public data, so that no access record has to be committed before the deadline; asked before
    // the fault until it answers whole, so that the query's plan and the connections are ready when the deadline counts.
    await expect
      .poll(async () => (await system.query(PROVINCE)).body, { timeout: 20_000 })
      .toEqual({
        data: { province: { code: '001', landDigitization: { status: expect.any(String) } } },
      });
    system.mocks.land.setFault({ mode: 'slow', latencyMs: SLOW_MS });
    try {
      const { status, body } = await system.query(PROVINCE);
      expect(status).toBe(200);
      expect(body.data).toEqual({ province: { code: '001', landDigitization: null } });
      expect(body.errors).toEqual([{ ...landOutage('SYSTEM_TIMEOUT'), path: ['province', 'landDigitization'] }]);
    } finally {
      system.mocks.land.setFault({ mode: 'ok' });
    }
    // Once the subgraph's backend call has ended: it was cut by the caller's deadline, and is not held against the land system.
    const land = system.subgraphs.land.adapter;
    await expect.poll(() => land.health().failedCalls, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(land.health()).toMatchObject({ circuit: 'CLOSED', recentFailures: [] });
  }, 45_000);
});
