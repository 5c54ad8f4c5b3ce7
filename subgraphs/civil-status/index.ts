import type { SubgraphDefinition } from '../../lib/runtime/subgraph.ts';
import { CivilStatusAdapter } from './adapter/client.ts';
import { civilStatusContractChecks } from './adapter/contract-checks.ts';
import { createCivilStatusLoaders, type CivilStatusLoaders } from './adapter/loaders.ts';
import { resolvers } from './resolvers.ts';

export const civilStatusSubgraph: SubgraphDefinition<CivilStatusAdapter, CivilStatusLoaders> = {
  system: 'civil-status',
  schemaFile: new URL('./schema.graphql', import.meta.url),
  resolvers,
  createAdapter: (client) => new CivilStatusAdapter(client),
  createLoaders: createCivilStatusLoaders,
  contractChecks: civilStatusContractChecks,
};
