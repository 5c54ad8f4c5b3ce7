import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/devkit/services.ts';
import { SERVICE_HEAP_OPTIONS } from '../lib/runtime/service-layout.ts';
import { runNode } from './support/child-process.ts';

const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const folder = mkdtempSync(join(tmpdir(), 'lien-thong-service-scripts-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The Node options of an npm script `node <options> <entry>`: what the service's process, and its worker threads, start with. */
function nodeOptionsOf(script: string): string[] {
  const words = script.split(/\s+/);
  expect(words[0], script).toBe('node');
  return words.slice(1, -1);
}

describe("npm run start:gateway's Node options", () => {
  it('let the access log write through its worker thread (the preloads are not repeated in the worker)', async () => {
    const options = nodeOptionsOf(scripts['start:gateway']!);
    expect(options).toContain('./scripts/dev-environment.ts');
    const run = await runNode([...options, 'test/support/append-access-record.ts', join(folder, 'access-log.sqlite')], { timeoutMs: 30_000 });
    expect(run.stderr).not.toContain('ACCESS_LOG_WORKER_EXITED');
    expect(run.stdout.trim()).toBe('appended');
    expect(run.code).toBe(0);
  });

  it("let it write with V8's options and the whole process's on the command line too (`node --max-old-space-size=… gateway`), which a worker refuses", async () => {
    const processWide = ['--max-old-space-size=1024', '--max-semi-space-size=32', '--stack-trace-limit=50', '--no-opt', '--title', 'lien-thong-gateway'];
    const options = [...processWide, ...nodeOptionsOf(scripts['start:gateway']!)];
    const run = await runNode([...options, 'test/support/append-access-record.ts', join(folder, 'access-log-heap.sqlite')], { timeoutMs: 30_000 });
    expect(run.stderr).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV');
    expect(run.stdout.trim()).toBe('appended');
    expect(run.code).toBe(0);
  });
});

describe("a subgraph's process", () => {
  it('loads no Apollo Server: only the gateway runs it (the check sees it there)', async () => {
    const loaded = async (...modules: string[]) => {
      const run = await runNode([...nodeOptionsOf(scripts['start:civil-status']!), 'test/support/loaded-packages.ts', ...modules], { timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(0);
      return run.stdout.trim().split('\n');
    };
    const subgraph = await loaded('lib/runtime/subgraph.ts', 'subgraphs/civil-status/index.ts');
    expect(subgraph).toEqual(expect.arrayContaining(['@apollo/subgraph', 'graphql', 'graphql-http']));
    expect(subgraph).not.toContain('@apollo/server');
    expect(await loaded('gateway/server.ts')).toContain('@apollo/server');
  });
});

describe("the gateway's and the subgraphs' young generation (SERVICE_HEAP_OPTIONS)", () => {
  const youngGeneration = `
    const v8 = require('node:v8');
    const committedMiB = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1048576;
    const atStart = committedMiB();
    let kept = [];
    for (let i = 0; i < 2e6; i++) { kept.push({ i }); if (kept.length > 2e5) kept = []; }
    console.log(JSON.stringify({ atStart, underLoad: committedMiB() }));`;

  it('is two semi-spaces of 16 MiB from the start, which allocation does not grow', async () => {
    const run = await runNode([...SERVICE_HEAP_OPTIONS, '-e', youngGeneration], { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ atStart: 16, underLoad: 32 });
    const byDefault = JSON.parse((await runNode(['-e', youngGeneration], { timeoutMs: 30_000 })).stdout) as { atStart: number };
    expect(byDefault.atStart, 'V8 starts it smaller by default').toBeLessThan(16);
  });
});
