/**
 * Where each of the nine services of one system listens (four mock backends, four subgraphs, the
 * gateway), from the variables the services themselves read: what `npm start` spawns and what the
 * image's health check probes.
 */
import { envInteger } from './config.ts';
import { GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from './systems.ts';

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
}

/**
 * Where each of the nine services listens, from the same variables the services read
 * (`<PREFIX>_BACKEND_PORT`, `<PREFIX>_SUBGRAPH_PORT`, `GATEWAY_PORT`); a backend or subgraph URL
 * already set is kept, so a subgraph can be pointed at a real backend.
 */
export function systemLayout(env: NodeJS.ProcessEnv, host = '127.0.0.1'): SystemLayout {
  const childEnv: NodeJS.ProcessEnv = { ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' };
  const services: ServiceSpec[] = [];
  for (const id of SYSTEM_IDS) {
    const { envPrefix, backendPort, subgraphPort } = SYSTEMS[id];
    const mockPort = envInteger(`${envPrefix}_BACKEND_PORT`, backendPort, env);
    const port = envInteger(`${envPrefix}_SUBGRAPH_PORT`, subgraphPort, env);
    childEnv[`${envPrefix}_BACKEND_PORT`] = String(mockPort);
    childEnv[`${envPrefix}_BACKEND_URL`] ??= `http://${host}:${mockPort}`;
    childEnv[`${envPrefix}_SUBGRAPH_PORT`] = String(port);
    childEnv[`${envPrefix}_SUBGRAPH_URL`] ??= `http://${host}:${port}/graphql`;
    services.push({ name: `mock-${id}`, entry: `subgraphs/${id}/mock/main.ts`, port: mockPort });
    services.push({ name: `${id}-subgraph`, entry: `subgraphs/${id}/main.ts`, port });
  }
  const gatewayPort = envInteger('GATEWAY_PORT', GATEWAY_PORT, env);
  childEnv.GATEWAY_PORT = String(gatewayPort);
  services.push({ name: 'gateway', entry: 'gateway/main.ts', port: gatewayPort });
  return { host, services, env: childEnv, gatewayPort };
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
