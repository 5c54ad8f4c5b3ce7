import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, chainHash, verifyChain, type ChainRow } from './chain.ts';
import { toCsv } from './csv.ts';
import { accessLogConfigFromEnv } from './index.ts';
import type { AccessRecord, StoredAccessRecord } from './types.ts';
import { accessRecord } from '../devkit/test-credentials.ts';

const KEY = 'chain-key-for-tests-0123456789abcdef';
const OTHER_KEY = 'another-key-for-tests-0123456789abcdef';

const record = accessRecord;

function chain(length: number, key = KEY): StoredAccessRecord[] {
  const rows: StoredAccessRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const content = record(seq);
    const hash = chainHash(key, seq, prevHash, content);
    rows.push({ ...content, seq, prevHash, hash });
    prevHash = hash;
  }
  return rows;
}

const problemsOf = async (rows: Iterable<ChainRow> | AsyncIterable<ChainRow>) => (await verifyChain(rows, KEY)).problems.map(({ seq, kind }) => ({ seq, kind }));

describe('chainHash', () => {
  it('is an HMAC-SHA256 in hex that depends on the key, seq, prevHash and every field', () => {
    const content = record(1);
    const hash = chainHash(KEY, 1, GENESIS_HASH, content);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(KEY, 1, GENESIS_HASH, { ...content })).toBe(hash);
    expect(chainHash(OTHER_KEY, 1, GENESIS_HASH, content)).not.toBe(hash);
    expect(chainHash(KEY, 2, GENESIS_HASH, content)).not.toBe(hash);
    expect(chainHash(KEY, 1, '1'.repeat(64), content)).not.toBe(hash);
    for (const change of [
      { officer: 'someone-else' },
      { fields: ['fullName'] },
      { fields: ['landParcels.area', 'fullName'] },
      { deniedFields: ['Citizen.landParcels'] },
      { outcome: 'DENIED' as const },
      { at: '2025-03-01T08:00:02.000Z' },
    ]) {
      expect(chainHash(KEY, 1, GENESIS_HASH, { ...content, ...change })).not.toBe(hash);
    }
  });

  it('does not depend on property order or extra properties', () => {
    const content = record(1);
    const reordered = Object.fromEntries(Object.entries(content).reverse()) as unknown as AccessRecord;
    expect(chainHash(KEY, 1, GENESIS_HASH, { ...reordered, extra: 'x' } as AccessRecord)).toBe(chainHash(KEY, 1, GENESIS_HASH, content));
  });
});

describe('verifyChain', () => {
  it('passes an intact chain and reports its head', async () => {
    const rows = chain(5);
    const result = await verifyChain(rows, KEY);
    expect(result).toEqual({ intact: true, records: 5, head: { seq: 5, hash: rows[4]!.hash }, problems: [] });
  });

  it('passes an empty chain, with no head', async () => {
    expect(await verifyChain([], KEY)).toEqual({ intact: true, records: 0, head: null, problems: [] });
  });

  it('streams an async iterable', async () => {
    const rows = chain(3);
    async function* stream() {
      yield* rows;
    }
    expect((await verifyChain(stream(), KEY)).intact).toBe(true);
  });

  it('detects an edited field as EDITED at that seq, and only there', async () => {
    const rows = chain(5);
    rows[2] = { ...rows[2]!, officer: 'someone-else' };
    expect(await problemsOf(rows)).toEqual([{ seq: 3, kind: 'EDITED' }]);
    const fields = chain(5);
    fields[3] = { ...fields[3]!, fields: ['fullName'] };
    expect(await problemsOf(fields)).toEqual([{ seq: 4, kind: 'EDITED' }]);
  });

  it('detects a broken link', async () => {
    const rows = chain(5);
    const replaced = { ...record(3), officer: 'forger' };
    // A record replaced and re-hashed with the right key, but without rewriting the records after it.
    const prevHash = rows[1]!.hash;
    rows[2] = { ...replaced, seq: 3, prevHash, hash: chainHash(KEY, 3, prevHash, replaced) };
    expect(await problemsOf(rows)).toEqual([{ seq: 4, kind: 'BROKEN_LINK' }]);
  });

  it('detects a first record that does not start from the genesis hash', async () => {
    const rows = chain(2);
    const content = record(1);
    const prevHash = 'f'.repeat(64);
    rows[0] = { ...content, seq: 1, prevHash, hash: chainHash(KEY, 1, prevHash, content) };
    expect(await problemsOf(rows)).toEqual([
      { seq: 1, kind: 'BROKEN_LINK' },
      { seq: 2, kind: 'BROKEN_LINK' },
    ]);
  });

  it('detects a deletion in the middle as MISSING at the next seq', async () => {
    const rows = chain(6);
    rows.splice(2, 2);
    const result = await verifyChain(rows, KEY);
    expect(result.problems.map(({ seq, kind }) => ({ seq, kind }))).toEqual([{ seq: 5, kind: 'MISSING' }]);
    expect(result.problems[0]!.detail).toContain('3 to 4');
    expect(result.records).toBe(4);
  });

  it('detects the deletion of the first records', async () => {
    const rows = chain(4);
    rows.shift();
    expect(await problemsOf(rows)).toEqual([{ seq: 2, kind: 'MISSING' }]);
  });

  it('detects reordered records', async () => {
    const rows = chain(5);
    // Records 2 and 3 swapped, numbers and all.
    const swapped = [rows[0]!, { ...rows[2]!, seq: 2 }, { ...rows[1]!, seq: 3 }, rows[3]!, rows[4]!];
    expect(await problemsOf(swapped)).toEqual([
      { seq: 2, kind: 'BROKEN_LINK' },
      { seq: 2, kind: 'EDITED' },
      { seq: 3, kind: 'BROKEN_LINK' },
      { seq: 3, kind: 'EDITED' },
      { seq: 4, kind: 'BROKEN_LINK' },
    ]);
    // Rows delivered out of seq order.
    expect(await problemsOf([rows[0]!, rows[2]!, rows[1]!, rows[3]!])).toEqual([
      { seq: 3, kind: 'MISSING' },
      { seq: 2, kind: 'BROKEN_LINK' },
    ]);
  });

  it('detects records hashed with another key', async () => {
    const forged = chain(3, OTHER_KEY);
    expect(await problemsOf(forged)).toEqual([
      { seq: 1, kind: 'EDITED' },
      { seq: 2, kind: 'EDITED' },
      { seq: 3, kind: 'EDITED' },
    ]);
    // One record appended with another key at the end of a genuine chain.
    const rows = chain(3);
    const content = record(4);
    rows.push({ ...content, seq: 4, prevHash: rows[2]!.hash, hash: chainHash(OTHER_KEY, 4, rows[2]!.hash, content) });
    expect(await problemsOf(rows)).toEqual([{ seq: 4, kind: 'EDITED' }]);
  });

  it('reports a row the store could not read as EDITED and keeps checking the links after it', async () => {
    const rows: ChainRow[] = chain(3);
    rows[1] = { seq: 2, unreadable: 'fields: not valid JSON', hash: (rows[1] as StoredAccessRecord).hash };
    expect(await problemsOf(rows)).toEqual([{ seq: 2, kind: 'EDITED' }]);
  });
});

describe('toCsv', () => {
  it('writes RFC 4180 with a header, CRLF, doubled quotes, ;-joined fields and a guard against formulas', () => {
    const [first] = chain(1);
    const csv = toCsv([{ ...first!, officer: 'Nguyễn "Văn" A, phòng 2', caseNumber: '=HYPERLINK("x")', purpose: '-1', agency: '@BTP', deniedFields: ['Citizen.a', 'Citizen.b'] }]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('seq,at,agency,officer,purpose,case_number,personal_id,outcome,fields,denied_fields,request_id,hash');
    expect(lines[1]).toBe(
      `1,${first!.at},'@BTP,"Nguyễn ""Văn"" A, phòng 2",'-1,"'=HYPERLINK(""x"")",001085010001,RETURNED,fullName;landParcels.area,Citizen.a;Citizen.b,req-1,${first!.hash}`,
    );
    expect(lines.slice(2)).toEqual(['']);
  });

  it('guards cells starting with a tab or a carriage return', () => {
    const [first] = chain(1);
    const lines = toCsv([{ ...first!, officer: '\tx', purpose: '\ry' }]).split('\r\n');
    expect(lines[1]).toContain(`,'\tx,"'\ry",`);
  });
});

describe('accessLogConfigFromEnv', () => {
  it('requires a chain key of at least 32 characters, naming the variable', () => {
    expect(() => accessLogConfigFromEnv({})).toThrow(/ACCESS_LOG_KEY/);
    expect(() => accessLogConfigFromEnv({ ACCESS_LOG_KEY: 'short' })).toThrow(/ACCESS_LOG_KEY.*32/);
  });

  it('uses PostgreSQL when DATABASE_URL is set, and a SQLite file relative to the working directory otherwise', () => {
    const sqlite = accessLogConfigFromEnv({ ACCESS_LOG_KEY: KEY });
    expect(sqlite).toEqual({ sqlitePath: `${process.cwd()}/var/access-log.sqlite`, chainKey: KEY });
    expect(accessLogConfigFromEnv({ ACCESS_LOG_KEY: KEY, ACCESS_LOG_PATH: 'x/log.db' }).sqlitePath).toBe(`${process.cwd()}/x/log.db`);
    expect(accessLogConfigFromEnv({ ACCESS_LOG_KEY: KEY, DATABASE_URL: 'postgres://u@h/db' }).databaseUrl).toBe('postgres://u@h/db');
  });
});
