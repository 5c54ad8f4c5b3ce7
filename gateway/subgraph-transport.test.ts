import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALLER_ASSERTION_HEADER } from '../lib/access/caller.ts';
import { listen, type RunningServer } from '../lib/runtime/http-server.ts';
import { createSubgraphTransport, type SubgraphTransport } from './subgraph-transport.ts';

// A subgraph that holds every answer until the test lets it go.
let held: ServerResponse[] = [];
let received = 0;
let subgraph: RunningServer;
beforeAll(async () => {
  subgraph = await listen(
    createServer((req, res) => {
      received += 1;
      req.resume();
      req.on('end', () => held.push(res));
    }),
    0,
    '127.0.0.1',
  );
});
afterAll(() => subgraph.close());

describe('a public call that joins an identical one in flight', () => {
  it('keeps its own deadline: it times out alone, and the first call still gets its answer', async () => {
    const { send, close } = createSubgraphTransport({ connectTimeoutMs: 5000 });
    const body = JSON.stringify({ query: '{ provinces { code } }' });
    const call = (timeoutMs: number) =>
      send({ system: 'public-services', url: new URL(`${subgraph.url}/graphql`), body, headers: { 'content-type': 'application/json' }, timeoutMs, shareable: true });
    const first = call(60_000);
    await expect.poll(() => held.length).toBe(1);
    const joined = await call(100).catch((error: unknown) => error);
    expect(joined).toMatchObject({ name: 'TimeoutError' });
    expect(received).toBe(1);
    held[0]!.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"provinces":[]}}');
    expect(await first).toMatchObject({ status: 200, contentType: 'application/json', body: '{"data":{"provinces":[]}}' });
    held = [];
    await close();
  });
});

// A subgraph that answers at once with the cache headers and status its variables ask for.
describe('public answers kept for as long as their Cache-Control allows', () => {
  let asked = 0;
  let answering: RunningServer;
  beforeAll(async () => {
    answering = await listen(
      createServer((req, res) => {
        asked += 1;
        let text = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        req.on('end', () => {
          const { variables } = JSON.parse(text) as { variables: { cacheControl?: string; age?: string; status?: number } };
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (variables.cacheControl !== undefined) headers['cache-control'] = variables.cacheControl;
          if (variables.age !== undefined) headers.age = variables.age;
          res.writeHead(variables.status ?? 200, headers).end(JSON.stringify({ data: { asked } }));
        });
      }),
      0,
      '127.0.0.1',
    );
  });
  afterAll(() => answering.close());

  // Any moment but 0 will do: the cache's clock starts where the process's did.
  const START = 1_000_000;
  let clock = START;
  const outcomes: string[] = [];
  const cached = (entries = 10, bytes = 1024 * 1024) =>
    createSubgraphTransport({ connectTimeoutMs: 5000, publicAnswers: { entries, bytes }, now: () => clock, onPublicAnswer: (_, outcome) => outcomes.push(outcome) });
  const ask = async ({ send }: SubgraphTransport, variables: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const answer = await send({
      system: 'public-services',
      url: new URL(`${answering.url}/graphql`),
      body: JSON.stringify({ query: 'query($cacheControl: String) { asked }', variables }),
      headers: { 'content-type': 'application/json', ...headers },
      timeoutMs: 5000,
    });
    return { status: answer.status, asked: (JSON.parse(answer.body) as { data: { asked: number } }).data.asked };
  };
  beforeEach(() => {
    clock = START;
    outcomes.length = 0;
  });

  it('serves a public answer again without asking, whoever asks, until its max-age less its Age has passed', async () => {
    const transport = cached();
    const variables = { cacheControl: 'public, max-age=60', age: '20' };
    const first = await ask(transport, variables, { [CALLER_ASSERTION_HEADER]: 'one caller' });
    clock = START + 39_999;
    expect(await ask(transport, variables, { [CALLER_ASSERTION_HEADER]: 'another caller' })).toEqual(first);
    expect(await ask(transport, variables)).toEqual(first);
    clock = START + 40_000;
    const later = await ask(transport, variables);
    expect(later.asked).toBeGreaterThan(first.asked);
    expect(outcomes).toEqual(['stored', 'hit', 'hit', 'stored']);
    await transport.close();
  });

  it('says how long each answer may still be kept: its lifetime less its Age, then less the time it was kept here', async () => {
    const transport = cached();
    const call = {
      system: 'public-services' as const,
      url: new URL(`${answering.url}/graphql`),
      body: JSON.stringify({ query: 'query($cacheControl: String) { asked }', variables: { cacheControl: 'public, max-age=60', age: '20' } }),
      headers: { 'content-type': 'application/json' },
      timeoutMs: 5000,
    };
    expect((await transport.send(call)).freshSeconds).toBe(40);
    clock = START + 10_000;
    // Rounded down, so that a cache after this one never keeps it longer.
    expect((await transport.send(call)).freshSeconds).toBe(29);
    clock = START + 39_000;
    expect((await transport.send(call)).freshSeconds).toBeUndefined();
    const uncached = await transport.send({
      ...call,
      body: JSON.stringify({ query: 'query($cacheControl: String) { asked }', variables: { cacheControl: 'private, max-age=60' } }),
    });
    expect(uncached.freshSeconds).toBeUndefined();
    await transport.close();
  });

  it.each([
    ['no cache policy', {}],
    ['private', { cacheControl: 'private, max-age=60' }],
    ['no-store', { cacheControl: 'public, max-age=60, no-store' }],
    ['max-age without public', { cacheControl: 'max-age=60' }],
    ['already stale', { cacheControl: 'public, max-age=60', age: '60' }],
    ['an error status', { cacheControl: 'public, max-age=60', status: 500 }],
  ])('keeps no answer with %s: every call is sent', async (_, variables) => {
    const transport = cached();
    const first = await ask(transport, variables);
    const second = await ask(transport, variables);
    expect(second.asked).toBe(first.asked + 1);
    expect(outcomes).toEqual([]);
    await transport.close();
  });

  it('tells calls apart by their body: another query or variables is another answer', async () => {
    const transport = cached();
    const one = await ask(transport, { cacheControl: 'public, max-age=60', n: 1 });
    const two = await ask(transport, { cacheControl: 'public, max-age=60', n: 2 });
    expect(two.asked).toBe(one.asked + 1);
    expect(await ask(transport, { cacheControl: 'public, max-age=60', n: 1 })).toEqual(one);
    await transport.close();
  });

  it('keeps at most its number of answers, the least recently used going first', async () => {
    const transport = cached(2);
    const answers = [];
    for (const n of [1, 2]) answers.push(await ask(transport, { cacheControl: 'public, max-age=60', n }));
    expect(await ask(transport, { cacheControl: 'public, max-age=60', n: 1 })).toEqual(answers[0]);
    await ask(transport, { cacheControl: 'public, max-age=60', n: 3 });
    // 2 was the least recently used when 3 came: 1 is still kept, 2 is asked again.
    expect(await ask(transport, { cacheControl: 'public, max-age=60', n: 1 })).toEqual(answers[0]);
    expect((await ask(transport, { cacheControl: 'public, max-age=60', n: 2 })).asked).toBeGreaterThan(answers[1]!.asked);
    await transport.close();
  });

  it('keeps at most its bytes of answers, the least recently used going first, and no answer larger than them all', async () => {
    // Each call key holds about 4 kB of variables: two fit in 10 kB, three do not.
    const padded = (n: number, size = 4000) => ({ cacheControl: 'public, max-age=60', n, pad: 'x'.repeat(size) });
    const transport = cached(100, 10_000);
    const one = await ask(transport, padded(1));
    const two = await ask(transport, padded(2));
    expect(await ask(transport, padded(1))).toEqual(one);
    await ask(transport, padded(3));
    expect(await ask(transport, padded(1))).toEqual(one);
    expect((await ask(transport, padded(2))).asked).toBeGreaterThan(two.asked);
    outcomes.length = 0;
    const large = await ask(transport, padded(4, 12_000));
    expect((await ask(transport, padded(4, 12_000))).asked).toBe(large.asked + 1);
    expect(outcomes).toEqual([]);
    await transport.close();
  });

  it('keeps nothing without a number of answers to keep', async () => {
    const transport = createSubgraphTransport({ connectTimeoutMs: 5000 });
    const first = await ask(transport, { cacheControl: 'public, max-age=60' });
    expect((await ask(transport, { cacheControl: 'public, max-age=60' })).asked).toBe(first.asked + 1);
    await transport.close();
  });
});
