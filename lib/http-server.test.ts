import { connect } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphQLHttpServer, listen, type RunningServer } from './http-server.ts';
import { createLogger } from './logger.ts';

let apollo: ApolloServer;
let running: RunningServer;
beforeAll(async () => {
  apollo = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'xin chào' } } });
  await apollo.start();
  const server = createGraphQLHttpServer({
    apollo,
    logger: createLogger('test'),
    context: async () => ({}),
    readiness: async () => ({ ready: true }),
    receiveTimeoutMs: 300,
  });
  running = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  await running.close();
  await apollo.stop();
});

/** Sends `text` on a raw connection and never more; resolves with everything the server sends until it closes. */
function trickle(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(running.port, '127.0.0.1', () => socket.write(text));
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

  it('does not affect a client that sends its request whole', async () => {
    const response = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    expect(await response.json()).toEqual({ data: { hello: 'xin chào' } });
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
