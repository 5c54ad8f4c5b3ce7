import { createBatchLoader } from '../../../lib/loaders.ts';
import { MAX_BATCH } from '../../../lib/wire.ts';
import type { LandAdapter } from './client.ts';

export function createLandLoaders(adapter: LandAdapter, requestId: string) {
  return {
    parcelsByHolder: createBatchLoader((ids: readonly string[]) => adapter.getHoldings(ids, requestId), MAX_BATCH),
    parcel: createBatchLoader((ids: readonly string[]) => adapter.getParcels(ids, requestId), MAX_BATCH),
    digitization: createBatchLoader((codes: readonly string[]) => adapter.getDigitization(codes, requestId), MAX_BATCH),
  };
}
export type LandLoaders = ReturnType<typeof createLandLoaders>;
