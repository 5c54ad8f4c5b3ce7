/**
 * A real, throwaway PostgreSQL 15 server: initdb into a temporary directory, started on a free
 * loopback port, removed on stop(). Used by the tests, the benchmarks and `npm run start:scaled`.
 * Needs Debian's `postgresql-15` (or PG_BIN pointing at its bin/); as root it runs as the `postgres` user.
 */
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../lib/devkit/services.ts';
import { readSetting, SCALED_SETTINGS } from '../lib/runtime/settings.ts';

const START_TIMEOUT_MS = 30_000;

export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication. */
  url: string;
  port: number;
  /** Process id of the postmaster now running. */
  readonly pid: number | undefined;
  /** `pg_ctl -m immediate stop`: SIGQUIT to the postmaster; every backend quits at once, no checkpoint. */
  stopImmediately(): Promise<void>;
  /** Starts the server again on the same port and data directory (crash recovery after an immediate stop). */
  restart(): Promise<void>;
  /** SIGSTOP to the postmaster and every process it started: the server hangs, connections stay open. */
  pause(): void;
  /** SIGCONT to the same processes. */
  resume(): void;
  /** Runs SQL on a connection of its own (e.g. a trigger that fails inserts). */
  exec(sql: string): Promise<void>;
  stop(): Promise<void>;
}

function binaries(): { initdb: string; postgres: string } {
  const bin = readSetting(SCALED_SETTINGS.postgresBin, process.env);
  const initdb = join(bin, 'initdb');
  const postgres = join(bin, 'postgres');
  if (!existsSync(initdb) || !existsSync(postgres)) {
    throw new Error(`PostgreSQL 15 server binaries not found: apt-get install postgresql-15 (looked in ${bin}; PG_BIN overrides)`);
  }
  return { initdb, postgres };
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` system user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('Running as root, PostgreSQL must run as another user, and there is no "postgres" system user (apt-get install postgresql-15 creates it)');
  }
}

function run(command: string, args: string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`))));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startPostgres(): Promise<ThrowawayPostgres> {
  const { initdb, postgres } = binaries();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'lien-thong-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const processOptions: SpawnOptions = { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' }, ...user };

  let server: ChildProcess | undefined;
  let paused: number[] = [];
  let serverLog = '';
  try {
    await run(initdb, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], processOptions);
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const launch = async () => {
      const child = spawn(
        postgres,
        // fsync=off only makes the tests faster: this data is thrown away, and crash safety is not under test.
        ['-D', dataDir, '-c', 'listen_addresses=127.0.0.1', '-p', String(port), '-k', dir, '-c', 'fsync=off'],
        { ...processOptions, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      server = child;
      child.stderr?.on('data', (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000)));
      await waitUntilAccepting(url, child, () => serverLog);
    };
    await launch();

    const current = () => {
      if (!server) throw new Error('PostgreSQL is not running');
      return server;
    };
    return {
      url,
      port,
      get pid() {
        return server?.pid;
      },
      async stopImmediately() {
        const running = current();
        running.kill('SIGQUIT');
        await exited(running);
      },
      async restart() {
        const running = server;
        if (running && running.exitCode === null && running.signalCode === null) throw new Error('PostgreSQL is still running');
        await launch();
      },
      pause() {
        const postmaster = current().pid!;
        // The postmaster first, so that it starts no new process meanwhile.
        process.kill(postmaster, 'SIGSTOP');
        paused = [postmaster, ...childrenOf(postmaster)];
        for (const pid of paused.slice(1)) process.kill(pid, 'SIGSTOP');
      },
      resume() {
        for (const pid of paused.reverse()) {
          try {
            process.kill(pid, 'SIGCONT');
          } catch {
            // gone meanwhile
          }
        }
        paused = [];
      },
      async exec(sql) {
        const client = new pg.Client({ connectionString: url });
        client.on('error', () => {});
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end().catch(() => {});
        }
      },
      async stop() {
        for (const pid of paused) process.kill(pid, 'SIGCONT');
        const running = server;
        if (running) {
          // SIGINT: PostgreSQL's "fast" shutdown (disconnects clients, no waiting for them).
          running.kill('SIGINT');
          const timer = setTimeout(() => running.kill('SIGKILL'), 20_000);
          await exited(running);
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (server) {
      server.kill('SIGKILL');
      await exited(server);
    }
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Direct children of a process (PostgreSQL's backends and auxiliary processes are all the postmaster's). */
export function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((child) => Number.isInteger(child) && child > 0);
  } catch {
    // pgrep exits 1 when there is none
    return [];
  }
}

async function waitUntilAccepting(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`PostgreSQL exited during start-up: ${log().trim()}`);
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL did not accept connections within ${START_TIMEOUT_MS} ms: ${String(error)}\n${log().trim()}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}
