import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/personal-id.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());
beforeEach(() => system.resetCounters());

const noBackendCalls = { population: 0, 'civil-status': 0, land: 0, 'public-services': 0 };

describe('bad personal IDs are refused before any backend is called', () => {
  it.each([
    ['too short', '00108501234', 'Invalid argument personalId: personal ID must be exactly 12 digits, got 11 characters.'],
    ['too long', '0010850123456', 'Invalid argument personalId: personal ID must be exactly 12 digits, got 13 characters.'],
    ['letters', '00108501234X', 'Invalid argument personalId: personal ID must contain only the ASCII digits 0-9.'],
    ['full-width digits', '００１０８５０１２３４５', 'Invalid argument personalId: personal ID must contain only the ASCII digits 0-9.'],
    ['spaces', '001 85012345', 'Invalid argument personalId: personal ID must contain only the ASCII digits 0-9.'],
    ['future birth year', '001299012345', 'Invalid argument personalId: personal ID encodes birth year 2099, which is in the future.'],
  ])('%s', async (_case, personalId, message) => {
    const { status, body } = await system.query(
      'query($id: ID!) { citizen(personalId: $id) { fullName birthRegistration { registrationNumber } landParcels { parcelId } } }',
      { id: personalId },
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({ citizen: null });
    expect(body.errors).toEqual([{ message, path: ['citizen'], extensions: { code: 'BAD_USER_INPUT', argument: 'personalId' } }]);
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('names the bad element of a list', async () => {
    const { body } = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', {
      ids: ['001085012345', '036187004321', '12345'],
    });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Invalid argument personalIds[2]: personal ID must be exactly 12 digits, got 5 characters.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds[2]' },
    });
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('refuses more than 100 IDs in one request', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => encodePersonalId('001', 'MALE', 1980, i + 1));
    const { body } = await system.query('query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', { ids });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Invalid argument personalIds: at most 100 personal IDs per request, got 101.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'personalIds' },
    });
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('refuses a bad identity claim in verifyCitizen', async () => {
    const { body } = await system.query('{ verifyCitizen(personalId: "001085012345", fullName: "Nguyễn Văn An", dateOfBirth: "12/03/1985") { match } }');
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'dateOfBirth' });
    expect(system.backendRequests()).toEqual(noBackendCalls);
  });

  it('accepts an ID with a province code outside the 63 (births registered abroad)', async () => {
    const { body } = await system.query('{ citizen(personalId: "003085012345") { personalIdInfo { provinceCode province { code } birthYear } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ citizen: { personalIdInfo: { provinceCode: '003', province: null, birthYear: 1985 } } });
  });
});
