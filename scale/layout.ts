/**
 * `npm run start:scaled`'s layout: `npm start`'s four mock backends and four subgraphs, and
 * `GATEWAY_REPLICAS` gateways on ports of their own, which HAProxy balances on `GATEWAY_PORT`.
 */
import { systemLayout, type ServiceSpec, type SystemLayout } from '../lib/devkit/services.ts';
import { parseSettings, SCALED_SETTINGS, type Environment } from '../lib/runtime/settings.ts';

export { DEFAULT_GATEWAY_REPLICAS, DEFAULT_HAPROXY_STATS_PORT, DEFAULT_REPLICA_BASE_PORT } from '../lib/runtime/settings.ts';

export interface ScaledLayout extends SystemLayout {
  /** Where HAProxy listens for clients (`GATEWAY_PORT`, 4000 by default). */
  balancerPort: number;
  /** HAProxy's statistics page (HTML, and CSV at `/;csv`), on loopback only. */
  statsPort: number;
  /** The gateway replicas, `gateway-1` … `gateway-N`, also in `services`. */
  replicas: ServiceSpec[];
}

export function scaledLayout(env: Environment): ScaledLayout {
  const base = systemLayout(env);
  const { replicas: count, replicaPorts, statsPort } = parseSettings(SCALED_SETTINGS, env);
  if (replicaPorts.length !== count) {
    throw new Error(`GATEWAY_REPLICA_PORTS must list ${count} ports (GATEWAY_REPLICAS), comma-separated; got "${replicaPorts.join(',')}".`);
  }
  const gateway = base.services.find((service) => service.name === 'gateway')!;
  const replicas = replicaPorts.map((port, i) => ({ ...gateway, name: `gateway-${i + 1}`, port }));
  const backends = base.services.filter((service) => service.name !== 'gateway');
  const ports = [base.gatewayPort, statsPort, ...backends.map((s) => s.port), ...replicas.map((s) => s.port)];
  const taken = ports.find((port, i) => ports.indexOf(port) !== i);
  if (taken !== undefined) throw new Error(`Port ${taken} is set for two processes; GATEWAY_PORT, HAPROXY_STATS_PORT, GATEWAY_REPLICA_PORTS and the system ports must differ.`);
  return { ...base, services: [...backends, ...replicas], balancerPort: base.gatewayPort, statsPort, replicas };
}

/** Each replica's own `GATEWAY_PORT`, for `spawnServices`' `extraEnvByService`. */
export function replicaEnvironments(layout: ScaledLayout, extra: NodeJS.ProcessEnv = {}): Record<string, NodeJS.ProcessEnv> {
  return Object.fromEntries(layout.replicas.map((replica) => [replica.name, { ...extra, GATEWAY_PORT: String(replica.port) }]));
}
