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
