import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { BackendAdapter } from '../../../lib/runtime/subgraph.ts';
import { socialInsuranceBatchResponse } from './wire.ts';
import { socialInsuranceFromWire, type SocialInsuranceModel } from './mapping.ts';

/** Typed access to the social-insurance backend; the only code that knows its wire format. */
export class SocialInsuranceAdapter extends BackendAdapter {
  /** The record of each citizen, in one call; a citizen without a record is absent from the map. */
  async getSocialInsurance(personalIds: readonly string[], call?: CallContext): Promise<Map<string, SocialInsuranceModel>> {
    const answer = await this.client.post('/v1/social-insurance/batch-get', { personalIds }, socialInsuranceBatchResponse, { ...call, idempotent: true });
    return new Map(answer.records.map((r) => [r.personalId, socialInsuranceFromWire(r)]));
  }
}
