import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { listen, type RunningServer } from '../lib/runtime/http-server.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { perSystem } from '../lib/runtime/systems.ts';

/**
 * The gateway's circuit breaker in front of a subgraph, end to end. The land subgraph is reached
 * through a stand-in that either passes every request on to the real land subgraph or accepts it and
 * never answers (a hung process). What is asserted is which calls reached the stand-in, never how
 * long anything took. The circuit's half-open wait runs on a clock the test moves (vi's fake Date,
 * which the breaker reads), so how long the machine takes cannot make a trial call come early.
 */
const CROSS_SECTOR = `query($id: ID!) {
  citizen(personalId: $id) { fullName birthRegistration { registrationNumber } landParcels { parcelId } }
}`;
const complete = {
  citizen: { fullName: 'Nguyễn Văn An', birthRegistration: { registrationNumber: '67/1985' }, landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] },
};
const withoutLand = { citizen: { fullName: 'Nguyễn Văn An', birthRegistration: { registrationNumber: '67/1985' }, landParcels: null } };
const landError = (code: string, message: string) => ({ message, path: ['citizen', 'landParcels'], extensions: { code, system: 'land' } });
const OPEN_REASON = 'subgraph circuit open: calls are refused until a trial call succeeds';

/** The land subgraph behind a switch: `pass` forwards to the real one, `hang` holds every request unanswered. */
class LandStandIn {
  mode: 'pass' | 'hang' = 'pass';
  /** Where `pass` forwards to; until it is set, requests are cut (the system is still starting). */
  target: string | undefined;
  /** GraphQL calls received (the connection board's `/ready` probes are not counted). */
  graphqlCalls = 0;
  private readonly held: ServerResponse[] = [];
  private server: RunningServer | undefined;

  async start(): Promise<string> {
    this.server = await listen(
      createServer((req, res) => void this.handle(req, res)),
      0,
      '127.0.0.1',
    );
    return `${this.server.url}/graphql`;
  }

  /** Lets go of the requests held so far (their callers see the connection drop). */
  release(): void {
    for (const res of this.held.splice(0)) res.destroy();
  }

  async close(): Promise<void> {
    this.release();
    await this.server?.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.startsWith('/graphql')) this.graphqlCalls += 1;
    if (this.mode === 'hang') return void this.held.push(res);
    if (!this.target) return void res.destroy();
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0])),
    );
    try {
      const answer = await fetch(`${this.target}${req.url}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.destroy();
    }
  }
}

async function gatewayReady(system: RunningSystem) {
  const response = await fetch(`${system.gateway.url}/ready`);
  return { status: response.status, body: (await response.json()) as { subgraphCircuits: Record<string, string>; degraded: { system: string; reasons: string[] }[] } };
}

async function landConnection(system: RunningSystem) {
  const { body } = await system.query('{ connection(system: LAND) { status reasons circuit subgraphCircuit } }');
  expect(body.errors).toBeUndefined();
  return (body.data as { connection: { status: string; reasons: string[]; circuit: string | null; subgraphCircuit: string } }).connection;
}

const cross = (system: RunningSystem) => system.query(CROSS_SECTOR, { id: NAMED_IDS.head }).then((r) => r.body);

describe('a subgraph that hangs', () => {
  const HALF_OPEN_MS = 6000;
  const standIn = new LandStandIn();
  let system: RunningSystem;
  beforeAll(async () => {
    const url = await standIn.start();
    system = await startSystem({
      subgraphUrlOverrides: { land: url },
      subgraphBreaker: { failures: 2, halfOpenMs: HALF_OPEN_MS, maxHalfOpenMs: HALF_OPEN_MS },
      // What ends a hung call; the calls that pass are asked until they answer whole before it matters.
      subgraphTimeoutsMs: { land: 5000 },
      probeIntervalMs: 200,
    });
    standIn.target = system.subgraphs.land.url;
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await system?.close();
    await standIn.close();
  });

  it('is no longer called once its circuit opens: its fields fail at once, the others answer, and the probe closes the circuit once it is back', async () => {
    // Asked until the whole answer comes, however long the first plan takes (a failure before two in a row does not open the circuit).
    await expect.poll(() => cross(system), { timeout: 30_000 }).toEqual({ data: complete });

    // From here the breaker's clock stands still until the test moves it.
    vi.useFakeTimers({ toFake: ['Date'] });
    // Two calls in a row run into the land subgraph's own deadline: the circuit opens.
    standIn.mode = 'hang';
    standIn.graphqlCalls = 0;
    const hung = await Promise.all([cross(system), cross(system)]);
    for (const body of hung) {
      expect(body).toEqual({ data: withoutLand, errors: [landError('SYSTEM_TIMEOUT', 'The land system (Bộ Nông nghiệp và Môi trường) did not answer in time.')] });
    }
    expect(standIn.graphqlCalls).toBe(2);
    expect(system.gateway.board.circuit('land').state).toBe('OPEN');

    // Shown in `connections` and in the gateway's /ready.
    const connection = await landConnection(system);
    expect(connection).toMatchObject({ status: expect.stringMatching(/^(DEGRADED|DOWN)$/), subgraphCircuit: 'OPEN' });
    expect(connection.reasons).toContain(OPEN_REASON);
    const ready = await gatewayReady(system);
    expect(ready.status).toBe(200);
    expect(ready.body.subgraphCircuits).toEqual(perSystem((id) => (id === 'land' ? 'OPEN' : 'CLOSED')));
    expect(ready.body.degraded.find((d) => d.system === 'land')?.reasons).toContain(OPEN_REASON);

    // Further requests: the land fields fail as SYSTEM_UNAVAILABLE without a call to the subgraph, the rest answers.
    for (let i = 0; i < 3; i++) {
      expect(await cross(system)).toEqual({
        data: withoutLand,
        errors: [landError('SYSTEM_UNAVAILABLE', 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable (circuit open: calls are refused until a trial call succeeds).')],
      });
    }
    expect(standIn.graphqlCalls).toBe(2);

    // The subgraph is back and the half-open wait is over. With no client call, the board's probe is the trial call that closes the circuit.
    standIn.mode = 'pass';
    standIn.release();
    vi.setSystemTime(Date.now() + HALF_OPEN_MS);
    await expect.poll(() => system.gateway.board.circuit('land').state, { timeout: 30_000, interval: 100 }).toBe('CLOSED');
    expect(standIn.graphqlCalls).toBe(2);
    expect((await landConnection(system)).subgraphCircuit).toBe('CLOSED');
    expect((await gatewayReady(system)).body.subgraphCircuits.land).toBe('CLOSED');
    expect(await cross(system)).toEqual({ data: complete });
    expect(standIn.graphqlCalls).toBe(3);
  }, 60_000);
});

describe("a subgraph call cut short by the client request's deadline", () => {
  const standIn = new LandStandIn();
  let system: RunningSystem;
  beforeAll(async () => {
    const url = await standIn.start();
    standIn.mode = 'hang';
    // One failure would open the circuit, and the land subgraph's own deadline is far off: only the
    // request's 4 s ends these calls, time enough for the province part however slow the machine.
    system = await startSystem({ subgraphUrlOverrides: { land: url }, subgraphBreaker: { failures: 1 }, subgraphTimeoutsMs: { land: 120_000 }, requestTimeoutMs: 4000 });
  });
  afterAll(async () => {
    await system?.close();
    await standIn.close();
  });

  it('does not open the circuit: every request still calls the subgraph', async () => {
    // Programme data, no personal data: nothing to record in the access log after the deadline has passed.
    const province = async () => (await system.query('{ province(code: "001") { name landDigitization { status } } }')).body;
    const landCutShort = {
      data: { province: { name: 'Hà Nội', landDigitization: null } },
      errors: [
        {
          message: 'The land system (Bộ Nông nghiệp và Môi trường) did not answer in time.',
          path: ['province', 'landDigitization'],
          extensions: { code: 'SYSTEM_TIMEOUT', system: 'land' },
        },
      ],
    };
    // Asked until the province part comes within the 4 s however long the first plan takes; then counted.
    await expect.poll(province, { timeout: 30_000 }).toEqual(landCutShort);
    standIn.graphqlCalls = 0;
    for (let i = 1; i <= 3; i++) {
      expect(await province()).toEqual(landCutShort);
      expect(standIn.graphqlCalls).toBe(i);
    }
    expect(system.gateway.board.circuit('land').state).toBe('CLOSED');
    expect((await landConnection(system)).subgraphCircuit).toBe('CLOSED');
  }, 90_000);
});
