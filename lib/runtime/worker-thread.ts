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
 * Options a worker does not take from the process, and whether each takes a value (`--import x` or
 * `--import=x`):
 * - those that only make sense for the process's own entry (`node --input-type=module -e …`), which
 *   a worker refuses;
 * - the modules preloaded into the process (`--import tsx/esm --import ./scripts/dev-environment.ts`,
 *   `--require`, `--loader`): a worker would load them again before its bootstrap registers tsx, and a
 *   TypeScript one fails there ("Unknown file extension .ts"). The worker's own modules need none of
 *   them, and it inherits the process's environment as it is;
 * - V8's sizes of the process's heap and stack, as an operator sizes a service's
 *   (`node --max-old-space-size=1536 dist/gateway/main.js`): a worker's heap is its own, sized by
 *   `resourceLimits`, and it refuses them (`ERR_WORKER_INVALID_EXEC_ARGV`): inherited, they kept a gateway
 *   with a SQLite access log from starting.
 */
const NOT_FOR_WORKERS = new Map<string, boolean>([
  ...['-e', '--eval', '-p', '--print', '--input-type', '--import', '--require', '-r', '--loader', '--experimental-loader'].map((name) => [name, true] as const),
  ...['--max-old-space-size', '--max-semi-space-size', '--stack-size'].map((name) => [name, true] as const),
  ...['--huge-max-old-generation-size', '--expose-gc'].map((name) => [name, false] as const),
]);

/** The process's Node options as a worker inherits them, without those a worker refuses or must not repeat. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    const [name, value] = option.split('=', 2);
    // Node and V8 read `_` in an option's name as `-` (`--max_old_space_size`).
    const takesValue = NOT_FOR_WORKERS.get(name!.replaceAll('_', '-'));
    if (takesValue === undefined) kept.push(option);
    else if (takesValue && value === undefined) i += 1;
  }
  return kept;
}
