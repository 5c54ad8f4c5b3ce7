/**
 * `npm start`: the whole system on its embedded mocks — four mock backends, four subgraphs and
 * the gateway, each its own process on the default ports (or the ports set in the environment).
 * Waits until every process answers, prints where to go, and stops everything on Ctrl-C.
 */
import { relative } from 'node:path';
import { envInteger } from '../lib/config.ts';
import { ensureDevCredentials } from '../lib/dev-credentials.ts';
import { NotAnsweringError, spawnServices, systemLayout } from '../lib/services.ts';

const startupTimeoutMs = envInteger('STARTUP_TIMEOUT_MS', 90_000);
// The development key set (.dev/): made on the first start, reused after; variables already set win.
const dev = await ensureDevCredentials();
const credentialsFile = dev.credentialsFile;
const layout = systemLayout({ ...dev.env, ...process.env });
const { host, gatewayPort } = layout;

const started = performance.now();
let stopping = false;

function stopAll(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  void group.stopAll().then(() => {
    console.log(exitCode === 0 ? 'All services stopped.' : 'Stopped.');
    process.exit(exitCode);
  });
}

const group = spawnServices(layout, {
  onLine: (line, service) => console.log(`[${service.name}] ${line}`),
  onExit: ({ code, signal }, service) => {
    if (stopping) return;
    // Ctrl-C in a terminal reaches every process of the group, so a child may stop cleanly before
    // this process handles its own SIGINT: that is a stop, not a crash.
    if (code === 0 || signal === 'SIGINT' || signal === 'SIGTERM') {
      stopAll(0);
      return;
    }
    console.error(`${service.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the others.`);
    stopAll(1);
  },
});
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

try {
  await group.waitUntilAnswering(startupTimeoutMs);
} catch (error) {
  // An exit during start-up has already been reported and is being handled by onExit.
  if (!stopping) {
    console.error(error instanceof NotAnsweringError ? error.message : String(error));
    stopAll(1);
  }
}

if (!stopping) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const rows = group.services.map((s) => `  ${s.name.padEnd(24)} http://${host}:${s.port}${s.name === 'gateway' ? '/graphql' : ''}`);
  console.log(`
Liên thông is up on its embedded mocks (${group.services.length} processes, ready in ${seconds} s).
${rows.join('\n')}

Status page: http://${host}:${gatewayPort}/status   Connection test: npm run check-connections

Development credentials (valid 12 hours, new on every start), also in ${relative(process.cwd(), credentialsFile) || credentialsFile}:
  officer can-bo-01 at BTNMT     Authorization: Bearer ${dev.credentials.officer}
  auditor kiem-tra-01 at BCA     Authorization: Bearer ${dev.credentials.auditor}
  citizen 001085012345           Authorization: Bearer ${dev.credentials.citizen}
  officer dev-officer at BTNMT   x-api-key: ${dev.credentials.apiKey}

Personal data needs a credential and a purpose. Try, as the officer, for a land transfer on case HS-2026-0001:

  source .dev/credentials.env
  curl -s http://${host}:${gatewayPort}/graphql -H 'content-type: application/json' \\
    -H "authorization: Bearer $LT_OFFICER" -H 'x-purpose-code: land-transfer' -H 'x-case-number: HS-2026-0001' \\
    -d '{"query":"{ citizen(personalId: \\"001085012345\\") { fullName maritalStatus landParcels { parcelId area } } }"}'

Who saw it: the citizen asks { myDataAccessLog { at agency { name } purpose { name } caseNumber fields } } with $LT_CITIZEN;
an auditor asks accessLog(filter: …) with $LT_AUDITOR, or GET /audit/access-log.csv. npm run audit:verify checks the chain.

Ctrl-C stops every process.`);
}
