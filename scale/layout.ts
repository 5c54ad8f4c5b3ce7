/**
 * `npm run start:scaled`'s layout: `npm start`'s four mock backends and four subgraphs, and
 * `GATEWAY_REPLICAS` gateways on ports of their own, which HAProxy balances on `GATEWAY_PORT`.
 */
import { envPositiveInteger, envString } from '../lib/config.ts';
import { systemLayout, type ServiceSpec, type SystemLayout } from '../lib/services.ts';

export const DEFAULT_GATEWAY_REPLICAS = 3;
/** Replica i (1-based) listens on 4010 + i by default: outside `npm start`'s 4000–4004 and 4101–4104. */
export const DEFAULT_REPLICA_BASE_PORT = 4010;
export const DEFAULT_HAPROXY_STATS_PORT = 4009;

export interface ScaledLayout extends SystemLayout {
  /** Where HAProxy listens for clients (`GATEWAY_PORT`, 4000 by default). */
  balancerPort: number;
  /** HAProxy's statistics page (HTML, and CSV at `/;csv`), on loopback only. */
  statsPort: number;
  /** The gateway replicas, `gateway-1` … `gateway-N`, also in `services`. */
  replicas: ServiceSpec[];
}

/** `GATEWAY_REPLICA_PORTS`, a comma-separated list of as many ports as replicas, or 4011, 4012 … */
function replicaPorts(count: number, env: NodeJS.ProcessEnv): number[] {
  const listed = envString('GATEWAY_REPLICA_PORTS', '', env).trim();
  if (listed === '') return Array.from({ length: count }, (_, i) => DEFAULT_REPLICA_BASE_PORT + i + 1);
  const ports = listed.split(',').map((part) => Number(part.trim()));
  if (ports.length !== count || ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new Error(`GATEWAY_REPLICA_PORTS must list ${count} ports (GATEWAY_REPLICAS), comma-separated; got "${listed}".`);
  }
  return ports;
}

export function scaledLayout(env: NodeJS.ProcessEnv, host = '127.0.0.1'): ScaledLayout {
  const base = systemLayout(env, host);
  const count = envPositiveInteger('GATEWAY_REPLICAS', DEFAULT_GATEWAY_REPLICAS, env);
  const replicas = replicaPorts(count, env).map((port, i) => ({ name: `gateway-${i + 1}`, entry: 'gateway/main.ts', port }));
  const backends = base.services.filter((service) => service.name !== 'gateway');
  const statsPort = envPositiveInteger('HAPROXY_STATS_PORT', DEFAULT_HAPROXY_STATS_PORT, env);
  const ports = [base.gatewayPort, statsPort, ...backends.map((s) => s.port), ...replicas.map((s) => s.port)];
  const taken = ports.find((port, i) => ports.indexOf(port) !== i);
  if (taken !== undefined) throw new Error(`Port ${taken} is set for two processes; GATEWAY_PORT, HAPROXY_STATS_PORT, GATEWAY_REPLICA_PORTS and the system ports must differ.`);
  return { ...base, services: [...backends, ...replicas], balancerPort: base.gatewayPort, statsPort, replicas };
}

/** Each replica's own `GATEWAY_PORT`, for `spawnServices`' `extraEnv`. */
export function replicaEnvironments(layout: ScaledLayout, extra: NodeJS.ProcessEnv = {}): Record<string, NodeJS.ProcessEnv> {
  return Object.fromEntries(layout.replicas.map((replica) => [replica.name, { ...extra, GATEWAY_PORT: String(replica.port) }]));
}
