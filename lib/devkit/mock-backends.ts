import type { SystemId } from '../runtime/systems.ts';
import type { MockRoute } from './mock-routes.ts';
import { civilStatusHandlers } from '../../subgraphs/civil-status/mock/handlers.ts';
import { landHandlers } from '../../subgraphs/land/mock/handlers.ts';
import { populationHandlers } from '../../subgraphs/population/mock/handlers.ts';
import { publicServicesHandlers } from '../../subgraphs/public-services/mock/handlers.ts';
import { socialInsuranceHandlers } from '../../subgraphs/social-insurance/mock/handlers.ts';

/** Each system's mock backend: a fresh route table over today's synthetic population and the published facts. */
export const MOCK_HANDLERS: Record<SystemId, () => MockRoute[]> = {
  population: () => populationHandlers(),
  'civil-status': () => civilStatusHandlers(),
  land: () => landHandlers(),
  'public-services': () => publicServicesHandlers(),
  'social-insurance': () => socialInsuranceHandlers(),
  // `npm run new-system` adds a new system's entry above this line.
};
