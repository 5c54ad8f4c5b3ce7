import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { BackendAdapter } from '../../../lib/runtime/subgraph.ts';
import { citizensBatchResponse, householdsBatchResponse, verifyResponse } from './wire.ts';
import { citizenFromRecord, householdFromRecord, type CitizenModel, type HouseholdModel } from './mapping.ts';

/** Typed access to the population backend; the only code that knows its wire format. */
export class PopulationAdapter extends BackendAdapter {
  async getCitizens(personalIds: readonly string[], call?: CallContext): Promise<Map<string, CitizenModel>> {
    const answer = await this.client.post('/v1/citizens/batch-get', { personalIds }, citizensBatchResponse, { ...call, idempotent: true });
    return new Map(answer.citizens.map((c) => [c.personalId, citizenFromRecord(c)]));
  }

  async getHouseholds(householdIds: readonly string[], call?: CallContext): Promise<Map<string, HouseholdModel>> {
    const answer = await this.client.post('/v1/households/batch-get', { householdIds }, householdsBatchResponse, { ...call, idempotent: true });
    return new Map(answer.households.map((h) => [h.householdId, householdFromRecord(h)]));
  }

  async verify(claim: { personalId: string; fullName: string; dateOfBirth: string }, call?: CallContext): Promise<boolean> {
    // Not retried: identity checks are often audited or rate-limited per attempt by the system.
    const answer = await this.client.post('/v1/citizens/verify', claim, verifyResponse, call);
    return answer.match;
  }
}
