import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { processMemoryKiB, v8PagesResidentKiB } from '../scripts/process-stats.ts';

/**
 * A fresh Node process that reports what its objects occupy on V8's regular pages (old and new space)
 * and the room left on those pages, and at each line on its stdin retains about 160 MiB more in small
 * objects. A fresh process, not this one: a test worker shares its process with other isolates that
 * free and reuse pages meanwhile.
 */
const ALLOCATOR = `
  const v8 = require('node:v8');
  const report = () => {
    const spaces = v8.getHeapSpaceStatistics().filter((space) => space.space_name === 'old_space' || space.space_name === 'new_space');
    const kib = (valueOf) => spaces.reduce((sum, space) => sum + valueOf(space), 0) / 1024;
    console.log(JSON.stringify({ objectsKiB: kib((space) => space.space_used_size), roomKiB: kib((space) => space.space_size - space.space_used_size) }));
  };
  const retained = [];
  process.stdin.on('data', () => {
    retained.push(Array.from({ length: 1_000_000 }, (_, index) => ({ index, name: 'citizen ' + index, digits: [index, index + 1] })));
    report();
  });
  report();
`;

describe("a process's V8 heap pages in memory (/proc/<pid>/smaps)", () => {
  const child = spawn(process.execPath, ['-e', ALLOCATOR], { stdio: ['pipe', 'pipe', 'inherit'] });
  afterAll(() => child.kill());
  const reports = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextReport = async () => JSON.parse(String((await reports.next()).value)) as { objectsKiB: number; roomKiB: number };

  it('counts its heap pages, within its RSS, and at least the new pages the objects it retains next need', async () => {
    const start = await nextReport();
    const before = v8PagesResidentKiB(child.pid!)!;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(processMemoryKiB(child.pid!)!.rss);

    child.stdin.write('retain\n');
    const grown = await nextReport();
    const after = v8PagesResidentKiB(child.pid!)!;
    const retainedKiB = grown.objectsKiB - start.objectsKiB;
    expect(retainedKiB).toBeGreaterThan(64 * 1024);
    // What did not fit in the room its pages had must be on pages written since.
    expect(after - before).toBeGreaterThanOrEqual(retainedKiB - start.roomKiB);
    expect(after).toBeLessThan(processMemoryKiB(child.pid!)!.rss);
  });

  it('is undefined for a process that is not there', async () => {
    child.kill();
    await once(child, 'exit');
    expect(v8PagesResidentKiB(child.pid!)).toBeUndefined();
    expect(v8PagesResidentKiB(0)).toBeUndefined();
  });
});
