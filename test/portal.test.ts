import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

const PREFILL = `query Prefill($personalId: ID!) {
  citizen(personalId: $personalId) {
    fullName
    dateOfBirth { text }
    permanentResidence { fullAddress province { code name } asRegistered { fullAddress district } }
    household { members { relationship citizen { personalId fullName } } }
    birthRegistration { registrationNumber }
    marriages { registrationNumber registeredOn { text } spouse { fullName } status }
    maritalStatus
    landParcels { parcelId area landUseType certificate { serialNumber } rightHolders { share citizen { personalId fullName } } }
  }
}`;

describe('one query across population, civil status and land', () => {
  it('returns the named household head from every system in one response', async () => {
    system.resetCounters();
    const { status, body } = await system.query(PREFILL, { personalId: NAMED_IDS.head });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      citizen: {
        fullName: 'Nguyễn Văn An',
        dateOfBirth: { text: '1985-03-12' },
        permanentResidence: {
          fullAddress: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Cầu Giấy, Thành phố Hà Nội',
          province: { code: '001', name: 'Hà Nội' },
          asRegistered: {
            fullAddress: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Dịch Vọng Hậu, quận Cầu Giấy, Thành phố Hà Nội',
            district: 'quận Cầu Giấy',
          },
        },
        household: {
          members: [
            { relationship: 'HEAD', citizen: { personalId: NAMED_IDS.head, fullName: 'Nguyễn Văn An' } },
            { relationship: 'SPOUSE', citizen: { personalId: NAMED_IDS.wife, fullName: 'Trần Thị Bình' } },
            { relationship: 'CHILD', citizen: { personalId: NAMED_IDS.son, fullName: 'Nguyễn Minh Khang' } },
            { relationship: 'CHILD', citizen: { personalId: NAMED_IDS.daughter, fullName: 'Nguyễn Ngọc Hà' } },
            { relationship: 'MOTHER', citizen: { personalId: NAMED_IDS.grandmother, fullName: 'Lê Thị Cúc' } },
          ],
        },
        birthRegistration: { registrationNumber: '67/1985' },
        marriages: [{ registrationNumber: '45/2010', registeredOn: { text: '2010-10-10' }, spouse: { fullName: 'Trần Thị Bình' }, status: 'IN_EFFECT' }],
        maritalStatus: 'MARRIED',
        landParcels: [
          {
            parcelId: 'TD-001-CG-0012-0345',
            area: 92.5,
            landUseType: 'RESIDENTIAL_URBAN',
            certificate: { serialNumber: 'CS 01234567' },
            rightHolders: [
              { share: 0.5, citizen: { personalId: NAMED_IDS.head, fullName: 'Nguyễn Văn An' } },
              { share: 0.5, citizen: { personalId: NAMED_IDS.wife, fullName: 'Trần Thị Bình' } },
            ],
          },
        ],
      },
    });
    const requests = system.backendRequests();
    expect(requests['civil-status']).toBe(1);
    expect(requests.land).toBe(1);
    expect(requests['public-services']).toBe(1);
  });

  it("gives a child's birth registration naming both parents", async () => {
    const { body } = await system.query(`{ citizen(personalId: "${NAMED_IDS.son}") {
      birthRegistration { registrationNumber registeredOn { text } registryOffice dateOfBirth { text } father { fullName } mother { fullName } } } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      citizen: {
        birthRegistration: {
          registrationNumber: '118/2012',
          registeredOn: { text: '2012-05-21' },
          registryOffice: 'UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
          dateOfBirth: { text: '2012-05-02' },
          father: { fullName: 'Nguyễn Văn An' },
          mother: { fullName: 'Trần Thị Bình' },
        },
      },
    });
  });

  it('keeps a year-only birth and a widow’s status honest', async () => {
    const { body } = await system.query(`{ citizen(personalId: "${NAMED_IDS.grandmother}") {
      dateOfBirth { year month day precision text } maritalStatus birthRegistration { registrationNumber }
      marriages { registeredOn { text precision } status endedOn { text } }
      landParcels { parcelId landUseType area province { name } } } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      citizen: {
        dateOfBirth: { year: 1938, month: null, day: null, precision: 'YEAR', text: '1938' },
        maritalStatus: 'WIDOWED',
        birthRegistration: null,
        marriages: [{ registeredOn: { text: '1958', precision: 'YEAR' }, status: 'ENDED_BY_DEATH', endedOn: { text: '2020-11-02' } }],
        // In Tỉnh Nam Định until 2025-06-30; its territory is in Tỉnh Ninh Bình since.
        landParcels: [{ parcelId: 'TD-036-NT-0021-0456', landUseType: 'RICE', area: 360, province: { name: 'Ninh Bình' } }],
      },
    });
  });

  it('answers null, not an error, for a citizen the database does not know', async () => {
    const { body } = await system.query('{ citizen(personalId: "079090000000") { fullName } }');
    expect(body).toEqual({ data: { citizen: null } });
  });
});
