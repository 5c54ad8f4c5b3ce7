import { todayInVietnam } from '../domain/administrative-units.ts';
import { existedOn } from '../domain/dated-history.ts';
import { agencyById, type AgencyEntry } from '../domain/agencies.ts';

/**
 * The wrapped backend systems. `id` is the stable name clients see in `extensions.system`
 * and the prefix of every environment variable that configures the system.
 */
export type SystemId = 'population' | 'civil-status' | 'land' | 'public-services' | 'social-insurance';

export interface SystemDescriptor {
  id: SystemId;
  /** Name of the backend database this system wraps. */
  name: string;
  /**
   * The agencies that owned it (cơ quan chủ quản), oldest first, by registry id (lib/domain/agencies.ts):
   * each owned it for the dates that agency existed. Empty when no published report names its owner.
   */
  ownerIds: readonly string[];
  subgraphPort: number;
  backendPort: number;
  /** Prefix of this system's environment variables, e.g. `CIVIL_STATUS`. */
  envPrefix: string;
  /**
   * Answers of the backend its subgraph keeps in an HTTP cache when the backend marks them cacheable
   * (lib/backend/backend-client.ts): reference data only. 0 for the systems of personal data.
   */
  backendCacheEntries: number;
}

export const SYSTEMS: Record<SystemId, SystemDescriptor> = {
  population: {
    id: 'population',
    name: 'National population database (Cơ sở dữ liệu quốc gia về dân cư)',
    ownerIds: ['BCA'],
    subgraphPort: 4001,
    backendPort: 4101,
    envPrefix: 'POPULATION',
    backendCacheEntries: 0,
  },
  'civil-status': {
    id: 'civil-status',
    name: 'Electronic civil-status database (Cơ sở dữ liệu hộ tịch điện tử)',
    ownerIds: ['BTP'],
    subgraphPort: 4002,
    backendPort: 4102,
    envPrefix: 'CIVIL_STATUS',
    backendCacheEntries: 0,
  },
  land: {
    id: 'land',
    name: 'National land database (Cơ sở dữ liệu quốc gia về đất đai)',
    // Bộ Tài nguyên và Môi trường until 2025-02-28, then Bộ Nông nghiệp và Môi trường formed from it
    // (Nghị quyết 176/2025/QH15; data/agencies.json).
    ownerIds: ['BTNMT', 'BNNMT-2025-03-01'],
    subgraphPort: 4003,
    backendPort: 4103,
    envPrefix: 'LAND',
    backendCacheEntries: 0,
  },
  'public-services': {
    id: 'public-services',
    name: 'Project 06 statistics and public-service reporting system',
    // No published report read names the owner of this system: its owner is not reported.
    ownerIds: [],
    subgraphPort: 4004,
    backendPort: 4104,
    envPrefix: 'PUBLIC_SERVICES',
    backendCacheEntries: 256,
  },
  'social-insurance': {
    id: 'social-insurance',
    name: 'National insurance database (Cơ sở dữ liệu quốc gia về bảo hiểm)',
    // Luật Bảo hiểm xã hội 41/2024/QH15 Điều 3 khoản 11 names it, Điều 18 khoản 18 gives it to the social
    // insurance agency: Bảo hiểm xã hội Việt Nam, an agency of the Government until 2025-02-28 and a unit of
    // the Ministry of Finance from 2025-03-01 (data/agencies.json).
    ownerIds: ['BHXH', 'BHXH-2025-03-01'],
    subgraphPort: 4005,
    backendPort: 4105,
    envPrefix: 'SOCIAL_INSURANCE',
    backendCacheEntries: 0,
  },
  // `npm run new-system` adds a new system's entry above this line.
};

for (const system of Object.values(SYSTEMS)) {
  for (const id of system.ownerIds) if (!agencyById(id)) throw new Error(`system ${system.id}: owner ${id} is not in the agency registry`);
}

/** The system's owners, oldest first, each with the dates it owned the system. */
export function systemOwners(id: SystemId): AgencyEntry[] {
  return SYSTEMS[id].ownerIds.map((owner) => agencyById(owner)!);
}

/** The agency that owned the system on `date` (today in Viet Nam by default); null when none is reported. */
export function systemOwnerOn(id: SystemId, date: string = todayInVietnam()): AgencyEntry | null {
  return systemOwners(id).find((owner) => existedOn(owner, date)) ?? null;
}

/** "The land system (Bộ Nông nghiệp và Môi trường)": how messages name a system, with its owner today when one is reported. */
export function systemLabel(id: SystemId): string {
  const owner = systemOwnerOn(id);
  return owner ? `The ${id} system (${owner.name})` : `The ${id} system`;
}

export const SYSTEM_IDS = Object.keys(SYSTEMS) as SystemId[];

/** One value for each system, in the registry's order (`index` its place in it). */
export function perSystem<T>(value: (id: SystemId, index: number) => T): Record<SystemId, T> {
  return Object.fromEntries(SYSTEM_IDS.map((id, index) => [id, value(id, index)])) as Record<SystemId, T>;
}
export const GATEWAY_PORT = 4000;
