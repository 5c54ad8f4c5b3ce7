import { fetchProvinceDigitization } from '../../../lib/digitization.ts';
import { BackendAdapter } from '../../../lib/subgraph.ts';
import { digitizationBatchResponse, holdingsResponse, parcelsBatchResponse } from './wire.ts';
import {
  digitizationFromRecord,
  parcelFromRecord,
  type LandDigitizationModel,
  type LandParcelModel,
} from './mapping.ts';

/** Typed access to the land backend; the only code that knows its wire format. */
export class LandAdapter extends BackendAdapter {
  /** Parcels per right holder; a personal ID the land database does not know is absent from the map. */
  async getHoldings(personalIds: readonly string[], requestId?: string): Promise<Map<string, LandParcelModel[]>> {
    const answer = await this.client.post('/v1/parcels/by-holders', { personalIds }, holdingsResponse, { requestId });
    return new Map(answer.holdings.map((h) => [h.personalId, h.parcels.map(parcelFromRecord)]));
  }

  async getParcels(parcelIds: readonly string[], requestId?: string): Promise<Map<string, LandParcelModel>> {
    const answer = await this.client.post('/v1/parcels/batch-get', { parcelIds }, parcelsBatchResponse, { requestId });
    return new Map(answer.parcels.map((p) => [p.parcelId, parcelFromRecord(p)]));
  }

  getDigitization(provinceCodes: readonly string[], requestId?: string): Promise<Map<string, LandDigitizationModel>> {
    return fetchProvinceDigitization(this.client, provinceCodes, digitizationBatchResponse, digitizationFromRecord, requestId);
  }
}
