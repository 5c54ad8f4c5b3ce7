import { connect } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerWithApollo } from './apollo-answer.ts';
import { createGraphQLHttpServer, listen, type GraphQLAnswer, type RunningServer } from './http-server.ts';
import { createLogger } from './logger.ts';

let apollo: ApolloServer;
const answer: GraphQLAnswer<object> = (req, res, body, context, extraHeaders) => answerWithApollo(apollo, req, res, body, context, extraHeaders);
/** The default receive timeout: the tests that are not about it. */
let running: RunningServer;
/** A short receive timeout, met only by clients that never finish their request. */
let impatient: RunningServer;
const serve = (receiveTimeoutMs?: number) =>
  listen(
    createGraphQLHttpServer({
      answer,
      logger: createLogger('test'),
      context: async () => ({}),
      readiness: async () => ({ ready: true }),
      ...(receiveTimeoutMs === undefined ? {} : { receiveTimeoutMs }),
    }),
    0,
    '127.0.0.1',
  );
beforeAll(async () => {
  apollo = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'xin chào' } } });
  await apollo.start();
  running = await serve();
  impatient = await serve(300);
});
afterAll(async () => {
  await running.close();
  await impatient.close();
  await apollo.stop();
});

/** Sends `text` in one write on a raw connection and never more; resolves with everything the server sends until it closes. */
function trickle(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(impatient.port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('a client that never finishes its request', () => {
  it('gets 408 and the connection closed when the body never arrives', async () => {
    const answer = await trickle('POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('gets 408 and the connection closed when the headers never end', async () => {
    const answer = await trickle('POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: appli');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  // The whole request in one write is read in one go, so the timeout cannot fall between its parts however slow the machine.
  it('does not affect a client that sends its request whole', async () => {
    const body = JSON.stringify({ query: '{ hello }' });
    const answer = await trickle(
      `POST /graphql HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ data: { hello: 'xin chào' } });
  });
});

describe('CORS with no browser origin allowed (the default)', () => {
  it('answers a cross-origin request without CORS headers, and refuses its preflight', async () => {
    const answer = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://portal.example.gov.vn' },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${running.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example.gov.vn', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.ok).toBe(false);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('reading the JSON body', () => {
  let small: RunningServer;
  beforeAll(async () => {
    small = await listen(
      createGraphQLHttpServer({ answer, logger: createLogger('test'), context: async () => ({}), readiness: async () => ({ ready: true }), maxBodyBytes: 100 }),
      0,
      '127.0.0.1',
    );
  });
  afterAll(() => small.close());

  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${small.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, duplex: 'half' } as RequestInit);
  /** A body sent in chunks, without Content-Length. */
  const chunked = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < text.length; i += 16) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 16)));
        controller.close();
      },
    });

  it('answers a plain UTF-8 body, with or without a byte-order mark, and a gzipped one', async () => {
    const query = JSON.stringify({ query: '{ hello }' });
    for (const body of [query, `\uFEFF${query}`]) expect(await (await post(body)).json()).toEqual({ data: { hello: 'xin chào' } });
    const { gzipSync } = await import('node:zlib');
    expect(await (await post(gzipSync(query), { 'content-encoding': 'gzip' })).json()).toEqual({ data: { hello: 'xin chào' } });
  });

  it('refuses a body over the limit, whether its length is declared or it comes in chunks', async () => {
    const large = JSON.stringify({ query: `{ hello ${' '.repeat(120)}}` });
    const declared = await post(large);
    expect(declared.status).toBe(413);
    expect((await declared.json()).errors[0].message).toBe(`Request body of ${large.length} bytes exceeds the limit of 100 bytes.`);
    const streamed = await post(chunked(large));
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).errors[0].message).toBe('Request body exceeds the limit of 100 bytes.');
  });

  it('refuses a body that is not JSON, and reads an empty one as no request', async () => {
    const invalid = await post('{"query": ');
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).errors[0].message).toBe('Request body is not valid JSON.');
    // The same answer as body-parser's (which still reads a body in another UTF, here UTF-16).
    const empty = await post('');
    const emptyThroughBodyParser = await post('', { 'content-type': 'application/json; charset=utf-16' });
    expect(empty.status).toBe(400);
    expect([emptyThroughBodyParser.status, await emptyThroughBodyParser.text()]).toEqual([400, await empty.text()]);
  });
});
