/**
 * `npm run bench:refusals`: what documents built to make validation expensive cost the
 * gateway once the shape limits refuse them, and whether the gateway keeps answering under them.
 *
 * The whole system as real processes on free loopback ports (lib/devkit/services.ts). For each document of
 * lib/devkit/abusive-documents.ts: the gateway process's CPU time (/proc/<pid>/stat) per refused
 * request, sent one at a time, first with a new text each time (a comment numbered per request, so
 * nothing is cached) and then the same text again (answered from Apollo's document store). Then
 * 10 connections send all the documents, half of them with a new text per request, for 15 s,
 * unauthenticated, while one client asks the public query `{ provinces { code name } }` every
 * 100 ms (latency p50/p99/max) and the connection board (`connections { systemId status }`)
 * every second; the board is asked once more after the attack. Loopback only, bounded in time;
 * exits 1 if a document is not refused with 400 GRAPHQL_VALIDATION_FAILED or a process exits.
 * Nothing here asserts a speed: the figures are printed for docs/BENCHMARKS.md.
 */
import autocannon from 'autocannon';
import { errorText } from '../lib/runtime/cli.ts';
import { ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import { startServices, systemLayout, withFreePorts, type ServiceGroup } from '../lib/devkit/services.ts';
import { ABUSIVE_DOCUMENTS, type AbusiveDocument } from '../lib/devkit/abusive-documents.ts';
import { processCpuMs } from './process-stats.ts';

const ATTACK_SECONDS = 15;
const CONNECTIONS = 10;
const FIRST_REQUESTS = 20;
const CACHED_REQUESTS = 50;
const PROBE_EVERY_MS = 100;
const BOARD_EVERY_MS = 1000;
const PUBLIC_QUERY = '{ provinces { code name } }';

const dev = await ensureDevCredentials();
const layout = systemLayout({ ...(await withFreePorts({ ...dev.env, ...process.env })), LOG_LEVEL: 'warn' });
const exits: string[] = [];
console.log(`Starting ${layout.services.length} processes on free loopback ports…`);
const group: ServiceGroup = await startServices(layout, {
  // Nine tsx processes on a small shared machine can take a while.
  timeoutMs: 240_000,
  onExit: (exit, service) => {
    if (!exit.requested) exits.push(`${service.name} (${exit.signal ?? `code ${exit.code}`})`);
  },
}).catch((error: unknown) => {
  console.error(`The system did not start: ${errorText(error)}`);
  process.exit(1);
});
process.once('exit', () => {
  for (const service of group.services) if (service.running && service.pid) process.kill(service.pid, 'SIGKILL');
});
const url = `http://${layout.host}:${layout.gatewayPort}/graphql`;
const gatewayPid = group.gateway.pid;
if (!gatewayPid) throw new Error('the gateway has no process id');

/** The gateway process's CPU time so far, user and system, in milliseconds. */
const gatewayCpuMs = () => processCpuMs(gatewayPid);

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}
async function ask(query: string, operationName?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, ...(operationName ? { operationName } : {}) }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const problems: string[] = [];
let fresh = 0;
/** The document's text, new each time when `unique` (a comment is no token and changes the hash). */
const textOf = (document: AbusiveDocument, unique: boolean) => (unique ? `${document.query}\n# ${++fresh}` : document.query);

/** CPU milliseconds of the gateway per request, over `count` requests sent one at a time. */
async function cpuPerRequest(name: string, document: AbusiveDocument, count: number, unique: boolean): Promise<{ ms: number; message: string }> {
  let message = '';
  const before = gatewayCpuMs();
  for (let i = 0; i < count; i++) {
    const { status, body } = await ask(textOf(document, unique), document.operationName);
    const error = body.errors?.[0];
    if (status !== 400 || error?.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED' || body.errors?.length !== 1) {
      problems.push(`${name}: answered ${status} ${JSON.stringify(body).slice(0, 200)}`);
    }
    message = error?.message ?? '';
  }
  return { ms: (gatewayCpuMs() - before) / count, message };
}

for (let i = 0; i < 20; i++) await ask(PUBLIC_QUERY); // warm-up: JIT, query plan cache
const documents = Object.entries(ABUSIVE_DOCUMENTS) as [string, AbusiveDocument][];
console.log(`\nGateway CPU per refused request (${FIRST_REQUESTS} new texts, then ${CACHED_REQUESTS} × the same text), one at a time:`);
console.log(`${'document'.padEnd(22)} ${'bytes'.padStart(6)} ${'first ms'.padStart(9)} ${'cached ms'.padStart(9)}  refusal`);
for (const [name, document] of documents) {
  const first = await cpuPerRequest(name, document, FIRST_REQUESTS, true);
  await ask(textOf(document, false), document.operationName); // the text the cached run repeats, refused once
  const cached = await cpuPerRequest(name, document, CACHED_REQUESTS, false);
  console.log(
    `${name.padEnd(22)} ${String(Buffer.byteLength(document.query)).padStart(6)} ${first.ms.toFixed(1).padStart(9)} ${cached.ms.toFixed(1).padStart(9)}  ${first.message}`,
  );
}

// --- the attack -----------------------------------------------------------------------------------

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms (${sorted.length} answers)`;
}
async function boardStatuses(): Promise<string> {
  const { body } = await ask('{ connections { systemId status } }');
  const connections = (body.data as { connections?: { systemId: string; status: string }[] } | undefined)?.connections ?? [];
  return connections.map((c) => `${c.systemId}=${c.status}`).join(' ') || `no board: ${JSON.stringify(body).slice(0, 120)}`;
}

/** Asks the public query and the board until `stop()`, returning latencies and the board's statuses. */
function watch(): { stop: () => Promise<{ latencies: number[]; failures: number; boards: Map<string, number> }> } {
  let running = true;
  const latencies: number[] = [];
  let failures = 0;
  const boards = new Map<string, number>();
  const probing = (async () => {
    while (running) {
      const started = performance.now();
      const { status, body } = await ask(PUBLIC_QUERY).catch(() => ({ status: 0, body: {} as Answer['body'] }));
      latencies.push(performance.now() - started);
      if (status !== 200 || body.errors) failures += 1;
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  })();
  const boarding = (async () => {
    while (running) {
      const seen = await boardStatuses().catch((error: unknown) => `board unreachable: ${String(error)}`);
      boards.set(seen, (boards.get(seen) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, BOARD_EVERY_MS));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await Promise.all([probing, boarding]);
      return { latencies, failures, boards };
    },
  };
}

console.log(`\nBefore the attack, 3 s: the public query alone…`);
const quiet = watch();
await new Promise((resolve) => setTimeout(resolve, 3000));
const baseline = await quiet.stop();
console.log(`  ${PUBLIC_QUERY}: ${summary(baseline.latencies)}`);

console.log(`Attack: ${CONNECTIONS} connections, every document, half of them with a new text per request, ${ATTACK_SECONDS} s…`);
const statuses = new Map<number, number>();
const requests = documents.flatMap(([, document]) =>
  [false, true].map((unique) => ({
    method: 'POST' as const,
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request: autocannon.Request) => ({
      ...request,
      body: JSON.stringify({ query: textOf(document, unique), ...(document.operationName ? { operationName: document.operationName } : {}) }),
    }),
  })),
);
const watching = watch();
const cpuBefore = gatewayCpuMs();
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const attack = autocannon({ url, connections: CONNECTIONS, duration: ATTACK_SECONDS, requests }, (error, done) => (error ? reject(error) : resolve(done)));
  attack.on('response', (_client, statusCode) => statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1));
});
const cpuDuring = gatewayCpuMs() - cpuBefore;
const during = await watching.stop();
await new Promise((resolve) => setTimeout(resolve, 6000)); // one probe interval of the board, and some
const after = await boardStatuses();

const attackRequests = [...statuses.values()].reduce((a, b) => a + b, 0);
console.log(
  `  refused documents sent: ${attackRequests} (${(attackRequests / ATTACK_SECONDS).toFixed(0)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}, errors ${result.errors}, timeouts ${result.timeouts}`,
);
console.log(
  `  gateway CPU during the attack: ${(cpuDuring / 1000).toFixed(1)} s of ${ATTACK_SECONDS} s, ${(cpuDuring / Math.max(1, attackRequests)).toFixed(2)} ms per refused request`,
);
console.log(`  ${PUBLIC_QUERY} under attack: ${summary(during.latencies)}, ${during.failures} not answered whole`);
console.log(`  connection board during the attack (times seen):`);
for (const [board, times] of during.boards) console.log(`    ${times} × ${board}`);
console.log(`  connection board after the attack: ${after}`);
if ([...statuses.keys()].some((status) => status !== 400)) problems.push(`attack answers other than 400: ${JSON.stringify(Object.fromEntries(statuses))}`);
if (exits.length > 0) problems.push(`processes exited: ${exits.join(', ')}`);

await group.stopAll();
if (problems.length > 0) {
  console.error(`\nProblems:\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
process.exit(0);
