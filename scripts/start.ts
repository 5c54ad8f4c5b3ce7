/**
 * `npm start`: the whole system on its embedded mocks — four mock backends, four subgraphs and
 * the gateway, each its own process on the default ports (or the ports set in the environment).
 * Waits until every process answers, prints where to go, and stops everything on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { envInteger } from '../lib/config.ts';
import { GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from '../lib/systems.ts';

interface Service {
  name: string;
  entry: string;
  port: number;
  probePath: string;
}

const root = fileURLToPath(new URL('../', import.meta.url));
const host = '127.0.0.1';
const startupTimeoutMs = envInteger('STARTUP_TIMEOUT_MS', 90_000);

const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
const services: Service[] = [];
for (const id of SYSTEM_IDS) {
  const { envPrefix, backendPort, subgraphPort } = SYSTEMS[id];
  const mockPort = envInteger(`${envPrefix}_BACKEND_PORT`, backendPort);
  const port = envInteger(`${envPrefix}_SUBGRAPH_PORT`, subgraphPort);
  childEnv[`${envPrefix}_BACKEND_PORT`] = String(mockPort);
  childEnv[`${envPrefix}_BACKEND_URL`] ??= `http://${host}:${mockPort}`;
  childEnv[`${envPrefix}_SUBGRAPH_PORT`] = String(port);
  childEnv[`${envPrefix}_SUBGRAPH_URL`] ??= `http://${host}:${port}/graphql`;
  services.push({ name: `mock-${id}`, entry: `subgraphs/${id}/mock/main.ts`, port: mockPort, probePath: '/health' });
  services.push({ name: `${id}-subgraph`, entry: `subgraphs/${id}/main.ts`, port, probePath: '/health' });
}
const gatewayPort = envInteger('GATEWAY_PORT', GATEWAY_PORT);
childEnv.GATEWAY_PORT = String(gatewayPort);
services.push({ name: 'gateway', entry: 'gateway/main.ts', port: gatewayPort, probePath: '/health' });

const started = performance.now();
const children = new Map<string, ChildProcess>();
let stopping = false;

function stopAll(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  }, 5000);
  const waits = [...children.values()].map(
    (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve()))),
  );
  void Promise.all(waits).then(() => {
    clearTimeout(deadline);
    console.log(exitCode === 0 ? 'All services stopped.' : 'Stopped.');
    process.exit(exitCode);
  });
}

for (const service of services) {
  const child = spawn(process.execPath, ['--import', 'tsx', service.entry], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(service.name, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${service.name}] ${line}`));
  }
  child.once('exit', (code, signal) => {
    if (stopping) return;
    // Ctrl-C in a terminal reaches every process of the group, so a child may stop cleanly before
    // this process handles its own SIGINT: that is a stop, not a crash.
    if (code === 0 || signal === 'SIGINT' || signal === 'SIGTERM') {
      stopAll(0);
      return;
    }
    console.error(`${service.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the others.`);
    stopAll(1);
  });
}
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

async function answers(service: Service): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}:${service.port}${service.probePath}`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

const pending = new Set(services);
while (pending.size > 0 && !stopping) {
  if (performance.now() - started > startupTimeoutMs) {
    console.error(`Not answering after ${startupTimeoutMs / 1000} s: ${[...pending].map((s) => s.name).join(', ')}.`);
    stopAll(1);
    break;
  }
  await Promise.all(
    [...pending].map(async (service) => {
      if (await answers(service)) pending.delete(service);
    }),
  );
  if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
}

if (!stopping) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const rows = services.map((s) => `  ${s.name.padEnd(24)} http://${host}:${s.port}${s.name === 'gateway' ? '/graphql' : ''}`);
  console.log(`
Liên thông is up on its embedded mocks (${services.length} processes, ready in ${seconds} s).
${rows.join('\n')}

Open http://${host}:${gatewayPort}/graphql in a browser, or try:

  curl -s http://${host}:${gatewayPort}/graphql -H 'content-type: application/json' \\
    -d '{"query":"{ citizen(personalId: \\"001085012345\\") { fullName maritalStatus landParcels { parcelId area } } }"}'

Ctrl-C stops every process.`);
}
