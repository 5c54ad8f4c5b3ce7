/**
 * `npm run start:scaled`: the system as it scales out, with real parts on this machine. A throwaway
 * PostgreSQL 15 server holds the access log, `GATEWAY_REPLICAS` gateways (default 3) share it,
 * HAProxy balances them on `GATEWAY_PORT` with health checks on `/ready`, and the five subgraphs
 * and five mock backends run as under `npm start`. Every Node process is supervised as under
 * `npm start` (a crashed replica is restarted and HAProxy takes it back once its `/ready` answers).
 * Ctrl-C or SIGTERM stops everything, HAProxy and PostgreSQL included.
 */
import { devCredentialsGuide, ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { errorText, settingsOrExit } from '../lib/runtime/cli.ts';
import { START_SCALED_SETTINGS } from '../lib/runtime/process-settings.ts';
import { spawnServices, Supervisor, type SupervisorEvent } from '../lib/devkit/services.ts';
import { startBalancer, type RunningBalancer } from '../scale/haproxy.ts';
import { replicaEnvironments, scaledLayout } from '../scale/layout.ts';
import { startPostgres, type ThrowawayPostgres } from '../scale/postgres.ts';

const { restart: policy, requestTimeoutMs } = settingsOrExit(START_SCALED_SETTINGS);
const dev = await ensureDevCredentials();
const env = { ...dev.env, ...process.env };
const layout = scaledLayout(env);
const { host, balancerPort, statsPort, replicas } = layout;

const started = performance.now();
let stopping = false;
let postgres: ThrowawayPostgres | undefined;
let balancer: RunningBalancer | undefined;
let supervisor: Supervisor | undefined;

function stopAll(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  // HAProxy first, so that no client is sent to a gateway that is stopping; PostgreSQL last, once no gateway writes to it.
  void (async () => {
    await balancer?.stop();
    await supervisor?.stop();
    await postgres?.stop();
    console.log(exitCode === 0 ? 'All services stopped, HAProxy and PostgreSQL included.' : 'Stopped.');
    process.exit(exitCode);
  })();
}
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

function failed(error: unknown): void {
  if (stopping) return;
  console.error(`${errorText(error).replace(/\.$/, '')}; stopping the others.`);
  stopAll(1);
}

/** As `npm start`'s, except that HAProxy serves while one gateway replica is left. */
function report(event: SupervisorEvent): void {
  const { service } = event;
  (event.kind === 'restarted' ? console.log : console.error)(`[supervisor] ${event.message}`);
  if (event.kind !== 'gave-up' && event.kind !== 'stopped') return;
  const group = supervisor!.group;
  if (service.name.startsWith('gateway-')) {
    const left = replicas.filter((replica) => group.get(replica.name).running);
    if (left.length === 0) {
      console.error('[supervisor] No gateway replica is left: stopping the others.');
      stopAll(event.kind === 'gave-up' ? 1 : 0);
    } else {
      console.error(`[supervisor] HAProxy sends every request to the other ${left.length} replicas (${left.map((r) => r.name).join(', ')}).`);
    }
  } else {
    console.error(`[supervisor] The other processes keep running; the gateways answer without ${service.name} until npm run start:scaled is run again.`);
  }
}

try {
  postgres = await startPostgres();
  if (stopping) process.exit(0);
  console.log(`[postgresql] PostgreSQL 15 up on ${host}:${postgres.port} (pid ${postgres.pid}), data in a temporary directory removed on stop.`);
  supervisor = new Supervisor(
    spawnServices(layout, {
      extraEnvByService: replicaEnvironments(layout, { DATABASE_URL: postgres.url }),
      onLine: (line, service) => console.log(`[${service.name}] ${line}`),
    }),
    { policy, onEvent: report },
  );
  await supervisor.start();
  if (!stopping) {
    balancer = await startBalancer({ host, port: balancerPort, statsPort, servers: replicas, requestTimeoutMs }, { env, onLine: (line) => console.log(`[haproxy] ${line}`) });
    // Judged a second later: Ctrl-C in a terminal reaches HAProxy too, maybe before this process hears it.
    void balancer.exited.then((exit) =>
      setTimeout(() => {
        if (!stopping) failed(new Error(`HAProxy exited (${exit.signal ?? `exit code ${exit.code}`}): nothing reaches the gateways`));
      }, 1000),
    );
    // Ready when HAProxy's health checks have found every replica ready (rise 2 at 1 s).
    const deadline = performance.now() + 30_000;
    while (!stopping) {
      const stats = await balancer.stats();
      if (stats.every((server) => server.status === 'UP')) break;
      if (performance.now() > deadline) throw new Error(`HAProxy does not find every replica ready: ${stats.map((s) => `${s.name} ${s.status} (${s.lastCheck})`).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
} catch (error) {
  failed(error);
}

if (!stopping && supervisor && balancer && postgres) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const row = (name: string, address: string, pid: number | undefined) => `  ${name.padEnd(24)} ${address.padEnd(46)} pid ${pid}`;
  const rows = [
    row('haproxy', `http://${host}:${balancerPort}/graphql`, balancer.pid),
    ...supervisor.group.services.map((s) => row(s.name, `http://${host}:${s.port}${s.name.startsWith('gateway-') ? '/graphql' : ''}`, s.pid)),
    row('postgresql', postgres.url, postgres.pid),
  ];
  console.log(`
Liên thông is up, scaled out: ${replicas.length} gateway${replicas.length === 1 ? '' : 's'} behind HAProxy (${supervisor.group.services.length + 2} processes, ready in ${seconds} s).
${rows.join('\n')}

Clients use HAProxy: http://${host}:${balancerPort}/graphql (round robin; a replica whose GET /ready fails twice is taken out).
HAProxy statistics: http://${host}:${statsPort}/ (CSV: http://${host}:${statsPort}/;csv)   Status page: http://${host}:${balancerPort}/status
Access log: PostgreSQL, shared by every replica; DATABASE_URL=${postgres.url} npm run audit:verify checks the chain.

${devCredentialsGuide(dev.credentials, dev.credentialsFile, `http://${host}:${balancerPort}/graphql`)}

Kill a replica (kill -9 <pid of gateway-2>): HAProxy takes it out within seconds, the others answer, and it rejoins once restarted.
Ctrl-C stops every process, HAProxy and PostgreSQL included; the access log goes with PostgreSQL's temporary directory.`);
}
