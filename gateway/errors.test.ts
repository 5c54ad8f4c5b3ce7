import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createErrorFormatter, maskError } from './errors.ts';

describe('error masking at the gateway', () => {
  it('keeps a client error with its argument, and nothing the gateway added', () => {
    const { masked, internal } = maskError({
      message: 'Invalid argument personalId: personal ID must be exactly 12 digits, got 3 characters.',
      path: ['citizen'],
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalId', serviceName: 'population', exception: { stacktrace: ['at x'] } },
    });
    expect(internal).toBe(false);
    expect(masked).toEqual({
      message: 'Invalid argument personalId: personal ID must be exactly 12 digits, got 3 characters.',
      path: ['citizen'],
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalId' },
    });
  });

  it('keeps a system failure as the subgraph reported it', () => {
    const { masked } = maskError({
      message: 'The land system (Bộ Nông nghiệp và Môi trường) did not answer in time.',
      path: ['citizen', 'landParcels'],
      extensions: { code: 'SYSTEM_TIMEOUT', system: 'land', serviceName: 'land' },
    });
    expect(masked.extensions).toEqual({ code: 'SYSTEM_TIMEOUT', system: 'land' });
  });

  it('reports an internal failure of a subgraph as internal, naming the system and nothing else', () => {
    const { masked, internal } = maskError({
      message: 'Cannot read properties of undefined (reading "x") at http://10.0.0.7:4001/graphql',
      path: ['citizen', 'father', 'personalIdInfo'],
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'population', response: { url: 'http://10.0.0.7:4001/graphql', body: 'stack' } },
    });
    expect(internal).toBe(true);
    expect(masked).toEqual({
      message: 'The population system (Bộ Công an) failed internally while answering.',
      path: ['citizen', 'father', 'personalIdInfo'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', system: 'population' },
    });
  });

  it('gives a generic error when no system is known, and logs the original cause', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const format = createErrorFormatter(logger);
    const original = new GraphQLError('boom at /srv/app/gateway.ts:12', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const masked = format({ message: original.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, original);
    expect(masked).toEqual({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, msg: 'internal error: boom at /srv/app/gateway.ts:12' });
  });
});
