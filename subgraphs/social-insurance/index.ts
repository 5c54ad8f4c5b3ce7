import type { SubgraphDefinition } from '../../lib/runtime/subgraph.ts';
import { SocialInsuranceAdapter } from './adapter/client.ts';
import { socialInsuranceContractChecks } from './adapter/contract-checks.ts';
import { createSocialInsuranceLoaders, type SocialInsuranceLoaders } from './adapter/loaders.ts';
import { resolvers } from './resolvers.ts';

export const socialInsuranceSubgraph: SubgraphDefinition<SocialInsuranceAdapter, SocialInsuranceLoaders> = {
  system: 'social-insurance',
  schemaFile: new URL('./schema.graphql', import.meta.url),
  resolvers,
  createAdapter: (client) => new SocialInsuranceAdapter(client),
  createLoaders: createSocialInsuranceLoaders,
  contractChecks: socialInsuranceContractChecks,
};
