/**
 * `npm run audit:verify`: recomputes the access log's hash chain, from the same configuration as the
 * gateway (DATABASE_URL, ACCESS_LOG_PATH, ACCESS_LOG_KEY; the development `.dev/` secrets when
 * ACCESS_LOG_KEY is unset). Exit 0 intact, 1 tampered, 2 usage or configuration error.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { accessLogConfig, openAccessLog, type AccessLogConfig } from '../lib/access-log/index.ts';
import { AUDIT_VERIFY_SETTINGS } from '../lib/runtime/process-settings.ts';
import { parseSettings } from '../lib/runtime/settings.ts';
import type { AccessLogStore, ChainProblemKind, ChainVerification } from '../lib/access-log/types.ts';
import { MAX_LISTED_PROBLEMS } from '../lib/access-log/chain.ts';
import { processEnvironment } from '../lib/runtime/process.ts';
import { errorText, exitWithUsage, parseOptions, urlWithoutPassword } from '../lib/runtime/cli.ts';

const USAGE = `Usage: npm run audit:verify -- [--sqlite PATH | --database-url URL] [--expect-head SEQ:HASH] [--json]

Recomputes the access log's hash chain and reports every edited, inserted or deleted record.

  --sqlite PATH           verify this SQLite file (instead of DATABASE_URL / ACCESS_LOG_PATH)
  --database-url URL      verify this PostgreSQL database (instead of DATABASE_URL)
  --expect-head SEQ:HASH  also fail unless the chain holds record SEQ with this hash: a head kept
                          elsewhere, to detect records deleted from the end of the log
  --json                  print the result as JSON
  --help                  print this text

Environment: ACCESS_LOG_KEY (the chain key, required; from .dev/ after npm start when unset),
DATABASE_URL (PostgreSQL when set), ACCESS_LOG_PATH (SQLite file, default var/access-log.sqlite).

Exit status: 0 when the chain is intact, 1 when it is not, 2 on a usage or configuration error.
`;

interface Options {
  sqlite?: string;
  databaseUrl?: string;
  expectHead?: { seq: number; hash: string };
  json: boolean;
}

function configurationError(message: string): never {
  process.stderr.write(`audit:verify: ${message}\n`);
  process.exit(2);
}

function parseCommandLine(argv: string[]): Options {
  const values = parseOptions(argv, { sqlite: { type: 'string' }, 'database-url': { type: 'string' }, 'expect-head': { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.sqlite !== undefined && values['database-url'] !== undefined) {
    exitWithUsage('Give either --sqlite or --database-url, not both.', USAGE);
  }
  let expectHead: Options['expectHead'];
  if (values['expect-head'] !== undefined) {
    const match = /^(\d+):([0-9a-f]{64})$/i.exec(values['expect-head']);
    if (!match) exitWithUsage(`--expect-head: expected SEQ:HASH (a record number and its 64-hex-digit hash), got "${values['expect-head']}".`, USAGE);
    expectHead = { seq: Number(match[1]), hash: match[2]!.toLowerCase() };
  }
  return { sqlite: values.sqlite, databaseUrl: values['database-url'], expectHead, json: values.json ?? false };
}

/** Error text without the connection string's password, whatever the driver put in it. */
function safeMessage(error: unknown, config: AccessLogConfig): string {
  let message = error instanceof Error ? error.message : String(error);
  message = message.replaceAll(config.chainKey, '***');
  if (config.databaseUrl !== undefined) {
    try {
      const password = decodeURIComponent(new URL(config.databaseUrl).password);
      if (password) message = message.replaceAll(password, '***');
    } catch {
      // An unparseable URL has no password to hide from the message.
    }
  }
  return message;
}

const count = (n: number) => n.toLocaleString('en-US');

interface HeadCheck {
  seq: number;
  hash: string;
  ok: boolean;
  detail: string;
}

async function checkExpectedHead(store: AccessLogStore, expected: { seq: number; hash: string }, verification: ChainVerification): Promise<HeadCheck> {
  const [record] = await store.query({ beforeSeq: expected.seq + 1, limit: 1 });
  let ok = false;
  let detail: string;
  if (record === undefined || record.seq !== expected.seq) {
    const head = verification.head === null ? 'the log is empty' : `the head is seq ${verification.head.seq}`;
    detail = `record ${expected.seq} is not in the log (${head}): records were deleted from the end`;
  } else if (record.hash !== expected.hash) {
    detail = `record ${expected.seq} has hash ${record.hash}, not the expected ${expected.hash}: the log was rewritten`;
  } else {
    ok = true;
    detail = `record ${expected.seq} has the expected hash`;
  }
  return { ...expected, ok, detail };
}

const options = parseCommandLine(process.argv.slice(2));
// The command line's store wins over the environment's, before the settings are parsed.
const env: Record<string, string | undefined> = { ...processEnvironment() };
if (options.sqlite !== undefined) {
  env.ACCESS_LOG_PATH = options.sqlite;
  delete env.DATABASE_URL;
}
if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;

let config: AccessLogConfig;
try {
  config = accessLogConfig(parseSettings(AUDIT_VERIFY_SETTINGS, env).log);
} catch (error) {
  configurationError(errorText(error));
}

/** Relative to the working directory when inside it, as ACCESS_LOG_PATH is usually given. */
function shownPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? path : inside;
}

const location = config.databaseUrl !== undefined ? `postgres ${urlWithoutPassword(config.databaseUrl)}` : `sqlite ${shownPath(config.sqlitePath)}`;
if (config.databaseUrl === undefined && !existsSync(config.sqlitePath)) {
  configurationError(`no access log at ${config.sqlitePath} (set ACCESS_LOG_PATH, DATABASE_URL or --sqlite).`);
}

let store: AccessLogStore | undefined;
let verification: ChainVerification;
let headCheck: HeadCheck | undefined;
try {
  store = openAccessLog(config, { readOnly: true });
  verification = await store.verify();
  if (options.expectHead !== undefined) headCheck = await checkExpectedHead(store, options.expectHead, verification);
} catch (error) {
  await store?.close().catch(() => {});
  configurationError(`cannot read the access log (${location}): ${safeMessage(error, config)}`);
}
await store.close();

const ok = verification.intact && (headCheck?.ok ?? true);
if (options.json) {
  process.stdout.write(`${JSON.stringify({ store: location, ok, ...verification, expectedHead: headCheck }, null, 2)}\n`);
} else {
  const lines: string[] = [];
  for (const problem of verification.problems) lines.push(`seq ${problem.seq}: ${problem.kind} — ${problem.detail}`);
  if (verification.problems.length === MAX_LISTED_PROBLEMS) lines.push(`(only the first ${MAX_LISTED_PROBLEMS} problems are listed)`);
  const head = verification.head === null ? 'none (empty log)' : `seq ${verification.head.seq} hash ${verification.head.hash}`;
  const records = `${count(verification.records)} record${verification.records === 1 ? '' : 's'}`;
  if (verification.intact) {
    lines.push(`Access log (${location}): ${records}, chain intact. Head: ${head}`);
  } else {
    const kinds = new Map<ChainProblemKind, number>();
    for (const problem of verification.problems) kinds.set(problem.kind, (kinds.get(problem.kind) ?? 0) + 1);
    const byKind = [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
    lines.push(
      `Access log (${location}): ${records}, chain BROKEN: ${count(verification.problems.length)} problem${verification.problems.length === 1 ? '' : 's'} (${byKind}). Head: ${head}`,
    );
  }
  if (headCheck !== undefined) lines.push(`Expected head: ${headCheck.ok ? 'OK' : 'FAILED'} — ${headCheck.detail}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
process.exitCode = ok ? 0 : 1;
