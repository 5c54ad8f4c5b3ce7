import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteAccessLog } from './sqlite-store.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('SQLite access log file', () => {
  it('is created readable and writable by its owner only, with its WAL files: it names citizens', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'lien-thong-log-mode-'));
    folders.push(folder);
    const path = join(folder, 'nested', 'access-log.sqlite');
    const log = new SqliteAccessLog(path, 'a-chain-key-of-at-least-thirty-two-chars');
    await log.append([
      {
        at: new Date().toISOString(),
        requestId: 'r-1',
        agency: 'BTP',
        officer: 'o',
        purpose: 'birth-registration',
        caseNumber: 'c',
        personalId: '001085012345',
        fields: ['fullName'],
        deniedFields: [],
        outcome: 'RETURNED',
      },
    ]);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
    await log.close();
  });
});
