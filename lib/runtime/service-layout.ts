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
}

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
    services.push({ name: `${id}-subgraph`, entry: `subgraphs/${id}/main.ts`, port: subgraphPort });
  }
  const { gatewayPort } = layout;
  childEnv.GATEWAY_PORT = String(gatewayPort);
  services.push({ name: 'gateway', entry: 'gateway/main.ts', port: gatewayPort });
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
