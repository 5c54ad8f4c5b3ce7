import type { SubgraphDefinition } from '../../lib/runtime/subgraph.ts';
import { LandAdapter } from './adapter/client.ts';
import { landContractChecks } from './adapter/contract-checks.ts';
import { createLandLoaders, type LandLoaders } from './adapter/loaders.ts';
import { resolvers } from './resolvers.ts';

export const landSubgraph: SubgraphDefinition<LandAdapter, LandLoaders> = {
  system: 'land',
  schemaFile: new URL('./schema.graphql', import.meta.url),
  resolvers,
  createAdapter: (client) => new LandAdapter(client),
  createLoaders: createLandLoaders,
  contractChecks: landContractChecks,
};
