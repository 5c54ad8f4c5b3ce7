import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, withFreePorts } from '../lib/devkit/services.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';
import { startNodeGroup } from './support/child-process.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
/** The gateway, and a subgraph and a mock backend for each system. */
const PROCESSES = 1 + 2 * SYSTEM_IDS.length;
/** Generous: on two cores shared with other work, a start of nine processes has taken over 90 s. */
const WAIT_MS = 300_000;
/** npm start's own patience, at start and after a restart (STARTUP_TIMEOUT_MS), as generous. */
const SLOW_MACHINE: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', STARTUP_TIMEOUT_MS: String(WAIT_MS) };

interface NpmStart {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in the output from `from` on; rejects if npm start exits first. */
  waitFor(pattern: RegExp, from?: number): Promise<RegExpExecArray>;
}

const running: ChildProcess[] = [];
afterAll(() => {
  // Each npm start leads a process group of its own: whatever is left of one goes with it.
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/**
 * `npm start` (scripts/start.ts) with `env`, leading a process group of its own with its children,
 * as in a terminal (where Ctrl-C sends SIGINT to the whole group).
 */
function npmStart(env: NodeJS.ProcessEnv): NpmStart {
  const { child, output, exited } = startNodeGroup(['--import', 'tsx', 'scripts/start.ts'], env);
  running.push(child);
  const waitFor = (pattern: RegExp, from = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const deadline = performance.now() + WAIT_MS;
      const check = setInterval(() => {
        const match = pattern.exec(output().slice(from));
        if (match) {
          clearInterval(check);
          resolve(match);
        } else if (child.exitCode !== null || performance.now() > deadline) {
          clearInterval(check);
          reject(new Error(`${child.exitCode === null ? 'no' : 'npm start exited before'} ${pattern} in:\n${output().slice(-5000)}`));
        }
      }, 100);
    });
  return { child, output, exited, waitFor };
}

/** Every pid npm start printed: the banner's, and each restarted process's. */
function printedPids(output: string): Map<string, number[]> {
  const pids = new Map<string, number[]>();
  const add = (name: string, pid: string) => pids.set(name, [...(pids.get(name) ?? []), Number(pid)]);
  for (const [, name, pid] of output.matchAll(/^ {2}(\S+) +http:\/\/\S+ +pid (\d+)$/gm)) add(name!, pid!);
  for (const [, name, pid] of output.matchAll(/\[supervisor\] (\S+) is back \(pid (\d+)\)/g)) add(name!, pid!);
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status === 200;
  } catch {
    return false;
  }
}

const CITIZEN = `{ citizen(personalId: "${NAMED_IDS.head}") { fullName maritalStatus landParcels { parcelId } } }`;
const WHOLE = { data: { citizen: { fullName: 'Nguyễn Văn An', maritalStatus: 'MARRIED', landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] } } };

interface Answer {
  data?: { citizen: { fullName: string; maritalStatus: string | null; landParcels: unknown[] | null } | null };
  errors?: { path?: unknown[]; extensions?: { code?: string; system?: string } }[];
}

async function ask(gatewayPort: string | number, apiKey: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-purpose-code': 'land-transfer', 'x-case-number': 'HS-1' },
    body: JSON.stringify({ query: CITIZEN }),
  });
  return (await response.json()) as Answer;
}

/** Asks until the answer is whole (circuits close once their trial call passes), at most every half second, within WAIT_MS. */
async function untilWhole(gatewayPort: string, apiKey: string): Promise<Answer> {
  const deadline = performance.now() + WAIT_MS;
  let answer = await ask(gatewayPort, apiKey);
  while (answer.errors && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    answer = await ask(gatewayPort, apiKey);
  }
  return answer;
}

describe('npm start', () => {
  it(
    'starts every process on the mocks (the gateway, each subgraph and mock backend), prints their pids, answers through the gateway, and stops them all on SIGTERM',
    async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...SLOW_MACHINE };
      const ports = await freePorts(SYSTEM_IDS.length * 2 + 1);
      const unused = [...ports];
      for (const id of SYSTEM_IDS) {
        const { envPrefix } = SYSTEMS[id];
        for (const suffix of ['BACKEND_PORT', 'SUBGRAPH_PORT']) env[`${envPrefix}_${suffix}`] = String(unused.shift());
      }
      const gatewayPort = unused.shift()!;
      env.GATEWAY_PORT = String(gatewayPort);

      const start = npmStart(env);
      await start.waitFor(/Liên thông is up/);
      const output = start.output();
      expect(output).toContain(`${PROCESSES} processes`);
      expect(output).toContain(`http://127.0.0.1:${gatewayPort}/graphql`);
      const pids = [...printedPids(output).values()].flat();
      expect(pids).toHaveLength(PROCESSES);
      // The connection test it suggests tests these mocks, not the default ports.
      const backendPorts = SYSTEM_IDS.map((id) => `${SYSTEMS[id].envPrefix}_BACKEND_PORT=${env[`${SYSTEMS[id].envPrefix}_BACKEND_PORT`]}`);
      expect(output).toContain(`Connection test: ${backendPorts.join(' ')} npm run check-connections`);

      // The development API key it printed, with a purpose.
      const apiKey = /x-api-key: (\S+)/.exec(output)?.[1];
      expect(apiKey).toMatch(/^lt_dev_/);
      expect(await ask(gatewayPort, apiKey!)).toEqual(WHOLE);

      start.child.kill('SIGTERM');
      expect(await start.exited).toBe(0);
      expect(start.output()).toContain('All services stopped.');
      for (const port of ports) {
        await expect(fetch(`http://127.0.0.1:${port}/health`), `port ${port} still answers`).rejects.toThrow();
      }
      for (const pid of pids) expect(alive(pid), `pid ${pid} still runs`).toBe(false);
    },
    2 * WAIT_MS,
  );

  it(
    'stops everything and exits non-zero, naming the service, when one cannot start: no restarts',
    async () => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const takenPort = (blocker.address() as { port: number }).port;
      const env: NodeJS.ProcessEnv = { ...process.env, ...SLOW_MACHINE, GATEWAY_PORT: String(takenPort) };
      const unused = await freePorts(SYSTEM_IDS.length * 2, new Set([takenPort]));
      for (const id of SYSTEM_IDS) {
        env[`${SYSTEMS[id].envPrefix}_BACKEND_PORT`] = String(unused.shift());
        env[`${SYSTEMS[id].envPrefix}_SUBGRAPH_PORT`] = String(unused.shift());
      }
      try {
        const start = npmStart(env);
        expect(await start.exited).toBe(1);
        const output = start.output();
        expect(output).toMatch(/gateway exited \(exit code 1\) before answering: could not start: EADDRINUSE .*; stopping the others\./);
        expect(output).not.toContain('Liên thông is up');
        expect(output).not.toContain('[supervisor]');
      } finally {
        blocker.close();
      }
    },
    2 * WAIT_MS,
  );
});

describe('npm start supervises', () => {
  const policyDir = mkdtempSync(join(tmpdir(), 'lien-thong-start-'));
  afterAll(() => rmSync(policyDir, { recursive: true, force: true }));

  it(
    'restarts a killed subgraph and mock backend while the others answer, gives up on one that keeps crashing, and stops all on Ctrl-C',
    async () => {
      // The access policy in a copy of its own: breaking it later makes every restart of a subgraph fail.
      const policyFile = join(policyDir, 'access-policy.json');
      copyFileSync(join(root, 'policy/access-policy.json'), policyFile);
      const env = await withFreePorts({
        ...process.env,
        ...SLOW_MACHINE,
        ACCESS_POLICY_FILE: policyFile,
        // Long enough for a query to see the process gone, however slow the machine.
        RESTART_DELAY_MS: '10000',
        RESTART_MAX_DELAY_MS: '10000',
        RESTART_LIMIT_CRASHES: '3',
        RESTART_LIMIT_WINDOW_MS: '600000',
      });
      const gatewayPort = env.GATEWAY_PORT!;
      const start = npmStart(env);
      await start.waitFor(/Liên thông is up/);
      const apiKey = /x-api-key: (\S+)/.exec(start.output())![1]!;
      const pid = (name: string) => printedPids(start.output()).get(name)!.at(-1)!;
      const others = (except: string[]) =>
        Object.entries(env)
          .filter(([name]) => /_(BACKEND|SUBGRAPH)_PORT$|^GATEWAY_PORT$/.test(name))
          .map(([name, port]) => ({ name, url: `http://127.0.0.1:${port}/health` }))
          .filter(({ name }) => !except.includes(name));
      // Whole once every circuit has settled (on a loaded machine a first backend call may fail).
      expect(await untilWhole(gatewayPort, apiKey)).toEqual(WHOLE);

      // A subgraph, then a mock backend, killed: the land fields fail meanwhile, the rest answers, and it comes back.
      for (const [service, portVariable] of [
        ['land-subgraph', 'LAND_SUBGRAPH_PORT'],
        ['mock-land', 'LAND_BACKEND_PORT'],
      ] as const) {
        const from = start.output().length;
        const killed = pid(service);
        process.kill(killed, 'SIGKILL');
        const crash = await start.waitFor(
          new RegExp(
            `\\[supervisor\\] ${service} \\(pid ${killed}\\) crashed \\(killed by SIGKILL\\)\\. Restarting it in 10 s \\(attempt 1; 1 of 3 crashes allowed in 600 s\\)\\.`,
          ),
          from,
        );
        const partial = await ask(gatewayPort, apiKey);
        expect(partial.data, service).toEqual({ citizen: { ...WHOLE.data.citizen, landParcels: null } });
        expect(
          partial.errors?.map((e) => [e.path, e.extensions]),
          service,
        ).toEqual([[['citizen', 'landParcels'], { code: 'SYSTEM_UNAVAILABLE', system: 'land' }]]);
        for (const other of others([portVariable])) expect(await answers(other.url), `${other.name} answers while ${service} is down`).toBe(true);

        const back = await start.waitFor(
          new RegExp(`\\[supervisor\\] ${service} is back \\(pid (\\d+)\\), answering [\\d.]+ s after the crash \\(attempt 1\\)\\.`),
          from + crash.index,
        );
        expect(Number(back[1])).not.toBe(killed);
        expect(alive(Number(back[1]))).toBe(true);
        expect(await untilWhole(gatewayPort, apiKey), `whole again after ${service} is back`).toEqual(WHOLE);
      }

      // A subgraph that cannot start any more (its policy file broken): killed, restarted twice in vain, given up.
      writeFileSync(policyFile, '{ broken');
      const from = start.output().length;
      const killed = pid('civil-status-subgraph');
      process.kill(killed, 'SIGKILL');
      const gaveUp = await start.waitFor(/\[supervisor\] gave up restarting civil-status-subgraph after 3 crashes in [\d.]+ s: (.*)$/m, from);
      expect(gaveUp[1]).toContain(`could not start: access policy ${policyFile} cannot be read`);
      const log = start.output().slice(from);
      expect(log).toMatch(
        /civil-status-subgraph \(pid \d+\) crashed \(exit code 1\): could not start: access policy .* cannot be read.*\. Restarting it in 10 s \(attempt 2; 2 of 3 crashes allowed in 600 s\)\./,
      );
      expect(log).toMatch(/civil-status-subgraph \(pid \d+\) crashed \(exit code 1\): .*\. Not restarting it \(3 of 3 crashes allowed in 600 s\)\./);
      expect(log).toContain(`[supervisor] The other ${PROCESSES - 1} processes keep running; the gateway answers without civil-status-subgraph until npm start is run again.`);
      expect(log).not.toContain('civil-status-subgraph is back');

      // npm start keeps serving without it: the rest of the answer, civil-status fields failed.
      expect(start.child.exitCode).toBeNull();
      for (const other of others(['CIVIL_STATUS_SUBGRAPH_PORT'])) expect(await answers(other.url), `${other.name} answers`).toBe(true);
      const withoutCivilStatus = await ask(gatewayPort, apiKey);
      expect(withoutCivilStatus.data?.citizen).toMatchObject({ fullName: 'Nguyễn Văn An', landParcels: WHOLE.data.citizen.landParcels });
      expect(withoutCivilStatus.errors?.length).toBeGreaterThan(0);
      for (const error of withoutCivilStatus.errors ?? []) expect(error.extensions).toMatchObject({ system: 'civil-status' });

      // Ctrl-C in a terminal: SIGINT to the whole process group. A stop, not a crash: nothing restarted.
      const stopFrom = start.output().length;
      process.kill(-start.child.pid!, 'SIGINT');
      expect(await start.exited).toBe(0);
      const stopLog = start.output().slice(stopFrom);
      expect(stopLog).toContain('All services stopped.');
      expect(stopLog).not.toContain('[supervisor]');
      const pids = [...printedPids(start.output()).values()].flat();
      // Every process, and the new pids of the restarted subgraph and mock backend.
      expect(pids).toHaveLength(PROCESSES + 2);
      for (const each of pids) expect(alive(each), `pid ${each} still runs`).toBe(false);
    },
    6 * WAIT_MS,
  );
});
