/**
 * Setup file of the unit tier (vitest.config.ts): a unit test runs in its own process only. Loopback
 * servers and worker threads in this process are fine; starting a child process (one of ours,
 * PostgreSQL, Chromium, HAProxy, any binary) throws, naming the test, and fails that test even when
 * the code under test caught the error.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { relative } from 'node:path';
import { afterAll, afterEach, expect, vi, type TestContext } from 'vitest';

export const CHILD_PROCESS_IN_UNIT_TIER = 'CHILD_PROCESS_IN_UNIT_TIER';

export class ChildProcessInUnitTierError extends Error {
  readonly code = CHILD_PROCESS_IN_UNIT_TIER;
  constructor(where: string, call: string) {
    super(
      `${where} started a child process (${call}), and the unit tier runs in process only. ` +
        'Keep the test in process, or give its file the suffix .integration.test.ts (child processes, PostgreSQL, ' +
        'HAProxy, Prometheus, docker-compose) or .browser.test.ts (Chromium).',
    );
    this.name = 'ChildProcessInUnitTierError';
  }
}

/** Every way node:child_process starts a process; the rest of the module (types, ChildProcess) is left alone. */
const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

const childProcess = createRequire(import.meta.url)('node:child_process') as Record<(typeof STARTERS)[number], unknown>;
/** Refusals not yet reported by a hook: the code under test may have swallowed the error. */
const refused: ChildProcessInUnitTierError[] = [];

function currentTest(): string {
  const { testPath, currentTestName } = expect.getState();
  return [testPath ? relative(process.cwd(), testPath) : 'a unit-tier test file', currentTestName].filter(Boolean).join(' › ');
}

for (const name of STARTERS) {
  childProcess[name] = (command: unknown) => {
    const error = new ChildProcessInUnitTierError(currentTest(), `child_process.${name}(${JSON.stringify(String(command))})`);
    refused.push(error);
    throw error;
  };
}
// `import { spawn } from 'node:child_process'` in ES modules reads the builtin's exports as they are now.
syncBuiltinESMExports();

/** Fails the test with the first refusal, unless the refusal already failed it. */
function reportRefusal(task?: TestContext['task']): void {
  const first = refused[0];
  refused.length = 0;
  if (first && !task?.result?.errors?.some((error) => error.message === first.message)) throw first;
}

afterEach(({ task }) => reportRefusal(task));
afterAll(() => {
  // The unit tier's files share one module graph and thread (vitest.config.ts): no file leaves a fake clock to the next.
  vi.useRealTimers();
  reportRefusal();
});
