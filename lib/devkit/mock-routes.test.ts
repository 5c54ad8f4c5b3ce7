import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cacheableAnswer, matchRoute, noneMatchNames, payloadOf, respond, route, type IncomingMockRequest, type MockHandler } from './mock-routes.ts';

const request = (method: string, path: string, headers: IncomingMockRequest['headers'] = {}, body = ''): IncomingMockRequest => ({
  method,
  path,
  query: new URLSearchParams(),
  headers,
  body: Buffer.from(body),
});

describe('mock route table', () => {
  const routes = [
    route.get('/v1/health', () => ({ status: 200, json: 'health' })),
    route.get('/v1/citizens/:personalId', ({ params }) => ({ status: 200, json: params })),
    route.post('/v1/citizens/batch-get', () => ({ status: 200, json: 'first' })),
    route.post('/v1/citizens/batch-get', () => ({ status: 200, json: 'second' })),
    route.any('/v1/anything', ({ method }) => ({ status: 200, json: method })),
  ];
  const matched = (method: string, path: string) => matchRoute(routes, method, path)?.route.pattern;

  it('matches exact segments by method, the first declared route winning', async () => {
    expect(matched('GET', '/v1/health')).toBe('/v1/health');
    expect(matched('POST', '/v1/health')).toBeUndefined();
    expect(matched('HEAD', '/v1/health')).toBeUndefined();
    expect((await respond(routes, request('POST', '/v1/citizens/batch-get')))?.json).toBe('first');
    expect((await respond(routes, request('DELETE', '/v1/anything')))?.json).toBe('DELETE');
  });

  it('ignores the case of literal segments and one trailing slash, and accepts any prefix', () => {
    expect(matched('GET', '/V1/Health')).toBe('/v1/health');
    expect(matched('GET', '/v1/health/')).toBe('/v1/health');
    expect(matched('GET', '/api/v1/health')).toBe('/v1/health');
    expect(matched('GET', '/v1//health')).toBeUndefined();
    expect(matched('GET', '/v1/health/extra')).toBeUndefined();
    expect(matched('GET', '/health')).toBeUndefined();
  });

  it('gives a parameter one non-empty segment, decoded', () => {
    expect(matchRoute(routes, 'GET', '/v1/citizens/001085012345')?.params).toEqual({ personalId: '001085012345' });
    expect(matchRoute(routes, 'GET', '/v1/citizens/a%20b')?.params).toEqual({ personalId: 'a b' });
    expect(matchRoute(routes, 'GET', '/v1/citizens/%E0%A4%A')?.params).toEqual({ personalId: '%E0%A4%A' });
    expect(matched('GET', '/v1/citizens/')).toBeUndefined();
    expect(matched('GET', '/v1/citizens/a/b')).toBeUndefined();
  });

  it('matches any path with the pattern *', () => {
    expect(matchRoute([route.any('*', () => ({ status: 204 }))], 'PATCH', '/whatever/at/all')?.route.pattern).toBe('*');
  });

  it('refuses a malformed pattern when the route is declared', () => {
    expect(() => route.get('v1/health', () => ({ status: 200 }))).toThrow(/must start with \//);
    expect(() => route.get('/v1/:', () => ({ status: 200 }))).toThrow(/unnamed parameter/);
    expect(() => route.get('/v1//x', () => ({ status: 200 }))).toThrow(/no segment may be empty/);
    expect(() => route.get('/v1/*', () => ({ status: 200 }))).toThrow(/only a whole pattern may be \*/);
  });

  it('reads a JSON body through a schema, and answers 400 as the backend would', async () => {
    const echo = [
      route.post('/v1/echo', (r) => {
        const read = r.json(z.object({ ids: z.array(z.string()).min(1) }));
        return read.ok ? { status: 200, json: read.body } : read.reply;
      }),
    ];
    expect(await respond(echo, request('POST', '/v1/echo', {}, '{"ids":["a"]}'))).toEqual({ status: 200, json: { ids: ['a'] } });
    expect(await respond(echo, request('POST', '/v1/echo', {}, '\uFEFF{"ids":["a"]}'))).toEqual({ status: 200, json: { ids: ['a'] } });
    expect(await respond(echo, request('POST', '/v1/echo', {}, 'nope'))).toEqual({ status: 400, json: { error: 'request body must be JSON' } });
    expect(await respond(echo, request('POST', '/v1/echo', {}, ''))).toEqual({ status: 400, json: { error: 'request body must be JSON' } });
    expect(await respond(echo, request('POST', '/v1/echo', {}, '{"ids":[]}'))).toEqual({
      status: 400,
      json: { error: 'ids: Too small: expected array to have >=1 items' },
    });
  });
});

/** A GET of `handler` alone, as if it were routed. */
const get = (handler: MockHandler, headers: IncomingMockRequest['headers'] = {}) =>
  respond([route.get('/v1/list', handler)], request('GET', '/v1/list', headers)).then((reply) => reply!);

describe('answers serialised once', () => {
  it('a cacheable answer is the same bytes every time', async () => {
    const handler = cacheableAnswer({ a: 'Hà Nội' }, 60);
    const first = await get(handler);
    expect(await get(handler)).toBe(first);
    expect(payloadOf(first).toString('utf8')).toBe('{"a":"Hà Nội"}');
  });

  it('a cacheable answer carries a strong ETag of its bytes, and is 304 to a request naming it', async () => {
    const handler = cacheableAnswer({ list: [1, 2, 3] }, 60);
    const fresh = await get(handler);
    expect(fresh.status).toBe(200);
    expect(fresh.headers).toMatchObject({ 'cache-control': 'public, max-age=60', 'content-type': 'application/json' });
    const etag = fresh.headers!.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await get(handler, { 'if-none-match': etag })).toEqual({ status: 304, headers: { 'cache-control': 'public, max-age=60', etag } });
    expect((await get(handler, { 'if-none-match': '"older"' })).status).toBe(200);
    expect((await get(cacheableAnswer({ list: [1, 2, 4] }, 60))).headers!.etag).not.toBe(etag);
  });

  it('If-None-Match: *, or any tag of a list, compared weakly (RFC 9110 §13.1.2)', () => {
    expect(noneMatchNames(undefined, '"x"')).toBe(false);
    expect(noneMatchNames('"x"', '"x"')).toBe(true);
    expect(noneMatchNames('W/"x"', '"x"')).toBe(true);
    expect(noneMatchNames(' "a" ,  "x"', '"x"')).toBe(true);
    expect(noneMatchNames('*', '"x"')).toBe(true);
    expect(noneMatchNames('"y"', '"x"')).toBe(false);
    expect(noneMatchNames('x', '"x"')).toBe(false);
  });
});
