import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { fetchProvinceDigitization } from '../../../lib/backend/digitization.ts';
import { BackendAdapter } from '../../../lib/runtime/subgraph.ts';
import { digitizationBatchResponse, holdingsResponse, parcelsBatchResponse } from './wire.ts';
import { digitizationFromRecord, parcelFromRecord, type LandDigitizationModel, type LandParcelModel } from './mapping.ts';

/** Typed access to the land backend; the only code that knows its wire format. */
export class LandAdapter extends BackendAdapter {
  /** Parcels per right holder; a personal ID the land database does not know is absent from the map. */
  async getHoldings(personalIds: readonly string[], call?: CallContext): Promise<Map<string, LandParcelModel[]>> {
    const answer = await this.client.post('/v1/parcels/by-holders', { personalIds }, holdingsResponse, { ...call, idempotent: true });
    return new Map(answer.holdings.map((h) => [h.personalId, h.parcels.map(parcelFromRecord)]));
  }

  async getParcels(parcelIds: readonly string[], call?: CallContext): Promise<Map<string, LandParcelModel>> {
    const answer = await this.client.post('/v1/parcels/batch-get', { parcelIds }, parcelsBatchResponse, { ...call, idempotent: true });
    return new Map(answer.parcels.map((p) => [p.parcelId, parcelFromRecord(p)]));
  }

  getDigitization(provinceCodes: readonly string[], call?: CallContext): Promise<Map<string, LandDigitizationModel>> {
    return fetchProvinceDigitization(this.client, provinceCodes, digitizationBatchResponse, digitizationFromRecord, call);
  }
}
