/**
 * Starts a worker thread from a module next to the caller, in TypeScript or compiled JavaScript
 * alike: the worker file takes the caller's own extension (`.ts` under tsx and vitest, `.js` once
 * compiled). A `.ts` worker starts through worker-thread-bootstrap.mjs, which registers tsx in the
 * worker (Node 20 does not carry `--import tsx` into a worker's entry module).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * @param callerUrl `import.meta.url` of the calling module
 * @param name the worker module's file name without extension, in the caller's folder
 * @param workerData what the worker reads as `workerData` (its `entry` property is taken)
 */
export function startWorker(callerUrl: string, name: string, workerData: Record<string, unknown>, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  const typescript = new URL(callerUrl).pathname.endsWith('.ts');
  const entry = new URL(`./${name}${typescript ? '.ts' : '.js'}`, callerUrl);
  const settings = { execArgv: workerExecArgv(process.execArgv), ...options };
  if (!typescript) return new Worker(entry, { ...settings, workerData });
  return new Worker(new URL('./worker-thread-bootstrap.mjs', import.meta.url), { ...settings, workerData: { ...workerData, entry: entry.href } });
}

/**
 * The Node options a worker takes from the process, and whether each takes a value (`--conditions x`
 * or `--conditions=x`): those that shape how a thread reports (warnings, deprecations, source maps,
 * uncaught errors), profiles itself (`--cpu-prof`, `--heap-prof`) and resolves modules. Every other
 * option stays with the process. Node refuses V8's options and those that affect the whole process
 * (`--max-old-space-size`, `--stack-trace-limit`, `--title`, `--no-minor-gc-task`, …) in a worker's
 * `execArgv` (`ERR_WORKER_INVALID_EXEC_ARGV`), which kept a gateway with a SQLite access log from
 * starting when its command line had one; V8's flags are the process's, so the worker runs under them
 * anyway. Preloads (`--import tsx/esm --import ./scripts/dev-environment.ts`) and the entry's own
 * options (`--input-type`, `-e`) are not repeated either: the worker's bootstrap registers tsx itself.
 */
export const WORKER_OPTIONS: ReadonlyMap<string, boolean> = new Map<string, boolean>([
  ...['--enable-source-maps', '--trace-warnings', '--trace-uncaught', '--trace-deprecation', '--throw-deprecation', '--pending-deprecation'].map((name) => [name, false] as const),
  ...['--no-deprecation', '--no-warnings', '--cpu-prof', '--heap-prof', '--preserve-symlinks'].map((name) => [name, false] as const),
  ...['--disable-warning', '--unhandled-rejections', '--conditions', '-C', '--cpu-prof-dir', '--cpu-prof-name', '--cpu-prof-interval'].map((name) => [name, true] as const),
  ...['--heap-prof-dir', '--heap-prof-name', '--heap-prof-interval', '--diagnostic-dir'].map((name) => [name, true] as const),
]);

/**
 * The process's Node options as a worker inherits them: those of `WORKER_OPTIONS`, each with its
 * value. `execArgv` holds options and their values only (the entry and its arguments are not in it),
 * so a word that is not an option is the value of the option before it.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    const [name, value] = option.split('=', 2);
    // Node and V8 read `_` in an option's name as `-` (`--max_old_space_size`).
    const takesValue = option.startsWith('-') ? WORKER_OPTIONS.get(name!.replaceAll('_', '-')) : undefined;
    // An option the worker does not take, or the value of one.
    if (takesValue === undefined) continue;
    kept.push(option);
    if (takesValue && value === undefined && i + 1 < execArgv.length) kept.push(execArgv[++i]!);
  }
  return kept;
}
