/**
 * What the benchmarks read of another process (by pid) in /proc: its CPU time, its memory, its
 * children and its command line. Linux only, like the benchmarks.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time a process (another one, by pid) has used so far, user and system, in milliseconds; for the benchmarks. */
export function processCpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size now (`VmRSS`) and its peak (`VmHWM`) in KiB, from /proc/<pid>/status; undefined once the process is gone. */
export function processMemoryKiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/** V8's regular heap page on 64-bit Linux; a large object gets a mapping of its own size. */
const V8_PAGE_BYTES = 256 * 1024;
const MAPPING_HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/;

/**
 * KiB in memory of a process's anonymous read-write mappings of exactly V8's page size, from
 * /proc/<pid>/smaps: V8's heap pages (every isolate of the process, the young generation's too) as
 * the kernel holds them. V8 maps a page when it commits it, and the kernel counts it in RSS only once
 * written; V8's own `physical_space_size` did not follow that (docs/BENCHMARKS.md). Undefined once the
 * process is gone.
 */
export function v8PagesResidentKiB(pid: number): number | undefined {
  let smaps: string;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  let total = 0;
  let inV8Page = false;
  for (const line of smaps.split('\n')) {
    const header = MAPPING_HEADER.exec(line);
    if (header) {
      const bytes = parseInt(header[2]!, 16) - parseInt(header[1]!, 16);
      inV8Page = bytes === V8_PAGE_BYTES && header[3] === 'rw-p' && header[4] === '';
    } else if (inV8Page && line.startsWith('Rss:')) {
      total += Number(/(\d+) kB/.exec(line)?.[1] ?? 0);
      inV8Page = false;
    }
  }
  return total;
}

/** The direct children of a process, from /proc/<pid>/task/<tid>/children of each of its threads. */
export function childPids(pid: number): number[] {
  const children = new Set<number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    for (const child of text.split(' ').filter(Boolean)) children.add(Number(child));
  }
  return [...children];
}

/** A process's arguments (`node`, `--import`, `tsx`, `gateway/main.ts`), from /proc/<pid>/cmdline. */
export function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}
