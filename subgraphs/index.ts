import type { Adapter, SubgraphDefinition } from '../lib/runtime/subgraph.ts';
import type { SystemId } from '../lib/runtime/systems.ts';
import { civilStatusSubgraph } from './civil-status/index.ts';
import { landSubgraph } from './land/index.ts';
import { populationSubgraph } from './population/index.ts';
import { publicServicesSubgraph } from './public-services/index.ts';
import { socialInsuranceSubgraph } from './social-insurance/index.ts';

/** Any subgraph, for code that starts, stops or tests them without using their own adapter and loader types. */
export type AnySubgraph = SubgraphDefinition<Adapter, unknown>;

/** The subgraphs over the backends, by system. */
export const SUBGRAPHS: Record<SystemId, AnySubgraph> = {
  population: populationSubgraph as unknown as AnySubgraph,
  'civil-status': civilStatusSubgraph as unknown as AnySubgraph,
  land: landSubgraph as unknown as AnySubgraph,
  'public-services': publicServicesSubgraph as unknown as AnySubgraph,
  'social-insurance': socialInsuranceSubgraph as unknown as AnySubgraph,
  // `npm run new-system` adds a new system's entry above this line.
};
