/**
 * The image's HEALTHCHECK: `GET /health` of the service this container runs, exit 0 when it answers
 * 200, 1 otherwise. One image runs any of the services, so without an argument the service is
 * the one PID 1 (tini) was started with (`/usr/bin/tini -- node dist/subgraphs/land/main.js`), and
 * its port comes from the same variables the service reads. `node dist/scripts/health-check.js land-subgraph`
 * names one instead.
 */
import { readFileSync } from 'node:fs';
import { settingsOrExit } from '../lib/runtime/cli.ts';
import { HEALTH_CHECK_SETTINGS } from '../lib/runtime/process-settings.ts';
import { serviceOfCommandLine, systemLayout } from '../lib/runtime/service-layout.ts';

const USAGE = 'Usage: node dist/scripts/health-check.js [service name: gateway, <system>-subgraph, mock-<system>]';
const TIMEOUT_MS = 3000;

function initCommandLine(): string[] {
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  } catch {
    return [];
  }
}

const settings = settingsOrExit(HEALTH_CHECK_SETTINGS);
const { services } = systemLayout(process.env);
const named = process.argv[2];
const service = named ? services.find((s) => s.name === named) : serviceOfCommandLine(initCommandLine(), services);
if (!service) {
  console.error(named ? `Unknown service "${named}". ${USAGE}` : `No service found in PID 1's command line. ${USAGE}`);
  process.exit(2);
}
const host = ['0.0.0.0', '::'].includes(settings.host) ? '127.0.0.1' : settings.host;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${service.port}/health`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  console.log(`${service.name}: GET /health ${response.status}`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  console.log(`${service.name}: GET /health failed: ${(error as Error).message}`);
  process.exit(1);
}
