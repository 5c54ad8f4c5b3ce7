import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { assertPersonalId, assertPersonalIdList, currentProvinceOf, decodePersonalId, encodePersonalId, personalIdProblem } from './personal-id.ts';

const now = new Date('2026-11-23T00:00:00Z');

describe('personal identification number', () => {
  it('decodes province, sex, century and year', () => {
    expect(decodePersonalId('001085012345')).toMatchObject({ provinceCode: '001', sex: 'MALE', birthYear: 1985, serial: '012345' });
    expect(decodePersonalId('036138000123')).toMatchObject({ provinceCode: '036', sex: 'FEMALE', birthYear: 1938 });
    expect(decodePersonalId('001316007890')).toMatchObject({ sex: 'FEMALE', birthYear: 2016 });
    expect(decodePersonalId('079212000001').birthRegistrationProvince?.name).toBe('Hồ Chí Minh');
  });

  it('decodes the prefix against the 63-unit table, and names the unit that holds its territory today separately', () => {
    const namDinh = decodePersonalId('036138000123');
    expect(namDinh.birthRegistrationProvince).toMatchObject({ id: '036', officialName: 'Tỉnh Nam Định', validTo: '2025-06-30' });
    expect(currentProvinceOf(namDinh, '2026-12-03')).toMatchObject({ id: '037-2025-07-01', officialName: 'Tỉnh Ninh Bình' });
    expect(currentProvinceOf(namDinh, '2025-06-30')?.id).toBe('036');
    // 024 is the former Tỉnh Bắc Giang, not the Tỉnh Bắc Ninh that Decision 19/2025/QĐ-TTg codes 24.
    const bacGiang = decodePersonalId('024090123456');
    expect(bacGiang.birthRegistrationProvince?.officialName).toBe('Tỉnh Bắc Giang');
    expect(currentProvinceOf(bacGiang, '2026-12-03')?.officialName).toBe('Tỉnh Bắc Ninh');
    expect(decodePersonalId('027090123456').birthRegistrationProvince?.officialName).toBe('Tỉnh Bắc Ninh');
    // An unchanged unit is its own successor.
    expect(currentProvinceOf(decodePersonalId('001085012345'), '2026-12-03')?.id).toBe('001');
  });

  it('accepts a province code outside the 63 (births registered abroad) without a province', () => {
    expect(personalIdProblem('003085012345', now)).toBeUndefined();
    expect(decodePersonalId('003085012345').birthRegistrationProvince).toBeUndefined();
    expect(currentProvinceOf(decodePersonalId('003085012345'), '2026-12-03')).toBeUndefined();
  });

  it.each([
    ['', 'exactly 12 digits, got 0 characters'],
    ['00108501234', 'exactly 12 digits, got 11 characters'],
    ['0010850123456', 'exactly 12 digits, got 13 characters'],
    ['00108501234A', 'only the ASCII digits'],
    ['００１０８５０１２３４', 'exactly 12 digits'],
    ['001２85012345', 'only the ASCII digits'],
    ['001299012345', 'birth year 2099, which is in the future'],
    ['001427012345', 'birth year 2127, which is in the future'],
  ])('rejects %j: %s', (value, problem) => {
    expect(personalIdProblem(value, now)).toContain(problem);
  });

  it('throws BAD_USER_INPUT naming the argument', () => {
    const error = (() => {
      try {
        assertPersonalIdList(['001085012345', 'x']);
      } catch (e) {
        return e;
      }
    })() as GraphQLError;
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'personalIds[1]' });
    expect(error.message).toBe('Invalid argument personalIds[1]: personal ID must be exactly 12 digits, got 1 character.');
    expect(() => assertPersonalId('001085012345')).not.toThrow();
  });

  it('refuses more than 100 IDs', () => {
    const ids = Array.from({ length: 101 }, (_, i) => encodePersonalId('001', 'MALE', 1980, i + 1));
    expect(() => assertPersonalIdList(ids)).toThrow('at most 100 personal IDs per request, got 101');
    expect(() => assertPersonalIdList(ids.slice(0, 100))).not.toThrow();
  });

  it('encodes what it decodes', () => {
    const id = encodePersonalId('096', 'FEMALE', 2003, 42);
    expect(id).toBe('096303000042');
    expect(decodePersonalId(id)).toMatchObject({ provinceCode: '096', sex: 'FEMALE', birthYear: 2003 });
  });
});
