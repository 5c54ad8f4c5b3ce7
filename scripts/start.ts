/**
 * `npm start`: the whole system on its embedded mocks — five mock backends, five subgraphs and
 * the gateway, each its own process on the default ports (or the ports set in the environment).
 * Waits until every process answers, prints where to go, and supervises: a process that crashes is
 * restarted with backoff while the others keep serving (the gateway's answers are partial
 * meanwhile), and given up after too many crashes. Ctrl-C or SIGTERM stops everything.
 */
import { devCredentialsGuide, ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { errorText, settingsOrExit } from '../lib/runtime/cli.ts';
import { START_SETTINGS } from '../lib/runtime/process-settings.ts';
import { connectionTestCommand, spawnServices, Supervisor, systemLayout, type SupervisorEvent } from '../lib/devkit/services.ts';

// The ports, URLs and restart policy, as the services read them: an invalid one stops here, before anything starts.
const { restart: policy } = settingsOrExit(START_SETTINGS);
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
  void supervisor.stop().then(() => {
    console.log(exitCode === 0 ? 'All services stopped.' : 'Stopped.');
    process.exit(exitCode);
  });
}

/** Every crash, restart and give-up in the log; without the gateway nothing answers, so its end ends all. */
function report(event: SupervisorEvent): void {
  const { service } = event;
  (event.kind === 'restarted' ? console.log : console.error)(`[supervisor] ${event.message}`);
  if (event.kind !== 'gave-up' && event.kind !== 'stopped') return;
  if (service.name === 'gateway') {
    console.error('[supervisor] Nothing answers without the gateway: stopping the others.');
    stopAll(event.kind === 'gave-up' ? 1 : 0);
  } else {
    const others = supervisor.group.services.filter((s) => s.running).length;
    console.error(`[supervisor] The other ${others} processes keep running; the gateway answers without ${service.name} until npm start is run again.`);
  }
}

const supervisor = new Supervisor(spawnServices(layout, { onLine: (line, service) => console.log(`[${service.name}] ${line}`) }), { policy, onEvent: report });
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

try {
  // A process that exits before its first answer fails the start: a taken port or a bad variable
  // will not mend itself by restarting.
  await supervisor.start();
} catch (error) {
  if (!stopping) {
    console.error(`${errorText(error).replace(/\.$/, '')}; stopping the others.`);
    stopAll(1);
  }
}

if (!stopping) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const { services } = supervisor.group;
  const rows = services.map((s) => `  ${s.name.padEnd(24)} ${`http://${host}:${s.port}${s.name === 'gateway' ? '/graphql' : ''}`.padEnd(38)} pid ${s.pid}`);
  console.log(`
Liên thông is up on its embedded mocks (${services.length} processes, ready in ${seconds} s).
${rows.join('\n')}

Status page: http://${host}:${gatewayPort}/status   Connection test: ${connectionTestCommand(layout.settings)}

${devCredentialsGuide(dev.credentials, credentialsFile, `http://${host}:${gatewayPort}/graphql`)}

Who saw it: the citizen asks { myDataAccessLog { at agency { name } purpose { name } caseNumber fields } } with $LT_CITIZEN;
an auditor asks accessLog(filter: …) with $LT_AUDITOR, or GET /audit/access-log.csv. npm run audit:verify checks the chain.

A process that crashes is restarted (try kill -9 on a pid above; the gateway's answers lack its data meanwhile).
Ctrl-C stops every process.`);
}
