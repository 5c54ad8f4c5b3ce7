/**
 * `npm run bench:reuse`: the reuse report (`reuseStatistics`) over a long access log. Writes
 * `--records=N` synthetic access records (default 10,000,000) through each store's own append path
 * (SQLite in place, and a throwaway PostgreSQL 15 server when its binaries are there), so that the
 * chain and the reuse counters are kept as the gateway keeps them; then asks four reports 20 times
 * each and prints the median and the slowest, with what a count by scanning the log costs for one
 * month beside them. `--stores=sqlite,postgres` picks the stores; `--catch-up` also times counting
 * the whole log again from nothing (what opening a log written before the counters costs). The
 * records: 24 months (2025-01 to 2026-12), 40 agencies of the registry (ministries and provincial
 * People's Committees of the day), 10 purposes, five records per case, three field sets (a portal
 * answer, an identity check, a land lookup). Figures go in docs/BENCHMARKS.md.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { errorText } from '../lib/runtime/cli.ts';
import { agenciesOn } from '../lib/domain/agencies.ts';
import { PostgresAccessLog } from '../lib/access-log/postgres-store.ts';
import { defaultFieldSectors, type ReuseQuery } from '../lib/access-log/reuse.ts';
import { SqliteDatabase } from '../lib/access-log/sqlite-database.ts';
import type { AccessRecord } from '../lib/access-log/types.ts';
import { startPostgres } from '../scale/postgres.ts';
import { choicesArgument, positiveIntegerArgument, round, say, table } from './bench-common.ts';

const STORES = ['sqlite', 'postgres'] as const;
type Store = (typeof STORES)[number];
const records = positiveIntegerArgument('records', 10_000_000);
const stores = choicesArgument<Store>('stores', STORES);
const catchUp = process.argv.includes('--catch-up');
const KEY = 'bench-reuse-chain-key-0123456789abcdef';
const BATCH = 5000;
const REPEAT = 20;
const RECORDS_PER_CASE = 5;
const MONTHS = Array.from({ length: 24 }, (_, i) => `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
const PURPOSES = Array.from({ length: 10 }, (_, i) => `1.00${1000 + i}`);
const FIELD_SETS = [
  [
    'fullName',
    'dateOfBirth',
    'dateOfBirth.text',
    'sex',
    'permanentResidence',
    'permanentResidence.fullAddress',
    'maritalStatus',
    'birthRegistration',
    'birthRegistration.registrationNumber',
    'landParcels',
    'landParcels.area',
    'landParcels.parcelId',
  ],
  ['fullName', 'dateOfBirth', 'dateOfBirth.text', 'personalId'],
  ['landParcels', 'landParcels.area', 'landParcels.parcelId', 'landParcels.rightHolders', 'landParcels.rightHolders.share'],
];

/** 40 agencies that had their code on the month's 15th: the ministries first, then committees. */
const agenciesByMonth = new Map(
  MONTHS.map((month) => {
    const all = agenciesOn(`${month}-15`);
    const ministries = all.filter((a) => a.kind !== 'UBND_TINH').slice(0, 20);
    const committees = all.filter((a) => a.kind === 'UBND_TINH').slice(0, 20);
    return [month, [...ministries, ...committees].map((a) => a.code)];
  }),
);

/** The i-th record (0-based): deterministic, months in order as a log grows. */
function recordAt(i: number): AccessRecord {
  const month = MONTHS[Math.min(MONTHS.length - 1, Math.floor((i / records) * MONTHS.length))]!;
  const caseIndex = Math.floor(i / RECORDS_PER_CASE);
  const agencies = agenciesByMonth.get(month)!;
  const day = String(1 + (caseIndex % 28)).padStart(2, '0');
  return {
    at: `${month}-${day}T03:00:00.000Z`,
    requestId: `bench-${i}`,
    agency: agencies[caseIndex % agencies.length]!,
    officer: 'can-bo-bench',
    purpose: PURPOSES[caseIndex % PURPOSES.length]!,
    caseNumber: `HS-${caseIndex}`,
    personalId: `0010850${String(i % 100_000).padStart(5, '0')}`,
    fields: FIELD_SETS[caseIndex % FIELD_SETS.length]!,
    deniedFields: [],
    outcome: 'RETURNED',
  };
}

function batchAt(start: number): AccessRecord[] {
  return Array.from({ length: Math.min(BATCH, records - start) }, (_, k) => recordAt(start + k));
}

const QUERIES: [string, ReuseQuery][] = [
  ['one total, all months', { from: '0000-01', to: '9999-12', groupBy: [] }],
  ['by month (24 groups)', { from: '0000-01', to: '9999-12', groupBy: ['MONTH'] }],
  ['by agency and purpose, first half of 2026', { from: '2026-01', to: '2026-06', groupBy: ['AGENCY', 'PURPOSE'] }],
  ['by level, sector, province and month, all months', { from: '0000-01', to: '9999-12', groupBy: ['LEVEL', 'SECTOR', 'PROVINCE', 'MONTH'] }],
];

interface Timed {
  store: Store;
  query: string;
  groups: number;
  medianMs: number;
  maxMs: number;
}

async function timeQueries(store: Store, ask: (query: ReuseQuery) => Promise<unknown[]> | unknown[]): Promise<Timed[]> {
  const timed: Timed[] = [];
  for (const [name, query] of QUERIES) {
    const times: number[] = [];
    let groups = 0;
    for (let r = 0; r < REPEAT; r++) {
      const started = process.hrtime.bigint();
      groups = (await ask(query)).length;
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    timed.push({ store, query: name, groups, medianMs: round(times[Math.floor(times.length / 2)]!, 2), maxMs: round(times.at(-1)!, 2) });
  }
  return timed;
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const progress = (store: Store, written: number, started: bigint) => {
  if (written % 1_000_000 === 0 || written === records) say(`  ${store}: ${written.toLocaleString('en-US')} records in ${round(seconds(started))} s`);
};

async function benchSqlite(dir: string): Promise<{ timed: Timed[]; notes: string[] }> {
  const path = join(dir, 'access-log.sqlite');
  rmSync(path, { force: true });
  // The store creates the file owner-only before its worker opens it; here the connection is in place.
  (await import('node:fs')).writeFileSync(path, '', { mode: 0o600 });
  const fieldSectors = defaultFieldSectors();
  const db = new SqliteDatabase(path, KEY, { readOnly: false, busyTimeoutMs: 10_000, fieldSectors });
  const started = process.hrtime.bigint();
  for (let start = 0; start < records; start += BATCH) {
    db.write(batchAt(start));
    progress('sqlite', Math.min(records, start + BATCH), started);
  }
  const writeSeconds = seconds(started);
  const timed = await timeQueries('sqlite', (query) => db.reuse(query));
  const raw = new (await import('better-sqlite3')).default(path, { readonly: true });
  const scanStarted = process.hrtime.bigint();
  const scanned = raw
    .prepare("SELECT COUNT(DISTINCT agency || '|' || purpose || '|' || case_number) AS cases FROM access_log WHERE at >= '2026-03-01' AND at < '2026-04-01'")
    .pluck()
    .get();
  const scanMs = seconds(scanStarted) * 1000;
  const sizes = raw.prepare('SELECT (SELECT COUNT(*) FROM reuse_monthly) AS monthly, (SELECT COUNT(*) FROM reuse_cases) AS cases').get() as { monthly: number; cases: number };
  raw.close();
  const notes = [
    `sqlite: wrote ${records.toLocaleString('en-US')} records in ${round(writeSeconds)} s (${Math.round(records / writeSeconds).toLocaleString('en-US')} records/s, chain and counters, ${BATCH} a transaction); file ${round(statSync(path).size / 2 ** 20)} MiB; reuse_monthly ${sizes.monthly.toLocaleString('en-US')} rows, reuse_cases ${sizes.cases.toLocaleString('en-US')} rows`,
    `sqlite: the same month's distinct cases by scanning the log (2026-03, index on at): ${String(scanned)} cases in ${round(scanMs, 1)} ms`,
  ];
  if (catchUp) {
    db.close();
    const reset = new (await import('better-sqlite3')).default(path);
    reset.exec('DELETE FROM reuse_monthly; DELETE FROM reuse_cases; UPDATE reuse_progress SET through_seq = 0');
    reset.close();
    const reopened = process.hrtime.bigint();
    const again = new SqliteDatabase(path, KEY, { readOnly: false, busyTimeoutMs: 10_000, fieldSectors });
    const catchUpSeconds = seconds(reopened);
    notes.push(
      `sqlite: counting the whole log again from nothing (catch-up at open): ${round(catchUpSeconds)} s, ${Math.round(records / catchUpSeconds).toLocaleString('en-US')} records/s`,
    );
    again.close();
  } else {
    db.close();
  }
  return { timed, notes };
}

async function benchPostgres(): Promise<{ timed: Timed[]; notes: string[] }> {
  let server;
  try {
    server = await startPostgres();
  } catch (error) {
    return { timed: [], notes: [`postgres: skipped (${errorText(error)})`] };
  }
  try {
    const store = new PostgresAccessLog(server.url, KEY, { timeouts: { statementMs: 600_000, queryMs: 600_000, idleInTransactionMs: 600_000 } });
    const started = process.hrtime.bigint();
    for (let start = 0; start < records; start += BATCH) {
      await store.append(batchAt(start));
      progress('postgres', Math.min(records, start + BATCH), started);
    }
    const writeSeconds = seconds(started);
    const timed = await timeQueries('postgres', (query) => store.reuseStatistics(query));
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const scanStarted = process.hrtime.bigint();
    const scanned = await client.query("SELECT COUNT(DISTINCT (agency, purpose, case_number)) AS cases FROM access_log WHERE at >= '2026-03-01' AND at < '2026-04-01'");
    const scanMs = seconds(scanStarted) * 1000;
    const sizes = await client.query(
      'SELECT (SELECT COUNT(*) FROM reuse_monthly) AS monthly, (SELECT COUNT(*) FROM reuse_cases) AS cases, pg_database_size(current_database()) AS bytes',
    );
    await client.end();
    await store.close();
    const { monthly, cases, bytes } = sizes.rows[0] as { monthly: string; cases: string; bytes: string };
    return {
      timed,
      notes: [
        `postgres: wrote ${records.toLocaleString('en-US')} records in ${round(writeSeconds)} s (${Math.round(records / writeSeconds).toLocaleString('en-US')} records/s, chain and counters, ${BATCH} an append); database ${round(Number(bytes) / 2 ** 20)} MiB; reuse_monthly ${Number(monthly).toLocaleString('en-US')} rows, reuse_cases ${Number(cases).toLocaleString('en-US')} rows`,
        `postgres: the same month's distinct cases by scanning the log (2026-03, index on at): ${String(scanned.rows[0]?.cases)} cases in ${round(scanMs, 1)} ms`,
      ],
    };
  } finally {
    await server.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-reuse-'));
try {
  say(`bench:reuse: ${records.toLocaleString('en-US')} records per store (${stores.join(', ')}), node ${process.version}`);
  const results = { timed: [] as Timed[], notes: [] as string[] };
  for (const store of stores) {
    const result = store === 'sqlite' ? await benchSqlite(dir) : await benchPostgres();
    results.timed.push(...result.timed);
    results.notes.push(...result.notes);
  }
  say('');
  say(
    table(
      ['store', 'report', 'groups', 'median ms', 'slowest ms'],
      results.timed.map((t) => [t.store, t.query, t.groups, t.medianMs, t.maxMs]),
    ),
  );
  say('');
  for (const note of results.notes) say(note);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
