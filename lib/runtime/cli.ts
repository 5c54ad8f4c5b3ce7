/** What the project's command-line scripts share: option parsing with a usage text, errors told with their causes, and URLs shown without passwords. */
import { inspect, parseArgs, type ParseArgsConfig } from 'node:util';
import { parseSettings, SettingsError, type Environment, type Settings, type SettingsSchema } from './settings.ts';

/** Prints the message and the usage on stderr and exits 2 (a usage error). */
export function exitWithUsage(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

/**
 * Parses the options strictly (no positionals); an unknown or malformed option exits 2 with the
 * usage, `--help` prints the usage and exits 0.
 */
export function parseOptions<const T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false });
    if ((values as { help?: boolean }).help) {
      process.stdout.write(usage);
      process.exit(0);
    }
    return values;
  } catch (error) {
    return exitWithUsage(errorText(error), usage);
  }
}

/**
 * An error's message followed by its causes' (`fetch failed: bad port`, `fetch failed: connect
 * ECONNREFUSED 127.0.0.1:4000`): undici's fetch puts the reason only in `cause`.
 */
export function errorText(error: unknown): string {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && current !== null && !seen.has(current); current = current instanceof Error ? current.cause : undefined) {
    seen.add(current);
    messages.push(current instanceof Error ? current.message : typeof current === 'string' ? current : inspect(current, { breakLength: Infinity }));
  }
  return messages.join(': ');
}

/** The URL as configured, with any password hidden; a URL that cannot be parsed is not shown at all. */
export function urlWithoutPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, raw.endsWith('/') ? '/' : '');
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * A command's settings from its environment; invalid ones print the `SettingsError` (every invalid
 * variable, with what was expected) on stderr and exit 2, as a usage error.
 */
export function settingsOrExit<S extends SettingsSchema>(schema: S, env: Environment = process.env): Settings<S> {
  try {
    return parseSettings(schema, env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
