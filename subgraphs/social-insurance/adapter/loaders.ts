import type { SubgraphContext } from '../../../lib/runtime/subgraph.ts';
import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { createBatchLoader } from '../../../lib/runtime/loaders.ts';
import { MAX_BATCH } from '../../../lib/backend/wire.ts';
import type { SocialInsuranceAdapter } from './client.ts';

export function createSocialInsuranceLoaders(adapter: SocialInsuranceAdapter, call: CallContext) {
  return {
    socialInsurance: createBatchLoader((ids: readonly string[]) => adapter.getSocialInsurance(ids, call), MAX_BATCH),
  };
}
export type SocialInsuranceLoaders = ReturnType<typeof createSocialInsuranceLoaders>;
/** What this subgraph's resolvers receive as context (the generated resolver types' `contextType`). */
export type SocialInsuranceContext = SubgraphContext<SocialInsuranceLoaders>;
