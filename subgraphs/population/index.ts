import type { SubgraphDefinition } from '../../lib/runtime/subgraph.ts';
import { PopulationAdapter } from './adapter/client.ts';
import { populationContractChecks } from './adapter/contract-checks.ts';
import { createPopulationLoaders, type PopulationLoaders } from './adapter/loaders.ts';
import { resolvers } from './resolvers.ts';

export const populationSubgraph: SubgraphDefinition<PopulationAdapter, PopulationLoaders> = {
  system: 'population',
  schemaFile: new URL('./schema.graphql', import.meta.url),
  resolvers,
  createAdapter: (client) => new PopulationAdapter(client),
  createLoaders: createPopulationLoaders,
  contractChecks: populationContractChecks,
};
