import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PAGE_CACHE_KIB, SqliteDatabase } from './sqlite-database.ts';
import { SqliteAccessLog } from './sqlite-store.ts';

const KEY = 'page-cache-test-chain-key-0123456789abcdef';
const folder = mkdtempSync(join(tmpdir(), 'lien-thong-page-cache-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("an access log connection's page cache", () => {
  it('is set on the writer and on a reader, not left to the driver', async () => {
    const path = join(folder, 'access-log.sqlite');
    await new SqliteAccessLog(path, KEY).close();
    const pragmas = vi.spyOn(Database.prototype, 'pragma');
    try {
      for (const readOnly of [false, true]) {
        pragmas.mockClear();
        const connection = new SqliteDatabase(path, KEY, { readOnly, busyTimeoutMs: 100 });
        connection.close();
        expect(pragmas.mock.calls.map(([source]) => source)).toContain(`cache_size = -${PAGE_CACHE_KIB}`);
        expect(pragmas.mock.results.every((result) => result.type === 'return')).toBe(true);
      }
    } finally {
      pragmas.mockRestore();
    }
  });
});
