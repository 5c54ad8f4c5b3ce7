import { createBatchLoader } from '../../../lib/loaders.ts';
import { MAX_BATCH } from '../../../lib/wire.ts';
import type { PopulationAdapter } from './client.ts';

export function createPopulationLoaders(adapter: PopulationAdapter, requestId: string) {
  return {
    citizen: createBatchLoader((ids: readonly string[]) => adapter.getCitizens(ids, requestId), MAX_BATCH),
    household: createBatchLoader((ids: readonly string[]) => adapter.getHouseholds(ids, requestId), MAX_BATCH),
    verify: (claim: { personalId: string; fullName: string; dateOfBirth: string }) => adapter.verify(claim, requestId),
  };
}
export type PopulationLoaders = ReturnType<typeof createPopulationLoaders>;
