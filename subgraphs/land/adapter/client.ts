import type { BackendClient } from '../../../lib/backend-client.ts';
import { indexSources } from '../../../lib/sources.ts';
import type { Adapter } from '../../../lib/subgraph.ts';
import { healthResponse } from '../../../lib/wire.ts';
import { digitizationBatchResponse, holdingsResponse, parcelsBatchResponse } from './wire.ts';
import {
  digitizationFromRecord,
  parcelFromRecord,
  type LandDigitizationModel,
  type LandParcelModel,
} from './mapping.ts';

/** Typed access to the land backend; the only code that knows its wire format. */
export class LandAdapter implements Adapter {
  constructor(private readonly client: BackendClient) {}

  /** Parcels per right holder; a personal ID the land database does not know is absent from the map. */
  async getHoldings(personalIds: readonly string[], requestId?: string): Promise<Map<string, LandParcelModel[]>> {
    const answer = await this.client.post('/v1/parcels/by-holders', { personalIds }, holdingsResponse, { requestId });
    return new Map(answer.holdings.map((h) => [h.personalId, h.parcels.map(parcelFromRecord)]));
  }

  async getParcels(parcelIds: readonly string[], requestId?: string): Promise<Map<string, LandParcelModel>> {
    const answer = await this.client.post('/v1/parcels/batch-get', { parcelIds }, parcelsBatchResponse, { requestId });
    return new Map(answer.parcels.map((p) => [p.parcelId, parcelFromRecord(p)]));
  }

  async getDigitization(provinceCodes: readonly string[], requestId?: string): Promise<Map<string, LandDigitizationModel>> {
    const answer = await this.client.post(
      '/v1/digitization/provinces/batch-get',
      { provinceCodes },
      digitizationBatchResponse,
      { requestId },
    );
    const sources = indexSources(answer.sources);
    return new Map(answer.provinces.map((p) => [p.provinceCode, digitizationFromRecord(p, sources)]));
  }

  async ping(requestId?: string): Promise<void> {
    await this.client.get('/v1/health', healthResponse, { requestId });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
