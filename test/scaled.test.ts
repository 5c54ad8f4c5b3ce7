/**
 * `npm run start:scaled` with real parts: HAProxy (Debian `haproxy`), a PostgreSQL 15 server
 * (Debian `postgresql-15`), three gateway replicas, the four subgraphs and four mock backends, all on
 * free loopback ports. Under steady load through HAProxy one replica is killed (SIGKILL): HAProxy
 * takes it out on its `/ready` checks, only requests in flight at the kill fail, every personal
 * answer has its access record, the chain stays whole across replicas, and the restarted replica
 * is sent requests again. Every assertion is on outcomes (counts, states), never on speed.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, withFreePorts } from '../lib/devkit/services.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { SERVICE_HEAP_OPTIONS } from '../lib/runtime/service-layout.ts';
import { SYSTEM_IDS } from '../lib/runtime/systems.ts';
import { startNodeGroup } from './support/child-process.ts';
import { haproxyBinary, haproxyConfig, readServerStats, type ServerStats } from '../scale/haproxy.ts';
import { scaledLayout } from '../scale/layout.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const REPLICAS = 3;
const CLIENTS = 6;
/** Upper bounds on waiting, generous for two shared cores; the test asserts no speed. */
const START_WAIT_MS = 180_000;
const PHASE_WAIT_MS = 120_000;
/** Requests a replica must have been sent to count as serving (before the kill, and after it rejoins). */
const SERVING = 15;
const MAX_REQUESTS_PER_CLIENT = 5000;

const PERSONAL_QUERY = JSON.stringify({ query: `{ citizen(personalId: "${NAMED_IDS.head}") { fullName } }` });

const children: ChildProcess[] = [];
afterAll(async () => {
  // After a failed assertion: Ctrl-C first, so that PostgreSQL's and HAProxy's temporary directories
  // are removed; whatever is left after 30 s is killed.
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {
      continue;
    }
    await Promise.race([exited, sleep(30_000)]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}, 60_000);

function requirePackages(): void {
  if (!existsSync(process.env.HAPROXY_PATH || '/usr/sbin/haproxy')) throw new Error('HAProxy is not installed: apt-get install --no-install-recommends haproxy');
  if (!existsSync(`${process.env.PG_BIN || '/usr/lib/postgresql/15/bin'}/initdb`)) throw new Error('PostgreSQL 15 is not installed: apt-get install postgresql-15');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = PHASE_WAIT_MS, everyMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface Outcome {
  status: number | 'network-error';
  personal: boolean;
  /** performance.now() when it was sent. */
  sentAt: number;
  error?: string;
}

describe('npm run start:scaled', () => {
  it('balances 3 gateways, takes a killed one out on its health checks, loses no access record, and takes it back once restarted', async () => {
    requirePackages();
    const replicaPorts = await freePorts(REPLICAS + 1);
    const statsPort = replicaPorts.pop()!;
    const env = await withFreePorts(
      {
        ...process.env,
        LOG_LEVEL: 'warn',
        STARTUP_TIMEOUT_MS: String(START_WAIT_MS),
        GATEWAY_REPLICAS: String(REPLICAS),
        GATEWAY_REPLICA_PORTS: replicaPorts.join(','),
        HAPROXY_STATS_PORT: String(statsPort),
        // The killed replica stays away long enough for HAProxy's statistics to be read while it is out.
        RESTART_DELAY_MS: '3000',
      },
      [statsPort, ...replicaPorts],
    );
    const balancer = `http://127.0.0.1:${env.GATEWAY_PORT}`;

    const { child, output, exited } = startNodeGroup(['--import', 'tsx', 'scripts/start-scaled.ts'], env);
    children.push(child);
    await until(
      'the banner',
      async () => {
        if (child.exitCode !== null) throw new Error(`start:scaled exited ${child.exitCode}:\n${output()}`);
        return output().includes('Liên thông is up, scaled out') ? true : undefined;
      },
      START_WAIT_MS,
      200,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output().slice(-4000)}`);
    });

    const pids = new Map([...output().matchAll(/^ {2}(\S+) +(\S+) +pid (\d+)$/gm)].map(([, name, address, pid]) => [name!, { address: address!, pid: Number(pid) }]));
    expect([...pids.keys()].sort()).toEqual(
      ['haproxy', 'postgresql', 'gateway-1', 'gateway-2', 'gateway-3', ...SYSTEM_IDS.flatMap((id) => [`mock-${id}`, `${id}-subgraph`])].sort(),
    );
    const databaseUrl = pids.get('postgresql')!.address;
    const apiKey = /x-api-key: (\S+)/.exec(output())![1]!;
    const stats = () => readServerStats('127.0.0.1', statsPort);
    const server = async (name: string) => (await stats()).find((s) => s.name === name)!;

    // Every replica reports the same live connection view (each probes on its own; see README "Scale out").
    const views = await until('the same connection view on every replica', async () => {
      const seen = await Promise.all(
        replicaPorts.map(async (port) => {
          const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ connections { systemId status } }' }),
          });
          return JSON.stringify(((await response.json()) as { data: unknown }).data);
        }),
      );
      return seen.every((view) => view === seen[0]) && !seen[0]!.includes('"DOWN"') && !seen[0]!.includes('"DEGRADED"') ? seen : undefined;
    });
    expect(JSON.parse(views[0]!)).toEqual({ connections: SYSTEM_IDS.map((systemId) => ({ systemId, status: 'UP' })) });

    // Steady load: CLIENTS clients, each one request after another, through HAProxy, with keep-alive.
    const outcomes: Outcome[] = [];
    let inFlight = 0;
    let stop = false;
    const client = async () => {
      for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && !stop; i++) {
        inFlight += 1;
        const sentAt = performance.now();
        try {
          const response = await fetch(`${balancer}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-purpose-code': 'land-transfer', 'x-case-number': 'HS-2026-0001' },
            body: PERSONAL_QUERY,
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await response.json().catch(() => ({}))) as { data?: { citizen?: { fullName?: string } | null } };
          outcomes.push({ status: response.status, personal: body.data?.citizen?.fullName === 'Nguyễn Văn An', sentAt });
        } catch (error) {
          const cause = (error as { cause?: { code?: string; message?: string } }).cause;
          outcomes.push({ status: 'network-error', personal: false, sentAt, error: cause?.code ?? cause?.message ?? String(error) });
        } finally {
          inFlight -= 1;
        }
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, client));
    try {
      // Round robin: every replica serves.
      await until('every replica serving', async () => ((await stats()).every((s) => s.sessions >= SERVING) ? true : undefined));
      const beforeKill = outcomes.length;

      const victim = pids.get('gateway-2')!.pid;
      const inFlightAtKill = inFlight;
      const killedAt = performance.now();
      process.kill(victim, 'SIGKILL');
      // Until it is gone, nothing else runs here: a request sent after this line was sent after the kill.
      const goneBy = Date.now() + 5000;
      while (Date.now() < goneBy) {
        try {
          process.kill(victim, 0);
        } catch {
          break;
        }
      }

      // HAProxy's checks on /ready take it out; from then on no request is sent to it.
      const down = await until('gateway-2 marked DOWN', async () => {
        const s = await server('gateway-2');
        return s.status.startsWith('DOWN') && s.status !== 'DOWN 1/2' ? s : undefined;
      });
      const secondsUntilDown = (performance.now() - killedAt) / 1000;
      const failedBeforeDown = outcomes.filter((o) => o.status !== 200).length;
      let lastWhileDown: ServerStats = down;
      const rejoined = await until('gateway-2 back UP', async () => {
        const s = await server('gateway-2');
        if (s.status === 'UP') return s;
        if (s.status.startsWith('DOWN')) lastWhileDown = s;
        return undefined;
      });
      // Sent nothing while DOWN (the other two answered everything meanwhile: see the failures below).
      expect(lastWhileDown.sessions).toBe(down.sessions);
      expect(rejoined.downTransitions).toBe(1);
      const requestsWhileOut = outcomes.length;

      // Rejoined: requests reach it again.
      await until('gateway-2 serving again', async () => ((await server('gateway-2')).sessions >= rejoined.sessions + SERVING ? true : undefined));
      stop = true;
      await load;

      const answers = outcomes.filter((o) => o.status === 200 && o.personal).length;
      const failures = outcomes.filter((o) => o.status !== 200);
      // At most the requests in flight at the kill fail, and only at the kill.
      expect(failures.length).toBeLessThanOrEqual(inFlightAtKill);
      expect(failures.filter((f) => f.sentAt >= killedAt)).toEqual([]);
      expect(outcomes.filter((o) => o.status !== 200).length).toBe(failedBeforeDown);
      // HAProxy answers such a request 502, or, when it was not the first on its keep-alive
      // connection, closes that connection without an answer, as the gateway would have, so that
      // the client may decide to retry it.
      for (const failure of failures) expect([502, 'network-error']).toContain(failure.status);
      expect(outcomes.filter((o) => o.status === 200 && !o.personal)).toEqual([]);

      // Every personal answer has its record; a record without an answer can only be one of the failed requests.
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      const { rows } = await db.query<{ records: string; first: string; last: string }>('SELECT count(*) AS records, min(seq) AS first, max(seq) AS last FROM access_log');
      await db.end();
      const records = Number(rows[0]!.records);
      expect(records).toBeGreaterThanOrEqual(answers);
      expect(records).toBeLessThanOrEqual(answers + failures.length);
      expect([Number(rows[0]!.first), Number(rows[0]!.last)]).toEqual([1, records]);

      // The chain, written by three replicas (one of them twice over), is intact: npm run audit:verify,
      // with the development key set the replicas were given (scripts/dev-environment.ts).
      const verify = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/dev-environment.ts', 'scripts/audit-verify.ts', '--database-url', databaseUrl], {
        cwd: root,
        env: process.env,
        encoding: 'utf8',
      });
      expect(verify.stdout).toContain(`${records.toLocaleString('en-US')} records, chain intact`);
      expect(verify.status).toBe(0);

      const final = await stats();
      console.log(
        [
          `scaled: ${outcomes.length} requests by ${CLIENTS} clients (${beforeKill} before the kill, ${requestsWhileOut - beforeKill} until gateway-2 was back UP)`,
          `  failed: ${failures.length} (${failures.map((f) => (f.status === 'network-error' ? `connection closed: ${f.error}` : `HTTP ${f.status}`)).join(', ') || 'none'}), in flight at the kill: ${inFlightAtKill}`,
          `  gateway-2 marked DOWN ${secondsUntilDown.toFixed(1)} s after SIGKILL; sessions frozen at ${down.sessions} while DOWN`,
          `  per replica (sessions, 2xx, 5xx, connection errors, redispatched): ${final.map((s) => `${s.name} ${s.sessions}/${s.responses2xx}/${s.responses5xx}/${s.connectionErrors}/${s.redispatched}`).join(', ')}`,
          `  personal answers ${answers}, access records ${records} (seq 1..${rows[0]!.last}), ${verify.stdout.trim()}`,
        ].join('\n'),
      );
    } finally {
      stop = true;
      await load;
    }

    // Ctrl-C (SIGINT to the process group, as a terminal sends it) stops everything, HAProxy and PostgreSQL too.
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('All services stopped, HAProxy and PostgreSQL included.');
    for (const [name, { pid }] of pids) {
      expect(() => process.kill(pid, 0), `${name} (pid ${pid}) still running`).toThrow();
    }
  }, 420_000);
});

describe('scaled layout and HAProxy configuration', () => {
  it('puts each replica on its own port, and refuses a port list that does not match or ports set twice', () => {
    const layout = scaledLayout({ GATEWAY_REPLICAS: '2', GATEWAY_REPLICA_PORTS: '5011, 5012', GATEWAY_PORT: '5000', HAPROXY_STATS_PORT: '5009' });
    expect(layout.replicas).toEqual([
      { name: 'gateway-1', entry: 'gateway/main.ts', port: 5011, nodeOptions: SERVICE_HEAP_OPTIONS },
      { name: 'gateway-2', entry: 'gateway/main.ts', port: 5012, nodeOptions: SERVICE_HEAP_OPTIONS },
    ]);
    expect(layout.services.map((s) => s.name)).not.toContain('gateway');
    expect(layout.services).toHaveLength(2 + 2 * SYSTEM_IDS.length);
    expect([layout.balancerPort, layout.statsPort]).toEqual([5000, 5009]);
    expect(scaledLayout({}).replicas.map((r) => r.port)).toEqual([4011, 4012, 4013]);
    expect(() => scaledLayout({ GATEWAY_REPLICAS: '3', GATEWAY_REPLICA_PORTS: '5011,5012' })).toThrow(/must list 3 ports/);
    expect(() => scaledLayout({ GATEWAY_REPLICA_PORTS: '5011,5012,4001' })).toThrow(/Port 4001 is set for two processes/);
  });

  it('writes a configuration HAProxy accepts, retrying only connections that could not be made', () => {
    requirePackages();
    const config = haproxyConfig({ host: '127.0.0.1', port: 5000, statsPort: 5009, servers: [{ name: 'gateway-1', port: 5011 }], requestTimeoutMs: 10_000 });
    expect(config).toMatch(/^\s*retry-on conn-failure$/m);
    expect(config).toMatch(/^\s*timeout server 15000ms$/m);
    expect(config).toMatch(/http-check send meth GET uri \/ready/);
    const dir = mkdtempSync(join(tmpdir(), 'lien-thong-haproxy-check-'));
    try {
      writeFileSync(join(dir, 'haproxy.cfg'), config);
      const check = spawnSync(haproxyBinary(), ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
      expect(check.status, check.stderr + check.stdout).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
