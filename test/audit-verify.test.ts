/**
 * `npm run audit:verify` as an operator runs it: a child process against a SQLite file and against a
 * real PostgreSQL server, with the configuration in its environment.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAccessLog } from '../lib/access-log/postgres-store.ts';
import { SqliteAccessLog } from '../lib/access-log/sqlite-store.ts';
import type { AccessLogStore } from '../lib/access-log/types.ts';
import { REPO_ROOT } from '../lib/devkit/services.ts';
import { startPostgres, type TestPostgres } from './support/postgres.ts';
import { accessRecord } from '../lib/devkit/test-credentials.ts';

const KEY = 'audit-verify-test-key-0123456789abcdef';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Only what is given: no DATABASE_URL or key leaks in from the developer's shell. */
function auditVerify(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/audit-verify.ts', ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const record = accessRecord;

async function fill(store: AccessLogStore, count: number): Promise<{ seq: number; hash: string }> {
  await store.append(Array.from({ length: count }, (_, i) => record(i + 1)));
  const verification = await store.verify();
  await store.close();
  return verification.head!;
}

let dir: string;
let server: TestPostgres;
let admin: pg.Client;
let databases = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lien-thong-audit-verify-'));
  server = await startPostgres();
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit:verify on SQLite', () => {
  let path: string;
  let head: { seq: number; hash: string };

  beforeAll(async () => {
    path = join(dir, 'access-log.sqlite');
    head = await fill(new SqliteAccessLog(path, KEY), 1234);
  });

  it('exits 0 and prints the count and head of an intact log', async () => {
    const run = await auditVerify([], { ACCESS_LOG_KEY: KEY, ACCESS_LOG_PATH: path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1,234 records, chain intact');
    expect(run.stdout).toContain(`Head: seq 1234 hash ${head.hash}`);
    expect(run.stdout).not.toContain(KEY);
    const json = await auditVerify(['--sqlite', path, '--json', '--expect-head', `${head.seq}:${head.hash}`], { ACCESS_LOG_KEY: KEY });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, intact: true, records: 1234, head, expectedHead: { ok: true } });
  });

  it('exits 1 naming the seq of an edited record', async () => {
    const edited = join(dir, 'edited.sqlite');
    await fill(new SqliteAccessLog(edited, KEY), 20);
    const raw = new Database(edited);
    raw.prepare("UPDATE access_log SET officer = 'someone-else' WHERE seq = 17").run();
    raw.close();
    const run = await auditVerify(['--sqlite', edited], { ACCESS_LOG_KEY: KEY });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^seq 17: EDITED — /m);
    expect(run.stdout).toContain('chain BROKEN: 1 problem (1 EDITED)');
  });

  it('exits 1 with --expect-head once the tail was truncated', async () => {
    const truncated = join(dir, 'truncated.sqlite');
    const kept = await fill(new SqliteAccessLog(truncated, KEY), 10);
    const raw = new Database(truncated);
    raw.prepare('DELETE FROM access_log WHERE seq > 8').run();
    raw.close();
    // The rest of the chain is intact: only the head kept elsewhere shows the deletion.
    expect((await auditVerify(['--sqlite', truncated], { ACCESS_LOG_KEY: KEY })).code).toBe(0);
    const run = await auditVerify(['--sqlite', truncated, '--expect-head', `${kept.seq}:${kept.hash}`], { ACCESS_LOG_KEY: KEY });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('record 10 is not in the log');
  });

  it('exits 2 without a usable key, on an unknown option and without a log, printing no secret', async () => {
    // Set but empty, so that a developer's .dev/ secrets cannot stand in for it.
    const noKey = await auditVerify(['--sqlite', path], { ACCESS_LOG_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('ACCESS_LOG_KEY');
    const short = await auditVerify(['--sqlite', path], { ACCESS_LOG_KEY: 'too-short-a-key' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('ACCESS_LOG_KEY');
    expect(short.stderr).not.toContain('too-short-a-key');
    expect((await auditVerify(['--frobnicate'], { ACCESS_LOG_KEY: KEY })).code).toBe(2);
    expect((await auditVerify(['--expect-head', 'latest'], { ACCESS_LOG_KEY: KEY })).code).toBe(2);
    expect((await auditVerify(['--sqlite', join(dir, 'none.sqlite')], { ACCESS_LOG_KEY: KEY })).code).toBe(2);
  });
});

describe('audit:verify on PostgreSQL', () => {
  async function database(): Promise<string> {
    const name = `audit_${++databases}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  it('exits 0 for an intact log, 1 naming an edited record, 1 for a truncated tail', async () => {
    const url = await database();
    const head = await fill(new PostgresAccessLog(url, KEY), 30);
    const intact = await auditVerify([], { ACCESS_LOG_KEY: KEY, DATABASE_URL: url });
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain('30 records, chain intact');
    expect(intact.stdout).toContain('(postgres postgres://');

    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await raw.query(`UPDATE access_log SET fields = '["fullName","landParcels"]' WHERE seq = 17`);
      const edited = await auditVerify(['--database-url', url], { ACCESS_LOG_KEY: KEY, DATABASE_URL: 'postgres://wrong@127.0.0.1:1/none' });
      expect(edited.code).toBe(1);
      expect(edited.stdout).toMatch(/^seq 17: EDITED — /m);

      await raw.query(`UPDATE access_log SET fields = '["fullName","landParcels.area"]' WHERE seq = 17`);
      await raw.query('DELETE FROM access_log WHERE seq = 30');
      const truncated = await auditVerify(['--expect-head', `${head.seq}:${head.hash}`], { ACCESS_LOG_KEY: KEY, DATABASE_URL: url });
      expect(truncated.code).toBe(1);
      expect(truncated.stdout).toContain('29 records, chain intact');
      expect(truncated.stdout).toContain('Expected head: FAILED');
    } finally {
      await raw.end();
    }
  });

  it('exits 2 when the database cannot be read, without printing its password', async () => {
    const url = new URL(await database());
    url.password = 's3cret-password';
    // Trust authentication ignores the password; the database has no access_log table.
    const run = await auditVerify([], { ACCESS_LOG_KEY: KEY, DATABASE_URL: url.toString() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('access_log');
    expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret-password');
  });
});
