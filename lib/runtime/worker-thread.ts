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

/** Options that only make sense for the process's own entry (`node --input-type=module -e …`). */
const ENTRY_ONLY = new Set(['-e', '--eval', '-p', '--print']);

/** The process's Node options as a worker inherits them, without those a worker refuses. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    if (ENTRY_ONLY.has(option)) i += 1;
    else if (!option.startsWith('--input-type') && !/^--(eval|print)=/.test(option)) kept.push(option);
  }
  return kept;
}
