import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_OPTIONS, workerExecArgv } from './worker-thread.ts';

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

  it("keeps the options that shape the worker's reports, profiles and module resolution, each with its value, and a worker accepts them", async () => {
    const kept = workerExecArgv(['--trace-warnings', '--import', 'tsx/esm', '--enable-source-maps', '--cpu-prof', '--cpu-prof-dir', dir, '--conditions=development', '-C', 'node']);
    expect(kept).toEqual(['--trace-warnings', '--enable-source-maps', '--cpu-prof', '--cpu-prof-dir', dir, '--conditions=development', '-C', 'node']);
    await expect(workerExits(kept)).resolves.toBe(0);
  });

  it('keeps only options this Node.js accepts in a worker', async () => {
    const values: Record<string, string> = { '--disable-warning': 'ExperimentalWarning', '--unhandled-rejections': 'strict', '--conditions': 'development', '-C': 'node' };
    for (const [name, takesValue] of WORKER_OPTIONS) {
      const value = name.endsWith('-dir') ? dir : name.endsWith('-name') ? `${name.slice(2)}.out` : name.endsWith('-interval') ? '1000' : values[name];
      const option = takesValue ? [name, value ?? ''] : [name];
      // A profile's options need the profile on (`--cpu-prof`), and it is written into the test's folder.
      const profile = /^--(cpu|heap)-prof/.exec(name)?.[0];
      const alongside = profile === undefined ? [] : [profile, `${profile}-dir`, dir].filter((word) => !option.includes(word));
      expect(workerExecArgv(option), name).toEqual(option);
      await expect(workerExits([...alongside, ...option]), option.join(' ')).resolves.toBe(0);
    }
  });

  it("drops V8's options and those of the whole process, each with its value, which a worker refuses", async () => {
    const processWide = ['--stack-trace-limit=50', '--title', 'lien-thong-gateway', '--max-semi-space-size=64', '--no-opt', '--single-threaded-gc'];
    for (const option of ['--stack-trace-limit=50', '--title=lien-thong-gateway', '--max-semi-space-size=64', '--no-opt']) {
      expect(() => new Worker('', { eval: true, execArgv: [option] }), option).toThrow(expect.objectContaining({ code: 'ERR_WORKER_INVALID_EXEC_ARGV' }));
    }
    const heap = ['--max-old-space-size', '512', '--max_old_space_size=512', '--stack-size=900', '--expose-gc', '--huge-max-old-generation-size'];
    expect(workerExecArgv([...processWide, ...heap, '--enable-source-maps'])).toEqual(['--enable-source-maps']);
    await expect(workerExits(workerExecArgv([...processWide, ...heap, '--trace-warnings']))).resolves.toBe(0);
  });

  it("drops the options that only make sense for the process's own entry", () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'console.log(1)', '--eval=1', '--print=2', '--trace-warnings'])).toEqual(['--trace-warnings']);
  });
});
