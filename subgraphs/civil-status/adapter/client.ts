import type { BackendClient } from '../../../lib/backend-client.ts';
import { indexSources } from '../../../lib/sources.ts';
import type { Adapter } from '../../../lib/subgraph.ts';
import { healthResponse } from '../../../lib/wire.ts';
import { civilStatusBatchResponse, digitizationBatchResponse } from './wire.ts';
import {
  civilStatusFromRecord,
  digitizationFromRecord,
  type CivilStatusModel,
  type DigitizationModel,
} from './mapping.ts';

/** Typed access to the civil-status backend; the only code that knows its wire format. */
export class CivilStatusAdapter implements Adapter {
  constructor(private readonly client: BackendClient) {}

  /** Birth registration, marriages and death registration of each citizen, in one call. */
  async getCivilStatus(personalIds: readonly string[], requestId?: string): Promise<Map<string, CivilStatusModel>> {
    const answer = await this.client.post('/v1/civil-status/batch-get', { personalIds }, civilStatusBatchResponse, { requestId });
    return new Map(answer.records.map((r) => [r.personalId, civilStatusFromRecord(r)]));
  }

  async getProvinceDigitization(provinceCodes: readonly string[], requestId?: string): Promise<Map<string, DigitizationModel>> {
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
