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
 * Options a worker does not take from the process, with their value (`--import x` or `--import=x`).
 * Those that only make sense for the process's own entry (`node --input-type=module -e …`), which a
 * worker refuses. And the modules preloaded into the process (`--import tsx/esm --import
 * ./scripts/dev-environment.ts`, `--require`, `--loader`): a worker would load them again before its
 * bootstrap registers tsx, and a TypeScript one fails there ("Unknown file extension .ts"). The
 * worker's own modules need none of them, and it inherits the process's environment as it is.
 */
const NOT_FOR_WORKERS = new Set(['-e', '--eval', '-p', '--print', '--input-type', '--import', '--require', '-r', '--loader', '--experimental-loader']);

/** The process's Node options as a worker inherits them, without those a worker refuses or must not repeat. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    if (NOT_FOR_WORKERS.has(option)) i += 1;
    else if (!NOT_FOR_WORKERS.has(option.split('=', 1)[0]!)) kept.push(option);
  }
  return kept;
}
