/**
 * Another process holding a SQLite file's lock: a plain `node` child with its own better-sqlite3
 * connection runs `BEGIN EXCLUSIVE` (no other connection may write; in WAL mode readers go on),
 * keeps it until the test lets it go, then commits. By hand from a fresh clone (25 s):
 *   node -e "const db=require('better-sqlite3')('var/access-log.sqlite');db.exec('BEGIN EXCLUSIVE');setTimeout(()=>db.exec('COMMIT'),25000)"
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface HeldLock {
  /** Lets the lock go: the child commits and exits; resolves once it has. */
  release(): Promise<void>;
  /** Ends the child at once (its transaction rolls back), for cleanup after a failure. */
  kill(): void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Resolves once the lock is held; it is held until `release()` (or the test's process ends). */
export function holdSqliteLock(path: string): Promise<HeldLock> {
  const code = `
    const db = require('better-sqlite3')(${JSON.stringify(path)});
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    process.stdin.resume();
    process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); });
  `;
  const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
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
      resolve({
        release: () => {
          child.stdin.end();
          return released;
        },
        kill: () => child.kill('SIGKILL'),
      });
    });
    released.catch((error: unknown) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
