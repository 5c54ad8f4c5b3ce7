import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS, LISTEN_BACKLOG, listen, type RunningServer } from './http-server.ts';

/**
 * The listening socket takes a burst of connections, and an idle keep-alive connection outlives the
 * time clients are told: see LISTEN_BACKLOG and KEEP_ALIVE_TIMEOUT_MS for the ECONNRESETs they prevent.
 */
describe('listen()', () => {
  let running: RunningServer;
  beforeAll(async () => {
    const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (_req, res) => res.end('ok'));
    running = await listen(server, 0, '127.0.0.1');
  });
  afterAll(() => running?.close());

  it('asks the kernel for an accept queue of LISTEN_BACKLOG connections (capped by net.core.somaxconn), not Node’s 511', () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    // For a listening socket, ss shows the accept queue's capacity as Send-Q.
    const line = execFileSync('ss', ['-ltnH', `sport = :${running.port}`], { encoding: 'utf8' }).trim();
    const sendQ = Number(line.split(/\s+/)[2]);
    expect(sendQ).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
  });

  it('keeps an idle connection open longer than the whole seconds it announces in Keep-Alive', async () => {
    const response = await fetch(running.url);
    await response.text();
    const announced = Number(/timeout=(\d+)/.exec(response.headers.get('keep-alive') ?? '')?.[1]);
    expect(announced).toBeGreaterThanOrEqual(1);
    expect(KEEP_ALIVE_TIMEOUT_MS - announced * 1000).toBeGreaterThanOrEqual(500);
  });
});
