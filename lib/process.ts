import type { Logger } from './logger.ts';
import { devEnvironment } from './dev-credentials.ts';

/** Stops a service cleanly on SIGTERM/SIGINT (Ctrl-C, `docker stop`), then exits. */
export function stopOnSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    close().then(
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
 * The environment a service process reads: its own, over the development key set of `npm start`
 * (`.dev/`, if one was made) — so a service started alone (`npm run start:gateway`) trusts the same
 * development credentials. Never in production, where every secret is configured explicitly.
 */
export function processEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env.NODE_ENV === 'production' ? env : { ...devEnvironment(), ...env };
}
