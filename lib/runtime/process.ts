import { readFileSync } from 'node:fs';
import { SECRET_FILES_SETTINGS } from './process-settings.ts';
import { isSet, parseSettings, type Environment } from './settings.ts';
import type { Logger } from './logger.ts';
import { stopTracing } from './tracing.ts';

/** Stops a service cleanly on SIGTERM/SIGINT (Ctrl-C, `docker stop`), then exits. */
export function stopOnSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Spans still batched are sent (briefly) before the process exits.
    close()
      .finally(() => stopTracing())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * A rejection nobody handled or an exception nobody caught leaves a service in an unknown state: it
 * is logged as one fatal line (`unhandled rejection` / `uncaught exception`, which the load test
 * counts) and the process exits 1, for the supervisor to restart it.
 */
export function exitOnUnhandledFailures(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
}

/** Runs a process's start-up; a failure (e.g. the port is taken) is one fatal log line and exit code 1. */
export async function startOrExit(logger: Logger, start: () => Promise<void>): Promise<void> {
  exitOnUnhandledFailures(logger);
  try {
    await start();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    logger.fatal({ err: error }, `could not start: ${typeof code === 'string' ? `${code} ` : ''}${(error as Error).message}`);
    process.exit(1);
  }
}

/**
 * The environment a service process reads: its own, with the secrets passed as files. Development
 * defaults (`.dev/`) are never read here: the development entry points put them in the environment
 * before the service starts (lib/devkit/dev-credentials.ts `withDevEnvironment`).
 */
export function processEnvironment(env: Environment = process.env): Environment {
  const { files } = parseSettings(SECRET_FILES_SETTINGS, env);
  return { ...env, ...secretsFromFiles(files, env) };
}

/**
 * Secrets passed as files, the convention of Docker and Compose secrets and Kubernetes Secret
 * volumes: `<NAME>_FILE` names a file holding the value of `<NAME>` (one trailing newline ignored),
 * so the value never appears in the container's environment listing or the compose file.
 */
function secretsFromFiles(files: Record<string, string | undefined>, env: Environment): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, path] of Object.entries(files)) {
    if (path === undefined) continue;
    if (isSet(name, env)) throw new Error(`Both ${name} and ${name}_FILE are set: set only one`);
    let value: string;
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new Error(`${name}_FILE names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
    if (value === '') throw new Error(`${name}_FILE names ${path}, which is empty`);
    values[name] = value;
  }
  return values;
}
