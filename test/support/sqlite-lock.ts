/**
 * Another process holding a SQLite file's lock: a plain `node` child with its own better-sqlite3
 * connection runs `BEGIN EXCLUSIVE` (no other connection may write; in WAL mode readers go on),
 * keeps it for `holdMs`, then commits. The same line works by hand from a fresh clone:
 *   node -e "const db=require('better-sqlite3')('var/access-log.sqlite');db.exec('BEGIN EXCLUSIVE');setTimeout(()=>db.exec('COMMIT'),25000)"
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface HeldLock {
  /** Resolves once the child has committed and exited. */
  released: Promise<void>;
  /** Ends the child at once (its transaction rolls back), for cleanup after a failure. */
  kill(): void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Resolves once the lock is held. */
export function holdSqliteLock(path: string, holdMs: number): Promise<HeldLock> {
  const code = `
    const db = require('better-sqlite3')(${JSON.stringify(path)});
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdMs});
  `;
  const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const released = new Promise<void>((resolve, reject) => {
    child.on('exit', (status) => (status === 0 ? resolve() : reject(new Error(`the lock holder exited with ${status}: ${stderr}`))));
  });
  released.catch(() => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the lock holder did not take the lock within 15 s: ${stderr}`));
    }, 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('locked')) return;
      clearTimeout(timer);
      resolve({ released, kill: () => child.kill('SIGKILL') });
    });
    released.catch((error: unknown) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
