import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../lib/runtime/http-server.ts';
import { DEADLINE_HEADER } from '../lib/runtime/subgraph.ts';
import { createSubgraphFetcher } from './fetcher.ts';

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
    const { fetcher, close } = createSubgraphFetcher({ timeoutMs: 60_000 });
    const body = JSON.stringify({ query: '{ provinces { code } }' });
    const call = (deadlineMs: number) =>
      fetcher(`${subgraph.url}/graphql`, { method: 'POST', body, headers: { 'content-type': 'application/json', [DEADLINE_HEADER]: String(deadlineMs) } });
    const first = call(60_000);
    await expect.poll(() => held.length).toBe(1);
    const joined = await call(100).catch((error: unknown) => error);
    expect(joined).toMatchObject({ name: 'TimeoutError' });
    expect(received).toBe(1);
    held[0]!.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"provinces":[]}}');
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { provinces: [] } });
    held = [];
    await close();
  });
});
