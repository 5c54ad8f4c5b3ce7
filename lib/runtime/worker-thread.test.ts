import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { workerExecArgv } from './worker-thread.ts';

const dir = mkdtempSync(join(tmpdir(), 'lien-thong-worker-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker that does nothing, started with these options: its exit code. */
function workerExits(execArgv: string[]): Promise<number> {
  return new Promise((resolve, reject) => new Worker('', { eval: true, execArgv }).once('error', reject).once('exit', resolve));
}

describe('workerExecArgv', () => {
  it('drops the preloads of `npm run start:gateway`, which a worker would load before tsx is registered in it', () => {
    expect(workerExecArgv(['--import', 'tsx/esm', '--import', './scripts/dev-environment.ts'])).toEqual([]);
    expect(workerExecArgv(['--import=tsx', '--require', './preload.cjs', '-r', 'x', '--loader=tsx', '--experimental-loader', 'y'])).toEqual([]);
  });

  it("keeps the options that shape the worker's runtime, and a worker accepts them", async () => {
    const kept = workerExecArgv(['--trace-warnings', '--import', 'tsx/esm', '--enable-source-maps', '--cpu-prof', '--cpu-prof-dir', dir]);
    expect(kept).toEqual(['--trace-warnings', '--enable-source-maps', '--cpu-prof', '--cpu-prof-dir', dir]);
    await expect(workerExits(kept)).resolves.toBe(0);
  });

  it("drops V8's sizes of the process's heap and stack, which a worker refuses", async () => {
    const heap = ['--max-semi-space-size=64', '--max-old-space-size', '512', '--max_old_space_size=512', '--stack-size=900', '--expose-gc', '--huge-max-old-generation-size'];
    expect(() => new Worker('', { eval: true, execArgv: ['--max-semi-space-size=64'] })).toThrow(expect.objectContaining({ code: 'ERR_WORKER_INVALID_EXEC_ARGV' }));
    expect(workerExecArgv([...heap, '--enable-source-maps'])).toEqual(['--enable-source-maps']);
    await expect(workerExits(workerExecArgv([...heap, '--trace-warnings']))).resolves.toBe(0);
  });

  it("drops the options that only make sense for the process's own entry", () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'console.log(1)', '--eval=1', '--print=2', '--trace-warnings'])).toEqual(['--trace-warnings']);
  });
});
