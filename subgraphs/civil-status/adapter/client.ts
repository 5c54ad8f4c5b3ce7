import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { fetchProvinceDigitization } from '../../../lib/backend/digitization.ts';
import { BackendAdapter } from '../../../lib/runtime/subgraph.ts';
import { civilStatusBatchResponse, digitizationBatchResponse } from './wire.ts';
import { civilStatusFromRecord, digitizationFromRecord, type CivilStatusModel, type DigitizationModel } from './mapping.ts';

/** Typed access to the civil-status backend; the only code that knows its wire format. */
export class CivilStatusAdapter extends BackendAdapter {
  /** Birth registration, marriages and death registration of each citizen, in one call. */
  async getCivilStatus(personalIds: readonly string[], call?: CallContext): Promise<Map<string, CivilStatusModel>> {
    const answer = await this.client.post('/v1/civil-status/batch-get', { personalIds }, civilStatusBatchResponse, { ...call, idempotent: true });
    return new Map(answer.records.map((r) => [r.personalId, civilStatusFromRecord(r)]));
  }

  getProvinceDigitization(provinceCodes: readonly string[], call?: CallContext): Promise<Map<string, DigitizationModel>> {
    return fetchProvinceDigitization(this.client, provinceCodes, digitizationBatchResponse, digitizationFromRecord, call);
  }
}
