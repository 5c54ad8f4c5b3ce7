/** Environment variables with working defaults: nothing needs configuring to start. */
export function envString(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envInteger(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`Environment variable ${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

/** Node's timers take at most this many milliseconds; a larger delay silently becomes 1 ms. */
const LONGEST_TIMER_MS = 2_147_483_647;

/**
 * A deadline, a limit or a count where 0 would make no sense (every call would fail, or none be
 * allowed), and which must fit a Node timer.
 */
export function envPositiveInteger(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = envInteger(name, fallback, env);
  if (value < 1 || value > LONGEST_TIMER_MS) {
    throw new Error(`Environment variable ${name} must be between 1 and ${LONGEST_TIMER_MS}, got "${env[name]}"`);
  }
  return value;
}

/** Address services listen on. Loopback by default; containers set HOST=0.0.0.0. */
export function listenHost(env: NodeJS.ProcessEnv = process.env): string {
  return envString('HOST', '127.0.0.1', env);
}
