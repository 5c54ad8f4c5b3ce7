/**
 * `npm run bench`: start-up time of `npm start` and gateway throughput on the mocks, loopback only,
 * bounded in time. Figures go in docs/BENCHMARKS.md; nothing here asserts a speed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { envInteger } from '../lib/config.ts';
import { ensureDevCredentials } from '../lib/dev-credentials.ts';
import { BATCH, BATCH_VARIABLES, PORTAL, PORTAL_VARIABLES } from './bench-workloads.ts';

// The development officer of `npm start` (.dev/), for a land transfer: personal data needs a credential and a purpose.
const { credentials } = await ensureDevCredentials();
const officerHeaders = { 'x-api-key': credentials.apiKey, 'x-purpose-code': 'land-transfer', 'x-case-number': 'BENCH-1' };
const root = fileURLToPath(new URL('../', import.meta.url));
const gatewayPort = envInteger('GATEWAY_PORT', 4000);
const seconds = envInteger('BENCH_SECONDS', 10);
const startups = envInteger('BENCH_STARTUPS', 3);

interface Started {
  seconds: number;
  stop(): Promise<void>;
}

async function startSystem(): Promise<Started> {
  const began = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Liên thông is up')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  const elapsed = (performance.now() - began) / 1000;
  return {
    seconds: elapsed,
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

async function load(title: string, query: string, variables: Record<string, unknown>, connections: number, duration = seconds) {
  const result = await autocannon({
    url: `http://127.0.0.1:${gatewayPort}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...officerHeaders },
    body: JSON.stringify({ query, variables }),
    connections,
    duration,
  });
  return {
    workload: title,
    connections,
    requests: result.requests.total,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

const startTimes: number[] = [];
for (let i = 0; i < startups; i++) {
  const system = await startSystem();
  startTimes.push(system.seconds);
  if (i < startups - 1) await system.stop();
  else {
    console.log(`npm start ready in: ${startTimes.map((s) => s.toFixed(1)).join(' s, ')} s (9 processes)`);
    // Warm the query-plan cache and connections before measuring.
    await load('warm-up', PORTAL, PORTAL_VARIABLES, 4, 3);
    const rows = [
      await load('portal query (3 systems, named household head)', PORTAL, PORTAL_VARIABLES, 10),
      await load('citizens x50 with birth registration and parcels', BATCH, BATCH_VARIABLES, 10),
    ];
    console.table(rows);
    await system.stop();
  }
}
