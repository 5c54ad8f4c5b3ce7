/**
 * The wrapped backend systems. `id` is the stable name clients see in `extensions.system`
 * and the prefix of every environment variable that configures the system.
 */
export type SystemId = 'population' | 'civil-status' | 'land' | 'public-services';

export interface SystemDescriptor {
  id: SystemId;
  /** Name of the backend database this system wraps. */
  name: string;
  /** Owning agency code (see the agency registry of the public-services subgraph). */
  ownerCode: string;
  ownerName: string;
  subgraphPort: number;
  backendPort: number;
  /** Prefix of this system's environment variables, e.g. `CIVIL_STATUS`. */
  envPrefix: string;
  /**
   * Answers of the backend its subgraph keeps in an HTTP cache when the backend marks them cacheable
   * (lib/backend-client.ts): reference data only. 0 for the systems of personal data.
   */
  backendCacheEntries: number;
}

export const SYSTEMS: Record<SystemId, SystemDescriptor> = {
  population: {
    id: 'population',
    name: 'National population database (Cơ sở dữ liệu quốc gia về dân cư)',
    ownerCode: 'BCA',
    ownerName: 'Bộ Công an',
    subgraphPort: 4001,
    backendPort: 4101,
    envPrefix: 'POPULATION',
    backendCacheEntries: 0,
  },
  'civil-status': {
    id: 'civil-status',
    name: 'Electronic civil-status database (Cơ sở dữ liệu hộ tịch điện tử)',
    ownerCode: 'BTP',
    ownerName: 'Bộ Tư pháp',
    subgraphPort: 4002,
    backendPort: 4102,
    envPrefix: 'CIVIL_STATUS',
    backendCacheEntries: 0,
  },
  land: {
    id: 'land',
    name: 'National land database (Cơ sở dữ liệu quốc gia về đất đai)',
    ownerCode: 'BTNMT',
    ownerName: 'Bộ Tài nguyên và Môi trường',
    subgraphPort: 4003,
    backendPort: 4103,
    envPrefix: 'LAND',
    backendCacheEntries: 0,
  },
  'public-services': {
    id: 'public-services',
    name: 'Project 06 statistics and public-service reporting system',
    ownerCode: 'VPCP',
    ownerName: 'Văn phòng Chính phủ',
    subgraphPort: 4004,
    backendPort: 4104,
    envPrefix: 'PUBLIC_SERVICES',
    backendCacheEntries: 256,
  },
};

export const SYSTEM_IDS = Object.keys(SYSTEMS) as SystemId[];
export const GATEWAY_PORT = 4000;

/** Where a system's subgraph and backend are when nothing is configured (`npm start`, the mocks). */
export const defaultSubgraphUrl = (id: SystemId): string => `http://127.0.0.1:${SYSTEMS[id].subgraphPort}/graphql`;
export const defaultBackendUrl = (id: SystemId): string => `http://127.0.0.1:${SYSTEMS[id].backendPort}`;
