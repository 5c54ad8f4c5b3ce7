/**
 * The same behaviour of both stores: SQLite in a temporary directory, and a real PostgreSQL 15
 * server (one for this file). Tampering goes through the raw database, as an intruder's would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../test/support/postgres.ts';
import { chainHash } from './chain.ts';
import { PostgresAccessLog } from './postgres-store.ts';
import { SqliteAccessLog } from './sqlite-store.ts';
import type { AccessLogStore, AccessRecord, ChainVerification, StoredAccessRecord } from './types.ts';
import { accessRecord } from '../devkit/test-credentials.ts';
import { columnValues } from './rows.ts';

const KEY = 'store-test-chain-key-0123456789abcdef';
const WRONG_KEY = 'a-guessed-chain-key-0123456789abcdef';

/** One empty access log, and raw access to its database. */
interface TestLog {
  /** A new store instance on this log (another connection, or another pool). */
  open(): AccessLogStore;
  /** JavaScript that opens a store on this log, for another process. */
  openInOtherProcess: string;
  /** Runs SQL directly on the database, bypassing the store. */
  exec(sql: string): Promise<void>;
  /** Inserts a row as given, bypassing the store. */
  insertRaw(row: StoredAccessRecord): Promise<void>;
  /** From now on, inserting a record for this citizen fails inside the database. */
  failInsertsFor(personalId: string): Promise<void>;
  allowInserts(): Promise<void>;
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  create(): Promise<TestLog>;
}

/** A forged row goes into the table as the stores insert theirs. */
const rawValues = columnValues;

function sqliteBackend(): Backend {
  let dir = '';
  let count = 0;
  return {
    name: 'sqlite',
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'lien-thong-access-log-'));
    },
    async stop() {
      rmSync(dir, { recursive: true, force: true });
    },
    async create() {
      const path = join(dir, `log-${++count}`, 'access-log.sqlite');
      const first = new SqliteAccessLog(path, KEY);
      await first.close();
      const raw = new Database(path);
      raw.pragma('busy_timeout = 10000');
      return {
        open: () => new SqliteAccessLog(path, KEY),
        openInOtherProcess: `new SqliteAccessLog(${JSON.stringify(path)}, ${JSON.stringify(KEY)})`,
        async exec(sql) {
          raw.exec(sql);
        },
        async insertRaw(row) {
          raw.prepare('INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(...rawValues(row));
        },
        async failInsertsFor(personalId) {
          raw
            .prepare(
              `CREATE TRIGGER fail_inserts BEFORE INSERT ON access_log WHEN NEW.personal_id = '${personalId.replaceAll("'", "''")}' BEGIN SELECT RAISE(ABORT, 'insert refused by the test'); END`,
            )
            .run();
        },
        async allowInserts() {
          raw.exec('DROP TRIGGER fail_inserts');
        },
        async dispose() {
          raw.close();
        },
      };
    },
  };
}

function postgresBackend(): Backend {
  let server: TestPostgres | undefined;
  let admin: pg.Client | undefined;
  let count = 0;
  return {
    name: 'postgres',
    async start() {
      server = await startPostgres();
      admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
    },
    async stop() {
      await admin?.end();
      await server?.stop();
    },
    async create() {
      const database = `access_log_${++count}`;
      await admin!.query(`CREATE DATABASE ${database}`);
      const url = new URL(server!.url);
      url.pathname = `/${database}`;
      const raw = new pg.Client({ connectionString: url.toString() });
      await raw.connect();
      const first = new PostgresAccessLog(url.toString(), KEY);
      await first.query({});
      await first.close();
      return {
        open: () => new PostgresAccessLog(url.toString(), KEY),
        openInOtherProcess: `new PostgresAccessLog(${JSON.stringify(url.toString())}, ${JSON.stringify(KEY)})`,
        async exec(sql) {
          await raw.query(sql);
        },
        async insertRaw(row) {
          await raw.query('INSERT INTO access_log VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)', rawValues(row));
        },
        async failInsertsFor(personalId) {
          await raw.query(`CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'insert refused by the test'; END $$`);
          await raw.query(
            `CREATE TRIGGER fail_inserts BEFORE INSERT ON access_log FOR EACH ROW WHEN (NEW.personal_id = '${personalId.replaceAll("'", "''")}') EXECUTE FUNCTION fail_insert()`,
          );
        },
        async allowInserts() {
          await raw.query('DROP TRIGGER fail_inserts ON access_log');
          await raw.query('DROP FUNCTION fail_insert()');
        },
        async dispose() {
          await raw.end();
        },
      };
    },
  };
}

const record = accessRecord;

/** Another process (another gateway instance) appending `count` records one call at a time. */
function appendFromOtherProcess(openStore: string, requestIdPrefix: string, count: number): Promise<void> {
  const here = new URL('.', import.meta.url).pathname;
  const code = `
    import { SqliteAccessLog } from ${JSON.stringify(`${here}sqlite-store.ts`)};
    import { PostgresAccessLog } from ${JSON.stringify(`${here}postgres-store.ts`)};
    const store = ${openStore};
    for (let i = 0; i < ${count}; i++) {
      await store.append([{
        at: new Date().toISOString(), requestId: ${JSON.stringify(requestIdPrefix)} + i, agency: 'BCA', officer: 'o',
        purpose: 'p', caseNumber: 'c', personalId: '001085000001', fields: ['fullName'], deniedFields: [], outcome: 'RETURNED',
      }]);
    }
    await store.close();
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 60_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
    );
  });
}

const kinds = (verification: ChainVerification) => verification.problems.map(({ seq, kind }) => ({ seq, kind }));
const seqs = (records: StoredAccessRecord[]) => records.map((r) => r.seq);

describe.each([sqliteBackend(), postgresBackend()])('$name access log', (backend) => {
  let log: TestLog;
  const logs: TestLog[] = [];
  const stores: AccessLogStore[] = [];
  const newLog = async () => {
    const created = await backend.create();
    logs.push(created);
    return created;
  };
  const open = () => {
    const store = log.open();
    stores.push(store);
    return store;
  };

  beforeAll(() => backend.start());
  afterAll(() => backend.stop());
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(logs.splice(0).map((created) => created.dispose()));
  });

  async function appendEach(store: AccessLogStore, count: number, start = 1) {
    for (let i = start; i < start + count; i++) await store.append([record(i)]);
  }

  it('appends records and returns them as written, newest first', async () => {
    log = await newLog();
    const store = open();
    const written = [record(1, { deniedFields: ['Citizen.landParcels'], outcome: 'PARTIALLY_DENIED', officer: 'Nguyễn Văn A' }), record(2, { fields: [], outcome: 'DENIED' })];
    await store.append(written);
    const read = await store.query({});
    expect(read.map(({ seq, prevHash, hash, ...content }) => content)).toEqual([written[1], written[0]]);
    expect(seqs(read)).toEqual([2, 1]);
    expect(read[0]!.prevHash).toBe(read[1]!.hash);
    expect(read[1]!.prevHash).toBe('0'.repeat(64));
    expect(read[0]!.hash).toBe(chainHash(KEY, 2, read[1]!.hash, written[1]!));
    expect(await store.verify()).toEqual({ intact: true, records: 2, head: { seq: 2, hash: read[0]!.hash }, problems: [] });
  });

  it('filters by agency, purpose, citizen and time, with limit and beforeSeq paging', async () => {
    log = await newLog();
    const store = open();
    await store.append([
      record(1, { agency: 'BTP', purpose: 'P1', personalId: '001085000001', at: '2025-03-01T08:00:00.000Z' }),
      record(2, { agency: 'BCA', purpose: 'P1', personalId: '001085000002', at: '2025-03-01T09:00:00.000Z' }),
      record(3, { agency: 'BTP', purpose: 'P2', personalId: '001085000001', at: '2025-03-02T08:00:00.000Z' }),
      record(4, { agency: 'BTP', purpose: 'P1', personalId: '001085000003', at: '2025-03-03T08:00:00.000Z' }),
      record(5, { agency: "BTP' OR '1'='1", purpose: 'P1', personalId: '001085000001', at: '2025-03-04T08:00:00.000Z' }),
    ]);
    expect(seqs(await store.query({ agency: 'BTP' }))).toEqual([4, 3, 1]);
    expect(seqs(await store.query({ agency: "BTP' OR '1'='1" }))).toEqual([5]);
    expect(seqs(await store.query({ purpose: 'P1' }))).toEqual([5, 4, 2, 1]);
    expect(seqs(await store.query({ personalId: '001085000001' }))).toEqual([5, 3, 1]);
    expect(seqs(await store.query({ agency: 'BTP', personalId: '001085000001' }))).toEqual([3, 1]);
    expect(seqs(await store.query({ from: '2025-03-01T09:00:00.000Z', to: '2025-03-03T08:00:00.000Z' }))).toEqual([3, 2]);
    expect(seqs(await store.query({ from: '2025-03-02', to: '2025-03-03' }))).toEqual([3]);
    // A date-time with an offset means the same instant as its UTC form.
    expect(seqs(await store.query({ from: '2025-03-01T16:00:00.000+07:00' }))).toEqual([5, 4, 3, 2]);
    expect(seqs(await store.query({ limit: 2 }))).toEqual([5, 4]);
    expect(seqs(await store.query({ limit: 2, beforeSeq: 4 }))).toEqual([3, 2]);
    expect(seqs(await store.query({ limit: 2, beforeSeq: 2 }))).toEqual([1]);
    expect(seqs(await store.query({ purpose: 'P1', beforeSeq: 4 }))).toEqual([2, 1]);
    expect(await store.query({ agency: 'nobody' })).toEqual([]);
    await expect(store.query({ from: 'yesterday' })).rejects.toThrow(/from/);
  });

  it('returns 100 records by default and at most 10 000', async () => {
    log = await newLog();
    const store = open();
    await store.append(Array.from({ length: 10_005 }, (_, i) => record(i + 1)));
    const byDefault = await store.query({});
    expect(byDefault).toHaveLength(100);
    expect(byDefault[0]!.seq).toBe(10_005);
    expect(await store.query({ limit: 50_000 })).toHaveLength(10_000);
    expect((await store.verify()).records).toBe(10_005);
  });

  it('writes 1,000 concurrent appends as one chain, each record once', async () => {
    log = await newLog();
    const store = open();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.append([record(i + 1)])));
    const all = await store.query({ limit: 10_000 });
    expect(all).toHaveLength(1000);
    expect(seqs(all).reverse()).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(new Set(all.map((r) => r.personalId)).size).toBe(1000);
    expect(new Set(all.map((r) => r.requestId)).size).toBe(1000);
    // Call order is chain order.
    expect(all.every((r) => r.requestId === `req-${r.seq}`)).toBe(true);
    const verification = await store.verify();
    expect(verification).toMatchObject({ intact: true, records: 1000, head: { seq: 1000 } });
  });

  it('rejects an invalid record without failing the others written with it', async () => {
    log = await newLog();
    const store = open();
    const results = await Promise.allSettled([
      store.append([record(1)]),
      store.append([{ ...record(2), at: 'yesterday' }]),
      store.append([{ ...record(3), outcome: 'MAYBE' as AccessRecord['outcome'] }]),
      store.append([record(4)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(seqs(await store.query({}))).toEqual([2, 1]);
  });

  it('detects a record edited in the database', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 10);
    await log.exec(`UPDATE access_log SET officer = 'someone-else' WHERE seq = 4`);
    await log.exec(`UPDATE access_log SET fields = '["fullName"]' WHERE seq = 7`);
    const verification = await store.verify();
    expect(verification.intact).toBe(false);
    expect(kinds(verification)).toEqual([
      { seq: 4, kind: 'EDITED' },
      { seq: 7, kind: 'EDITED' },
    ]);
    expect(verification.records).toBe(10);
  });

  it('detects a column made unreadable in the database as EDITED', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 3);
    await log.exec(`UPDATE access_log SET denied_fields = '{"not": "a list"}' WHERE seq = 2`);
    expect(kinds(await store.verify())).toEqual([{ seq: 2, kind: 'EDITED' }]);
  });

  it('detects a record deleted in the middle', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 10);
    await log.exec('DELETE FROM access_log WHERE seq = 5');
    const verification = await store.verify();
    expect(kinds(verification)).toEqual([{ seq: 6, kind: 'MISSING' }]);
    expect(verification.records).toBe(9);
  });

  it('detects the first record deleted', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 3);
    await log.exec('DELETE FROM access_log WHERE seq = 1');
    expect(kinds(await store.verify())).toEqual([{ seq: 2, kind: 'MISSING' }]);
  });

  it('detects forged records hashed with a wrong key, appended or renumbered into the chain', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 10);
    const genuine = (await store.query({})).reverse();
    // Record 5 removed, records 6–10 renumbered 5–9 and re-chained with a guessed key.
    await log.exec('DELETE FROM access_log WHERE seq >= 5');
    let prevHash = genuine[3]!.hash;
    for (const [index, original] of genuine.slice(5).entries()) {
      const seq = 5 + index;
      const hash = chainHash(WRONG_KEY, seq, prevHash, original);
      await log.insertRaw({ ...original, seq, prevHash, hash });
      prevHash = hash;
    }
    expect(kinds(await store.verify())).toEqual([5, 6, 7, 8, 9].map((seq) => ({ seq, kind: 'EDITED' })));
  });

  it('detects a record inserted with a valid hash but linked to the wrong record', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 3);
    const [head] = await store.query({ limit: 1 });
    const forged = record(99, { officer: 'forger' });
    // Even with the right key, a record that does not link to the head breaks the chain.
    const prevHash = '1'.repeat(64);
    await log.insertRaw({ ...forged, seq: 4, prevHash, hash: chainHash(KEY, 4, prevHash, forged) });
    expect(head!.seq).toBe(3);
    expect(kinds(await store.verify())).toEqual([{ seq: 4, kind: 'BROKEN_LINK' }]);
  });

  it('rejects every append of a failed transaction, and chains the next ones from the database', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 3);
    await log.failInsertsFor('refused');
    const results = await Promise.allSettled([store.append([record(4)]), store.append([record(5), record(6, { personalId: 'refused' })]), store.append([record(7)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(seqs(await store.query({}))).toEqual([3, 2, 1]);
    await log.allowInserts();
    await store.append([record(8)]);
    await Promise.all([store.append([record(9)]), store.append([record(10)])]);
    const after = await store.query({});
    expect(seqs(after)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(after.slice(0, 3).map((r) => r.requestId)).toEqual(['req-10', 'req-9', 'req-8']);
    expect(await store.verify()).toMatchObject({ intact: true, records: 6 });
  });

  it('rejects appends while the table is gone, and appends again once it is back', async () => {
    log = await newLog();
    const store = open();
    await appendEach(store, 2);
    await log.exec('ALTER TABLE access_log RENAME TO access_log_elsewhere');
    await expect(store.append([record(3)])).rejects.toThrow();
    await log.exec('ALTER TABLE access_log_elsewhere RENAME TO access_log');
    await store.append([record(4)]);
    expect(seqs(await store.query({}))).toEqual([3, 2, 1]);
    expect((await store.verify()).intact).toBe(true);
  });

  it('never forks the chain when two store instances append at once', async () => {
    log = await newLog();
    const a = open();
    const b = open();
    await Promise.all([a.query({}), b.query({})]);
    // Two writers that keep appending, so that their transactions overlap many times over.
    const writer = async (store: AccessLogStore, first: number) => {
      for (let i = 0; i < 150; i++) {
        await Promise.all([store.append([record(first + 4 * i)]), store.append([record(first + 4 * i + 2)])]);
      }
    };
    await Promise.all([writer(a, 1), writer(b, 2)]);
    const all = await a.query({ limit: 10_000 });
    expect(seqs(all).reverse()).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(new Set(all.map((r) => r.requestId)).size).toBe(600);
    expect(await a.verify()).toMatchObject({ intact: true, records: 600, problems: [] });
    expect(await b.verify()).toMatchObject({ intact: true, records: 600 });
  });

  it('never forks the chain when several processes append at once', async () => {
    log = await newLog();
    await Promise.all(['one-', 'two-', 'three-'].map((prefix) => appendFromOtherProcess(log.openInOtherProcess, prefix, 150)));
    const store = open();
    const all = await store.query({ limit: 10_000 });
    expect(seqs(all).reverse()).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    expect(new Set(all.map((r) => r.requestId)).size).toBe(450);
    expect(await store.verify()).toMatchObject({ intact: true, records: 450 });
    // One case of the agency that owns the population system: 450 items, none reused, counted once.
    expect(await store.reuseStatistics({ from: '2000-01', to: '2999-12', groupBy: [] })).toEqual([
      { month: null, agency: null, purpose: null, sector: null, province: null, level: null, items: 450, reusedItems: 0, cases: 1, casesWithReuse: 0 },
    ]);
  });

  it('keeps the reuse counters with every append, and catches up with records they have not seen', async () => {
    log = await newLog();
    const store = open();
    // BTP owns the civil-status system; a People's Committee owns none. 17:30 UTC on 31 March is 1 April in Viet Nam.
    await store.append([
      record(1, { agency: 'BTP', caseNumber: 'HS-1', fields: ['birthRegistration.registrationNumber', 'fullName', 'landParcels.area'] }),
      record(2, { agency: 'BTP', caseNumber: 'HS-1', fields: ['fullName'] }),
    ]);
    await store.append([record(3, { agency: 'UBND-001', caseNumber: 'HS-9', at: '2025-03-31T17:30:00.000Z', fields: ['fullName', 'household.members.relationship'] })]);
    await store.append([record(4, { agency: 'BTP', caseNumber: 'HS-2', fields: ['birthRegistration.registrationNumber'] })]);
    const none = { month: null, agency: null, purpose: null, sector: null, province: null, level: null };
    const total = { ...none, items: 7, reusedItems: 5, cases: 3, casesWithReuse: 2 };
    expect(await store.reuseStatistics({ from: '2025-03', to: '2025-04', groupBy: [] })).toEqual([total]);
    expect(await store.reuseStatistics({ from: '2025-04', to: '2025-04', groupBy: ['LEVEL', 'PROVINCE'] })).toEqual([
      { ...none, level: 'LOCAL', province: '001', items: 2, reusedItems: 2, cases: 1, casesWithReuse: 1 },
    ]);
    expect(await store.reuseStatistics({ from: '2025-01', to: '2025-12', groupBy: ['SECTOR'] })).toEqual([
      { ...none, sector: 'civil-status', items: 2, reusedItems: 0, cases: 2, casesWithReuse: 0 },
      { ...none, sector: 'land', items: 1, reusedItems: 1, cases: 1, casesWithReuse: 1 },
      { ...none, sector: 'population', items: 4, reusedItems: 4, cases: 2, casesWithReuse: 2 },
    ]);
    expect(await store.reuseStatistics({ from: '2025-05', to: '2025-12', groupBy: ['AGENCY'] })).toEqual([]);

    // A log whose counters lag (written before they existed): the next append, and a new store, catch up.
    await log.exec('DELETE FROM reuse_monthly; DELETE FROM reuse_cases; UPDATE reuse_progress SET through_seq = 1');
    await store.append([record(5, { agency: 'BTP', caseNumber: 'HS-2', fields: ['fullName'] })]);
    const after = { ...none, items: 8, reusedItems: 6, cases: 3, casesWithReuse: 3 };
    // Record 1 is lost to the counters (marked as counted): its case is first counted from record 2.
    expect(await store.reuseStatistics({ from: '2025-03', to: '2025-04', groupBy: [] })).toEqual([{ ...after, items: 5, reusedItems: 4 }]);
    await log.exec('DELETE FROM reuse_monthly; DELETE FROM reuse_cases; UPDATE reuse_progress SET through_seq = 0');
    expect(await open().reuseStatistics({ from: '2025-03', to: '2025-04', groupBy: [] })).toEqual([after]);
  });

  it('refuses appends after close, having written those already accepted', async () => {
    log = await newLog();
    const store = log.open();
    const pending = Promise.all([store.append([record(1)]), store.append([record(2)])]);
    await store.close();
    await pending;
    await expect(store.append([record(3)])).rejects.toThrow(/closed/);
    const reader = open();
    expect(await reader.verify()).toMatchObject({ intact: true, records: 2 });
  });
});
