import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/services.ts';
import { NAMED_IDS } from '../lib/synthetic/named.ts';
import { SYSTEM_IDS, SYSTEMS } from '../lib/systems.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('npm start', () => {
  it('starts nine processes on the mocks, answers through the gateway, and stops them all on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    const ports: number[] = [];
    for (const id of SYSTEM_IDS) {
      const { envPrefix } = SYSTEMS[id];
      for (const suffix of ['BACKEND_PORT', 'SUBGRAPH_PORT']) {
        const port = await freePort();
        ports.push(port);
        env[`${envPrefix}_${suffix}`] = String(port);
      }
    }
    const gatewayPort = await freePort();
    ports.push(gatewayPort);
    env.GATEWAY_PORT = String(gatewayPort);

    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (output.includes('Liên thông is up')) {
          clearInterval(check);
          resolve();
        } else if (child!.exitCode !== null) {
          clearInterval(check);
          reject(new Error(`npm start exited early:\n${output}`));
        }
      }, 100);
    });
    expect(output).toContain('9 processes');
    expect(output).toContain(`http://127.0.0.1:${gatewayPort}/graphql`);

    // The development API key it printed, with a purpose.
    const apiKey = /x-api-key: (\S+)/.exec(output)?.[1];
    expect(apiKey).toMatch(/^lt_dev_/);
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey!, 'x-purpose-code': 'land-transfer', 'x-case-number': 'HS-1' },
      body: JSON.stringify({ query: `{ citizen(personalId: "${NAMED_IDS.head}") { fullName maritalStatus landParcels { parcelId } } }` }),
    });
    expect(await response.json()).toEqual({
      data: { citizen: { fullName: 'Nguyễn Văn An', maritalStatus: 'MARRIED', landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] } },
    });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('All services stopped.');
    for (const port of ports) {
      await expect(fetch(`http://127.0.0.1:${port}/health`), `port ${port} still answers`).rejects.toThrow();
    }
  }, 120_000);

  it('stops everything and exits non-zero, naming the service, when one cannot start', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as { port: number }).port;
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', GATEWAY_PORT: String(takenPort) };
    for (const id of SYSTEM_IDS) {
      env[`${SYSTEMS[id].envPrefix}_BACKEND_PORT`] = String(await freePort());
      env[`${SYSTEMS[id].envPrefix}_SUBGRAPH_PORT`] = String(await freePort());
    }
    try {
      child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain('gateway exited unexpectedly (code 1); stopping the others.');
      expect(output).toContain('EADDRINUSE');
      expect(output).not.toContain('Liên thông is up');
    } finally {
      blocker.close();
    }
  }, 120_000);
});
