import { describe, expect, it } from 'vitest';
import { workerExecArgv } from './worker-thread.ts';

describe('workerExecArgv', () => {
  it('drops the preloads of `npm run start:gateway`, which a worker would load before tsx is registered in it', () => {
    expect(workerExecArgv(['--import', 'tsx/esm', '--import', './scripts/dev-environment.ts'])).toEqual([]);
    expect(workerExecArgv(['--import=tsx', '--require', './preload.cjs', '-r', 'x', '--loader=tsx', '--experimental-loader', 'y'])).toEqual([]);
  });

  it("keeps the options that shape the worker's runtime", () => {
    expect(workerExecArgv(['--max-old-space-size=512', '--import', 'tsx/esm', '--enable-source-maps', '--cpu-prof'])).toEqual([
      '--max-old-space-size=512',
      '--enable-source-maps',
      '--cpu-prof',
    ]);
  });

  it("drops the options that only make sense for the process's own entry", () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'console.log(1)', '--eval=1', '--print=2', '--trace-warnings'])).toEqual(['--trace-warnings']);
  });
});
