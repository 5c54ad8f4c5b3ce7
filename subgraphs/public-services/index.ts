import type { SubgraphDefinition } from '../../lib/runtime/subgraph.ts';
import { PublicServicesAdapter } from './adapter/client.ts';
import { publicServicesContractChecks } from './adapter/contract-checks.ts';
import { createPublicServicesLoaders, type PublicServicesLoaders } from './adapter/loaders.ts';
import { resolvers } from './resolvers.ts';

export const publicServicesSubgraph: SubgraphDefinition<PublicServicesAdapter, PublicServicesLoaders> = {
  system: 'public-services',
  schemaFile: new URL('./schema.graphql', import.meta.url),
  resolvers,
  createAdapter: (client) => new PublicServicesAdapter(client),
  createLoaders: createPublicServicesLoaders,
  contractChecks: publicServicesContractChecks,
};
