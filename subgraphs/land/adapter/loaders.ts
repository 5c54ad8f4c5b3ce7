import type { SubgraphContext } from '../../../lib/runtime/subgraph.ts';
import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { createBatchLoader } from '../../../lib/runtime/loaders.ts';
import { MAX_BATCH } from '../../../lib/backend/wire.ts';
import type { LandAdapter } from './client.ts';

export function createLandLoaders(adapter: LandAdapter, call: CallContext) {
  return {
    parcelsByHolder: createBatchLoader((ids: readonly string[]) => adapter.getHoldings(ids, call), MAX_BATCH),
    parcel: createBatchLoader((ids: readonly string[]) => adapter.getParcels(ids, call), MAX_BATCH),
    digitization: createBatchLoader((codes: readonly string[]) => adapter.getDigitization(codes, call), MAX_BATCH),
  };
}
export type LandLoaders = ReturnType<typeof createLandLoaders>;
/** What this subgraph's resolvers receive as context (the generated resolver types' `contextType`). */
export type LandContext = SubgraphContext<LandLoaders>;
