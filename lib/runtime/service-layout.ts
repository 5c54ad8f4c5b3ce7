/**
 * Where each of the services of one system listens (a mock backend and a subgraph per system, the
 * gateway), from the settings the services themselves read: what `npm start` spawns and what the
 * image's health check probes.
 */
import { LAYOUT_SETTINGS, type LayoutSettings } from './process-settings.ts';
import { isSet, LOG_LEVEL, parseSettings, type Environment } from './settings.ts';
import { SYSTEM_IDS, SYSTEMS } from './systems.ts';

export interface ServiceSpec {
  /** `mock-<id>`, `<id>-subgraph` or `gateway`. */
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  port: number;
  /** Node and V8 options before the entry (`SERVICE_HEAP_OPTIONS` for the gateway and the subgraphs). */
  nodeOptions?: readonly string[];
}

/**
 * V8's young generation for the gateway and the subgraphs, on their command line wherever they run:
 * the image's default command, docker-compose.yml, the Kubernetes manifests, `npm start` and
 * `npm run start:<service>` (tests check each). Two semi-spaces of 16 MiB, Node.js 20's default, at
 * that size from the start and written whole from the first collections, whatever memory the
 * process may use:
 * - `--max-semi-space-size=16`: without it V8 sizes the young generation from that memory. Node.js 24
 *   gives 64 MiB semi-spaces on a machine without a limit (the gateway then held about 100 MiB more)
 *   and 4 MiB in a container limited to 384 MiB, a subgraph's pod, where the population subgraph,
 *   collecting it that much more often, spent 1.6 times the CPU per answer (docs/BENCHMARKS.md).
 * - `--min-semi-space-size=16`: V8 otherwise starts it at 1 MiB and grows it under load.
 * - `--no-minor-gc-task`: V8 otherwise collects the young generation from a task posted once 80 % of
 *   it is used; under light load the task runs before the rest is reached, and the young
 *   generation's last pages are written for the first time only when a burst gets there (at 64 MiB,
 *   over about half an hour, RSS climbing as long).
 */
export const SERVICE_HEAP_OPTIONS: readonly string[] = ['--max-semi-space-size=16', '--min-semi-space-size=16', '--no-minor-gc-task'];

export interface SystemLayout {
  host: string;
  /** Mock backends and subgraphs in `SYSTEM_IDS` order, then the gateway. */
  services: ServiceSpec[];
  /** Environment of every child: the given one with each port and URL set; LOG_LEVEL `warn` unless set. */
  env: NodeJS.ProcessEnv;
  gatewayPort: number;
  /** The settings it was made from. */
  settings: LayoutSettings;
}

/**
 * Where each of the services listens, from the same settings the services read
 * (`<PREFIX>_BACKEND_PORT`, `<PREFIX>_SUBGRAPH_PORT`, `GATEWAY_PORT`, lib/runtime/process-settings.ts);
 * a backend or subgraph URL already set is kept, so a subgraph can be pointed at a real backend.
 * Throws a `SettingsError` naming every invalid one.
 */
export function systemLayout(env: Environment): SystemLayout {
  const layout = parseSettings(LAYOUT_SETTINGS, env);
  const host = '127.0.0.1';
  // The children log warnings and worse unless LOG_LEVEL says otherwise: all the processes share one terminal.
  const childEnv: NodeJS.ProcessEnv = { ...env, LOG_LEVEL: isSet(LOG_LEVEL.name, env) ? layout.logLevel : 'warn' };
  const services: ServiceSpec[] = [];
  for (const id of SYSTEM_IDS) {
    const { envPrefix } = SYSTEMS[id];
    const { backendPort, backendUrl, subgraphPort, subgraphUrl } = layout.systems[id];
    childEnv[`${envPrefix}_BACKEND_PORT`] = String(backendPort);
    childEnv[`${envPrefix}_BACKEND_URL`] = backendUrl;
    childEnv[`${envPrefix}_SUBGRAPH_PORT`] = String(subgraphPort);
    childEnv[`${envPrefix}_SUBGRAPH_URL`] = subgraphUrl;
    services.push({ name: `mock-${id}`, entry: `subgraphs/${id}/mock/main.ts`, port: backendPort });
    services.push({ name: `${id}-subgraph`, entry: `subgraphs/${id}/main.ts`, port: subgraphPort, nodeOptions: SERVICE_HEAP_OPTIONS });
  }
  const { gatewayPort } = layout;
  childEnv.GATEWAY_PORT = String(gatewayPort);
  services.push({ name: 'gateway', entry: 'gateway/main.ts', port: gatewayPort, nodeOptions: SERVICE_HEAP_OPTIONS });
  return { host, services, env: childEnv, gatewayPort, settings: layout };
}

/** The service whose entry file is on a command line (`node dist/gateway/main.js`, `node --import tsx gateway/main.ts`). */
export function serviceOfCommandLine(args: readonly string[], services: readonly ServiceSpec[]): ServiceSpec | undefined {
  for (const arg of args) {
    const path = arg.replace(/\.js$/, '.ts');
    const service = services.find(({ entry }) => path === entry || path.endsWith(`/${entry}`));
    if (service) return service;
  }
  return undefined;
}
