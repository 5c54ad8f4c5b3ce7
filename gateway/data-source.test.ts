import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/runtime/logger.ts';
import { CircuitBreaker } from '../lib/runtime/resilience.ts';
import type { SubgraphCallOutcome } from './connection-board.ts';
import { fieldPathsOf, SubgraphDataSource, type GatewayContext } from './data-source.ts';

const call = (query: string, variables: Record<string, unknown> = {}) =>
  ({
    request: { query, variables },
    context: { requestId: 't', deadlineAt: 0 },
  }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

describe('the fields a failed subgraph call was to supply', () => {
  it('are its root fields, by response key', () => {
    expect(fieldPathsOf(call('{ __typename citizen(personalId: "1") { fullName } head: household(id: "h") { id } }'))).toEqual([['citizen'], ['head']]);
  });

  it("are each representation's fields of its own type, through inline fragments and fragment spreads", () => {
    const query = `query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        __typename
        ... on Citizen { landParcels { parcelId } ...Extra }
        ... on Province { landDigitization { status } }
      }
    }
    fragment Extra on Citizen { parcels: landParcels { area } }`;
    const representations = [
      { __typename: 'Citizen', personalId: '001085012345' },
      { __typename: 'Province', code: '001' },
    ];
    expect(fieldPathsOf(call(query, { representations }))).toEqual([
      ['_entities', 0, 'landParcels'],
      ['_entities', 0, 'parcels'],
      ['_entities', 1, 'landDigitization'],
    ]);
  });

  it('are none when the operation cannot be read', () => {
    expect(fieldPathsOf(call('{ unclosed'))).toEqual([]);
  });
});

describe('what the connection board learns from a failed subgraph call', () => {
  const timingOut = (async () => {
    throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  }) as unknown as Fetcher;
  const refusing = (async () => {
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }) as unknown as Fetcher;

  async function failedCall(fetcher: Fetcher, requestTimeLeftMs: number) {
    const seen: { system: string; outcome: SubgraphCallOutcome }[] = [];
    const source = new SubgraphDataSource('land', 'http://land.invalid/graphql', fetcher, 5000, createLogger('test'), {
      recordSubgraphCall: (system, outcome) => seen.push({ system, outcome }),
    });
    const response = await source.process({
      kind: 'health check',
      request: { query: '{ landParcel(parcelId: "x") { area } }', variables: {} },
      context: { requestId: 't', deadlineAt: Date.now() + requestTimeLeftMs },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    return { seen, response };
  }

  it('counts a timeout at the subgraph’s own deadline, and a refused connection, against the subgraph', async () => {
    for (const [fetcher, code, reason] of [
      [timingOut, 'SYSTEM_TIMEOUT', 'no answer before the deadline'],
      [refusing, 'SYSTEM_UNAVAILABLE', 'connection refused'],
    ] as const) {
      const { seen, response } = await failedCall(fetcher, 60_000);
      expect(response.errors?.[0]?.extensions).toEqual({ code, system: 'land' });
      expect(seen).toEqual([{ system: 'land', outcome: { ok: false, code, reason } }]);
    }
  });

  it('does not hold against the subgraph a timeout at what was left of the client request’s deadline', async () => {
    const { seen, response } = await failedCall(timingOut, 1000);
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'SYSTEM_TIMEOUT', system: 'land' });
    expect(seen).toEqual([]);
  });
});

describe("the gateway's circuit in front of a subgraph", () => {
  const QUERY = '{ landParcel(parcelId: "x") { area } }';

  function counting(answer: () => Promise<Response>) {
    let calls = 0;
    const fetcher = (async () => {
      calls += 1;
      return answer();
    }) as unknown as Fetcher;
    return { fetcher, calls: () => calls };
  }
  const hangsPastItsDeadline = () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  const json = (body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } }));

  function gatedSource(fetcher: Fetcher, failures: number) {
    const seen: SubgraphCallOutcome[] = [];
    const circuit = new CircuitBreaker('land', { hop: 'subgraph', explainRefusals: true, failures, halfOpenMs: 60_000, maxHalfOpenMs: 60_000 });
    const source = new SubgraphDataSource(
      'land',
      'http://land.invalid/graphql',
      fetcher,
      5000,
      createLogger('test'),
      { recordSubgraphCall: (_, outcome) => seen.push(outcome) },
      circuit,
    );
    const call = (requestTimeLeftMs = 60_000) =>
      source.process({
        kind: 'health check',
        request: { query: QUERY, variables: {} },
        context: { requestId: 't', deadlineAt: Date.now() + requestTimeLeftMs },
      } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    return { call, circuit, seen };
  }

  it('opens after consecutive failures, then answers for the subgraph at once without calling it, saying the circuit is open', async () => {
    const subgraph = counting(hangsPastItsDeadline);
    const { call, circuit, seen } = gatedSource(subgraph.fetcher, 2);
    for (let i = 0; i < 2; i++) await call();
    expect(circuit.state).toBe('OPEN');
    const refused = await call();
    expect(subgraph.calls()).toBe(2);
    expect(refused.errors).toEqual([
      {
        message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable (circuit open: calls are refused until a trial call succeeds).',
        path: ['landParcel'],
        extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
      },
    ]);
    // A refused call was not made: the board's traffic counts only the two that were.
    expect(seen).toHaveLength(2);
    expect(circuit.refusedByOpenCircuit).toBe(1);
  });

  it('is not opened by timeouts at what was left of the client request’s deadline', async () => {
    const subgraph = counting(hangsPastItsDeadline);
    const { call, circuit } = gatedSource(subgraph.fetcher, 1);
    for (let i = 0; i < 3; i++) expect((await call(1000)).errors?.[0]?.extensions).toEqual({ code: 'SYSTEM_TIMEOUT', system: 'land' });
    expect(subgraph.calls()).toBe(3);
    expect(circuit.state).toBe('CLOSED');
    await call(60_000);
    expect(circuit.state).toBe('OPEN');
  });

  it('takes a subgraph that answers with its own backend’s failure as a healthy subgraph', async () => {
    let failing = true;
    const subgraph = counting(() =>
      failing
        ? hangsPastItsDeadline()
        : json({
            data: { landParcel: null },
            errors: [{ message: 'The land system is unavailable.', path: ['landParcel'], extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' } }],
          }),
    );
    const { call, circuit } = gatedSource(subgraph.fetcher, 2);
    await call();
    failing = false;
    await call();
    failing = true;
    await call();
    // Two failures, but not in a row: the answer in between reset the count.
    expect(circuit.state).toBe('CLOSED');
  });
});

describe('the deadline a subgraph call is given', () => {
  async function deadlineSent(context: Partial<GatewayContext>): Promise<number> {
    let sent: string | null | undefined;
    const fetcher = (async (_url: string, init: { headers: Record<string, string> | Headers }) => {
      sent = new Headers(init.headers).get('x-deadline-ms');
      return new Response(JSON.stringify({ data: { landParcel: null } }), { headers: { 'content-type': 'application/json' } });
    }) as unknown as Fetcher;
    const source = new SubgraphDataSource('land', 'http://land.invalid/graphql', fetcher, 5000, createLogger('test'));
    await source.process({
      kind: 'health check',
      request: { query: '{ landParcel(parcelId: "x") { area } }', variables: {} },
      context: { requestId: 't', ...context },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    return Number(sent);
  }

  it("is what is left of the request's deadline, less the time kept to commit the access records", async () => {
    const now = Date.now();
    const withReserve = await deadlineSent({ deadlineAt: now + 3000, subgraphDeadlineAt: now + 2700 });
    expect(withReserve).toBeLessThanOrEqual(2700);
    expect(withReserve).toBeGreaterThan(2000);
    const without = await deadlineSent({ deadlineAt: now + 3000 });
    expect(without).toBeGreaterThan(2700);
  });

  it("is the subgraph's own deadline when the request leaves more", async () => {
    expect(await deadlineSent({ deadlineAt: Date.now() + 60_000, subgraphDeadlineAt: Date.now() + 59_000 })).toBe(5000);
  });
});
