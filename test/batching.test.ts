import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { perSystem } from '../lib/runtime/systems.ts';

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

const fiftyIds = Array.from({ length: 50 }, (_, i) => encodePersonalId(['001', '079', '048'][i % 3]!, i % 2 ? 'FEMALE' : 'MALE', 1950 + i, 4242 + i * 131));

describe('batching: N entity references cost one backend call per step of the query plan', () => {
  it('50 citizens with birth registration and land parcels: one call to each backend', async () => {
    system.resetCounters();
    const { body } = await system.query(
      `query($ids: [ID!]!) { citizens(personalIds: $ids) {
        personalId fullName birthRegistration { registrationNumber } landParcels { parcelId area } } }`,
      { ids: fiftyIds },
    );
    expect(body.errors).toBeUndefined();
    const citizens = (body.data as { citizens: { personalId: string; landParcels: unknown[] | null }[] }).citizens;
    expect(citizens.map((c) => c.personalId)).toEqual(fiftyIds);
    expect(citizens.some((c) => (c.landParcels?.length ?? 0) > 0)).toBe(true);
    // Plan: population (citizens) → in parallel civil-status and land (_entities of 50 citizens).
    expect(system.backendRequests()).toEqual({ ...perSystem(() => 0), population: 1, 'civil-status': 1, land: 1 });
  });

  it('a deeper plan costs one more call only where it adds a step', async () => {
    system.resetCounters();
    const { body } = await system.query(
      `query($ids: [ID!]!) { citizens(personalIds: $ids) {
        fullName maritalStatus landParcels { rightHolders { citizen { fullName } } } } }`,
      { ids: fiftyIds },
    );
    expect(body.errors).toBeUndefined();
    // population (citizens) → civil-status + land → population again (right holders' names).
    expect(system.backendRequests()).toEqual({ ...perSystem(() => 0), population: 2, 'civil-status': 1, land: 1 });
  });
});
