import { describe, expect, it } from 'vitest';
import { processMemoryKiB, v8PagesResidentKiB } from '../scripts/process-stats.ts';

describe("a process's V8 heap pages in memory (/proc/<pid>/smaps)", () => {
  it("counts this process's heap pages, within its RSS, and more of them once the heap holds more", () => {
    const before = v8PagesResidentKiB(process.pid)!;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(processMemoryKiB(process.pid)!.rss);
    // About 80 MiB of small objects, each far below a page: V8 puts them on regular 256 KiB pages.
    const retained = Array.from({ length: 1_000_000 }, (_, index) => ({ index, name: `citizen ${index}`, digits: [index, index + 1] }));
    const after = v8PagesResidentKiB(process.pid)!;
    expect(after - before).toBeGreaterThan(32 * 1024);
    expect(retained).toHaveLength(1_000_000);
  });

  it('is undefined for a process that is not there', () => {
    expect(v8PagesResidentKiB(0)).toBeUndefined();
  });
});
