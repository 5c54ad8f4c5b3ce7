/**
 * Writes the development key set of `npm start` into a folder, for the containers: docker-compose.yml
 * runs it once (`node dist/scripts/dev-credentials.js --out /run/lien-thong --postgres postgres:5432`)
 * into a named volume that the gateway, the subgraphs and PostgreSQL mount read-only. Keys made on
 * the first run are kept; the example tokens are signed anew on every run.
 *
 * Beside what `npm start` makes (issuers.json, api-keys.json, the identity providers' private keys,
 * credentials.env), it writes each secret as a file for the `<NAME>_FILE` variables:
 * caller-assertion-secret, access-log-key and, with --postgres, postgres-password (read by the
 * postgres image's POSTGRES_PASSWORD_FILE) and database-url (DATABASE_URL_FILE).
 *
 * It only makes development credentials: a real deployment brings its own issuers, API keys and
 * secrets (README: Deploy with Docker Compose) and does not run it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { devCredentialLines, ensureDevCredentialsIn } from '../lib/devkit/dev-credentials.ts';
import { ACCESS_LOG_SETTINGS, CALLER_ASSERTION_SECRET, parseSettings } from '../lib/runtime/settings.ts';

const USAGE = `Usage: node dist/scripts/dev-credentials.js --out <folder> [--postgres <host:port>]
  --out       folder to write the development key set into (made if missing, mode 0700)
  --postgres  also make a PostgreSQL password and the access log's DATABASE_URL for this server
              (user and database lien_thong)`;

const DATABASE_USER = 'lien_thong';
const DATABASE_NAME = 'lien_thong';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** Owner-only, replaced atomically and only when it would change, so a running service never reads half a file. */
function writeSecret(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Made on the first run and kept: PostgreSQL sets its password only when it creates its data folder. */
function keptSecret(path: string): string {
  if (!existsSync(path)) writeSecret(path, `${randomBytes(32).toString('base64url')}\n`);
  return readFileSync(path, 'utf8').trim();
}

let options: { out?: string; postgres?: string; help?: boolean };
try {
  options = parseArgs({
    options: { out: { type: 'string' }, postgres: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!options.out) fail('--out is required');
if (options.postgres !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(options.postgres)) fail(`--postgres must be host or host:port, got "${options.postgres}"`);

const folder = resolve(options.out);
const { env, credentials } = await ensureDevCredentialsIn(folder);
const secrets = parseSettings({ callerSecret: CALLER_ASSERTION_SECRET, chainKey: ACCESS_LOG_SETTINGS.chainKey }, env);
writeSecret(join(folder, 'caller-assertion-secret'), `${secrets.callerSecret}\n`);
writeSecret(join(folder, 'access-log-key'), `${secrets.chainKey}\n`);
const written = ['issuers.json', 'api-keys.json', 'credentials.env', 'caller-assertion-secret', 'access-log-key'];
if (options.postgres !== undefined) {
  const password = keptSecret(join(folder, 'postgres-password'));
  writeSecret(join(folder, 'database-url'), `postgres://${DATABASE_USER}:${password}@${options.postgres}/${DATABASE_NAME}\n`);
  written.push('postgres-password', 'database-url');
}

console.log(`Development credentials in ${folder}: ${written.join(', ')}.
Example credentials (valid 12 hours, signed anew on every run), also in ${join(folder, 'credentials.env')}:
${devCredentialLines(credentials)}`);
