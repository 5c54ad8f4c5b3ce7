import type { SubgraphContext } from '../../../lib/runtime/subgraph.ts';
import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { createBatchLoader } from '../../../lib/runtime/loaders.ts';
import { MAX_BATCH } from '../../../lib/backend/wire.ts';
import type { CivilStatusAdapter } from './client.ts';

export function createCivilStatusLoaders(adapter: CivilStatusAdapter, call: CallContext) {
  return {
    // One backend call answers every civil-status field of a citizen, so all of them share this loader.
    civilStatus: createBatchLoader((ids: readonly string[]) => adapter.getCivilStatus(ids, call), MAX_BATCH),
    provinceDigitization: createBatchLoader((codes: readonly string[]) => adapter.getProvinceDigitization(codes, call), MAX_BATCH),
  };
}
export type CivilStatusLoaders = ReturnType<typeof createCivilStatusLoaders>;
/** What this subgraph's resolvers receive as context (the generated resolver types' `contextType`). */
export type CivilStatusContext = SubgraphContext<CivilStatusLoaders>;
