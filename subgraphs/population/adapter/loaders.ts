import type { SubgraphContext } from '../../../lib/runtime/subgraph.ts';
import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { createBatchLoader } from '../../../lib/runtime/loaders.ts';
import { MAX_BATCH } from '../../../lib/backend/wire.ts';
import type { PopulationAdapter } from './client.ts';

export function createPopulationLoaders(adapter: PopulationAdapter, call: CallContext) {
  return {
    citizen: createBatchLoader((ids: readonly string[]) => adapter.getCitizens(ids, call), MAX_BATCH),
    household: createBatchLoader((ids: readonly string[]) => adapter.getHouseholds(ids, call), MAX_BATCH),
    verify: (claim: { personalId: string; fullName: string; dateOfBirth: string }) => adapter.verify(claim, call),
  };
}
export type PopulationLoaders = ReturnType<typeof createPopulationLoaders>;
/** What this subgraph's resolvers receive as context (the generated resolver types' `contextType`). */
export type PopulationContext = SubgraphContext<PopulationLoaders>;
