import { pino, type DestinationStream, type Logger } from 'pino';
import { requestLogFields } from './request-context.ts';
import { LOG_LEVEL, readSetting, SettingsError } from './settings.ts';

export type { Logger };

export interface LoggerOptions {
  /** Where the lines go (stdout by default); tests pass a stream to read them. */
  destination?: DestinationStream;
  level?: string;
}

/**
 * `LOG_LEVEL`, or `info` while it is invalid: the logger must exist to log the process's refusal to
 * start, which names that variable among the others (its schema reads `LOG_LEVEL` too).
 */
function logLevel(): string {
  try {
    return readSetting(LOG_LEVEL, process.env);
  } catch (error) {
    if (error instanceof SettingsError) return 'info';
    throw error;
  }
}

/**
 * One JSON line per event on stdout; `service` names the process. A line logged while a request is
 * handled carries its `requestId` (and the trace fields), see lib/runtime/request-context.ts.
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? logLevel(),
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: requestLogFields,
    },
    options.destination,
  );
}
