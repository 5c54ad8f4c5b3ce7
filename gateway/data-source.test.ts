import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/runtime/logger.ts';
import { CircuitBreaker } from '../lib/runtime/resilience.ts';
import type { SubgraphCallOutcome } from './connection-board.ts';
import { fieldPathsOf, SubgraphDataSource, uncacheable, type GatewayContext } from './data-source.ts';
import type { SubgraphAnswer, SubgraphCall } from './subgraph-transport.ts';

type Transport = { send: (call: SubgraphCall) => Promise<SubgraphAnswer> };
const json = (body: unknown, status = 200, contentType = 'application/json'): SubgraphAnswer => ({ status, contentType, body: JSON.stringify(body) });

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
  const timingOut: Transport = {
    send: async () => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    },
  };
  const refusing: Transport = {
    send: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    },
  };

  async function failedCall(transport: Transport, requestTimeLeftMs: number) {
    const seen: { system: string; outcome: SubgraphCallOutcome }[] = [];
    const source = new SubgraphDataSource('land', 'http://land.invalid/graphql', transport, 5000, createLogger('test'), {
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
    for (const [transport, code, reason] of [
      [timingOut, 'SYSTEM_TIMEOUT', 'no answer before the deadline'],
      [refusing, 'SYSTEM_UNAVAILABLE', 'connection refused'],
    ] as const) {
      const { seen, response } = await failedCall(transport, 60_000);
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

  function counting(answer: () => Promise<SubgraphAnswer>) {
    let calls = 0;
    const transport: Transport = {
      send: async () => {
        calls += 1;
        return answer();
      },
    };
    return { transport, calls: () => calls };
  }
  const hangsPastItsDeadline = () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));

  function gatedSource(transport: Transport, failures: number) {
    const seen: SubgraphCallOutcome[] = [];
    const circuit = new CircuitBreaker('land', { hop: 'subgraph', explainRefusals: true, failures, halfOpenMs: 60_000, maxHalfOpenMs: 60_000 });
    const source = new SubgraphDataSource(
      'land',
      'http://land.invalid/graphql',
      transport,
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
    const { call, circuit, seen } = gatedSource(subgraph.transport, 2);
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
    const { call, circuit } = gatedSource(subgraph.transport, 1);
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
        : Promise.resolve(
            json({
              data: { landParcel: null },
              errors: [{ message: 'The land system is unavailable.', path: ['landParcel'], extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' } }],
            }),
          ),
    );
    const { call, circuit } = gatedSource(subgraph.transport, 2);
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
    let sent: string | undefined;
    const transport: Transport = {
      send: async ({ headers }) => {
        sent = headers['x-deadline-ms'];
        return json({ data: { landParcel: null } });
      },
    };
    const source = new SubgraphDataSource('land', 'http://land.invalid/graphql', transport, 5000, createLogger('test'));
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

describe('a subgraph call on the wire', () => {
  const QUERY = '{ landParcel(parcelId: "x") { area } }';
  function sourceAnswering(answer: SubgraphAnswer) {
    const sent: SubgraphCall[] = [];
    const seen: SubgraphCallOutcome[] = [];
    const transport: Transport = {
      send: async (call) => {
        sent.push(call);
        return answer;
      },
    };
    const source = new SubgraphDataSource('land', 'http://land.invalid:4003/graphql', transport, 5000, createLogger('test'), {
      recordSubgraphCall: (_, outcome) => seen.push(outcome),
    });
    const process = (context: Partial<GatewayContext> = {}) =>
      source.process({
        kind: 'incoming operation',
        request: { query: QUERY, variables: { v: 1 }, operationName: 'Parcel' },
        context: { requestId: 'req-1', deadlineAt: Date.now() + 60_000, ...context },
      } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    return { process, sent, seen };
  }

  it('posts the query, variables and operation name as JSON with the request id, the signed caller and the deadline', async () => {
    const { process, sent } = sourceAnswering(json({ data: { landParcel: null } }));
    const signed: unknown[] = [];
    await process({
      callerAssertion: async (subgraph, query, variables) => {
        signed.push({ subgraph, query, variables });
        return 'signed-for-land';
      },
    });
    expect(sent).toHaveLength(1);
    const [call] = sent;
    expect(call!.system).toBe('land');
    expect(call!.url.href).toBe('http://land.invalid:4003/graphql');
    expect(JSON.parse(call!.body)).toEqual({ query: QUERY, variables: { v: 1 }, operationName: 'Parcel' });
    expect(call!.headers).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'req-1',
      'x-lien-thong-caller': 'signed-for-land',
      'x-deadline-ms': '5000',
    });
    expect(call!.timeoutMs).toBe(5000);
    expect(signed).toEqual([{ subgraph: 'land', query: QUERY, variables: { v: 1 } }]);
  });

  it('hands on a GraphQL response as the subgraph gave it, its errors included', async () => {
    const answer = { data: { landParcel: null }, errors: [{ message: 'no such parcel', path: ['landParcel'], extensions: { code: 'NOT_FOUND' } }] };
    for (const contentType of ['application/json', 'application/graphql-response+json; charset=utf-8', 'Application/JSON; charset=UTF-8']) {
      const { process } = sourceAnswering(json(answer, 200, contentType));
      expect(await process()).toEqual(answer);
    }
  });

  it.each([
    ['a server error', json({ errors: [{ message: 'boom' }] }, 503), 'SYSTEM_UNAVAILABLE', 'HTTP 503'],
    ['a refusal', json({ errors: [{ message: 'no caller assertion' }] }, 401), 'SYSTEM_BAD_RESPONSE', 'HTTP 401'],
    ['HTML', { status: 200, contentType: 'text/html', body: '<html></html>' }, 'SYSTEM_BAD_RESPONSE', 'answer is not a GraphQL response'],
    ['JSON under another media type', { status: 200, contentType: 'application/jsonl', body: '{"data":{}}' }, 'SYSTEM_BAD_RESPONSE', 'answer is not a GraphQL response'],
    ['JSON without a content type', { status: 200, contentType: undefined, body: '{"data":{}}' }, 'SYSTEM_BAD_RESPONSE', 'answer is not a GraphQL response'],
    ['JSON cut short', { status: 200, contentType: 'application/json', body: '{"data":' }, 'SYSTEM_BAD_RESPONSE', 'answer is not a GraphQL response'],
    ['a JSON list', json([{ data: {} }]), 'SYSTEM_BAD_RESPONSE', 'answer is not a GraphQL response'],
    ['errors that are not a list', json({ data: null, errors: { message: 'x' } }), 'SYSTEM_BAD_RESPONSE', 'answer is not a GraphQL response'],
  ] as const)('fails its fields with the system named, and nothing of the answer, on %s', async (_, answer, code, reason) => {
    const { process, seen } = sourceAnswering(answer);
    const response = await process();
    expect(response).toEqual({
      errors: [
        {
          message: expect.stringMatching(/^The land system \(.+\) (is unavailable|returned an answer that breaks its contract)\.$/) as unknown,
          path: ['landParcel'],
          extensions: { code, system: 'land' },
        },
      ],
    });
    expect(JSON.stringify(response)).not.toMatch(/boom|no caller assertion|html|invalid/);
    expect(seen).toEqual([{ ok: false, code, reason }]);
  });
});

describe("the whole answer's cache policy", () => {
  /** Apollo Server's policy as far as a data source uses it: the smallest max-age it was restricted to. */
  function policyAfter(answer: SubgraphAnswer | Error, source: 'subgraph' | 'local' = 'subgraph') {
    const hints: { maxAge?: number }[] = [];
    const overallCachePolicy = { restrict: (hint: { maxAge?: number }) => hints.push(hint) };
    const transport: Transport = {
      send: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
    const subgraph = new SubgraphDataSource('civil-status', 'http://civil-status.invalid:4002/graphql', transport, 5000, createLogger('test'));
    const local = uncacheable({ process: async () => ({ data: { connections: [] } }) });
    const options = {
      kind: 'incoming operation',
      request: { query: '{ provinceDigitization { status } }', variables: {} },
      incomingRequestContext: { overallCachePolicy },
      context: { requestId: 'req-1', deadlineAt: Date.now() + 60_000 },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
    return (source === 'subgraph' ? subgraph : local).process(options).then(() => hints);
  }

  it("is restricted to the seconds a shared cache may still keep the subgraph's answer", async () => {
    expect(await policyAfter({ ...json({ data: { provinceDigitization: [] } }), freshSeconds: 42 })).toEqual([{ maxAge: 42 }]);
  });

  it.each([
    ['an answer no shared cache may keep', json({ data: { provinceDigitization: [] } })],
    ['an answer with an error, fresh or not', { ...json({ data: null, errors: [{ message: 'x' }] }), freshSeconds: 42 }],
    ['an HTTP error', { ...json({ errors: [{ message: 'boom' }] }, 503), freshSeconds: 42 }],
    ['a call that got no answer', new Error('connect ECONNREFUSED')],
  ] as const)('is made uncacheable (max-age 0) by %s', async (_, answer) => {
    expect(await policyAfter(answer)).toEqual([{ maxAge: 0 }]);
  });

  it("is made uncacheable by the gateway's own live subgraphs (the board, the access log)", async () => {
    expect(await policyAfter(json({}), 'local')).toEqual([{ maxAge: 0 }]);
  });
});
