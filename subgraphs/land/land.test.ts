import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SystemError } from '../../lib/runtime/errors.ts';
import { FACT_SOURCES } from '../../lib/backend/facts.ts';
import { encodePersonalId } from '../../lib/domain/personal-id.ts';
import { LEGACY_PROVINCES as PROVINCES } from '../../lib/domain/administrative-units.ts';
import { NAMED_IDS } from '../../lib/domain/synthetic/named.ts';
import { SyntheticWorld } from '../../lib/domain/synthetic/world.ts';
import { startSubgraphUnderTest } from '../../test/support/subgraph-harness.ts';
import { landSubgraph } from './index.ts';
import { landHandlers } from './mock/handlers.ts';

const { head: HEAD, wife: WIFE, son: SON, grandmother: GRANDMOTHER } = NAMED_IDS;
const UNKNOWN = '079090000000';
const FAMILY_HOME = 'TD-001-CG-0012-0345';
const RICE_FIELD = 'TD-036-NT-0021-0456';
/** A seed document whose article was not found: outlet, title, address and language unknown. */
const S3 = {
  id: 'S3',
  document: '003_03dd5c3de9e00cb7.txt',
  outlet: null,
  title: null,
  published: '2024-07-29',
  url: null,
  language: null,
  summary: FACT_SOURCES.find((s) => s.id === 'S3')!.summary,
};

const world = new SyntheticWorld();
const { mock, adapter, wireAdapter, wireAnswers, execute, reset, close } = await startSubgraphUnderTest(landSubgraph, landHandlers(world), { backendTimeoutMs: 1000 });
afterAll(close);
beforeEach(reset);

/** A synthetic couple, still married, whose household holds at least one parcel. */
function marriedCoupleWithLand(): { husbandId: string; wifeId: string } {
  for (let serial = 1; serial < 10_000; serial++) {
    const id = encodePersonalId('079', 'MALE', 1970, serial);
    const marriage = world.marriagesOf(id).find((m) => m.endedOn === undefined);
    if (marriage && world.parcelsOf(id).length > 0) return marriage;
  }
  throw new Error('no married synthetic couple with land found');
}

describe('LandAdapter', () => {
  it('fetches the parcels of several holders in one backend request', async () => {
    const holdings = await adapter.getHoldings([HEAD, WIFE, GRANDMOTHER, SON, UNKNOWN]);
    expect(mock.stats().requests).toBe(1);
    expect(mock.stats().byRoute).toEqual({ 'POST /v1/parcels/by-holders': 1 });
    expect([...holdings.keys()].sort()).toEqual([HEAD, SON, GRANDMOTHER, WIFE].sort());
    expect(holdings.get(SON)).toEqual([]);
  });

  it('lists the co-owned family home, held 50/50, under both spouses', async () => {
    const holdings = await adapter.getHoldings([HEAD, WIFE]);
    for (const holder of [HEAD, WIFE]) {
      const parcels = holdings.get(holder) ?? [];
      expect(parcels.map((p) => p.parcelId)).toEqual([FAMILY_HOME]);
      expect(parcels[0]?.rightHolders).toEqual([
        { personalId: HEAD, share: 0.5 },
        { personalId: WIFE, share: 0.5 },
      ]);
    }
    expect(holdings.get(HEAD)?.[0]).toMatchObject({
      provinceCode: '001',
      mapSheetNumber: 12,
      parcelNumber: 345,
      area: 92.5,
      landUseType: 'RESIDENTIAL_URBAN',
      certificate: { serialNumber: 'CS 01234567', issuedOn: '2013-06-20', issuer: 'Sở Tài nguyên và Môi trường thành phố Hà Nội' },
    });
  });

  it("maps the grandmother's rice field from the wire codes", async () => {
    const holdings = await adapter.getHoldings([GRANDMOTHER]);
    expect(holdings.get(GRANDMOTHER)).toEqual([
      {
        parcelId: RICE_FIELD,
        provinceCode: '036',
        address: 'Xóm 3, xã Nam Thanh, huyện Nam Trực, tỉnh Nam Định',
        mapSheetNumber: 21,
        parcelNumber: 456,
        area: 360,
        landUseType: 'RICE',
        certificate: { serialNumber: 'BK 00482913', issuedOn: '2011-09-14', issuer: 'UBND huyện Nam Trực' },
        rightHolders: [{ personalId: GRANDMOTHER, share: 1 }],
      },
    ]);
  });

  it('leaves an ID the land database does not know out of the answer', async () => {
    const holdings = await adapter.getHoldings([UNKNOWN]);
    expect(holdings.size).toBe(0);
  });

  it("gives a synthetic married couple the same parcels from either spouse's side", async () => {
    const { husbandId, wifeId } = marriedCoupleWithLand();
    const holdings = await adapter.getHoldings([husbandId, wifeId]);
    const husbands = holdings.get(husbandId) ?? [];
    expect(husbands.length).toBeGreaterThan(0);
    expect(holdings.get(wifeId)).toEqual(husbands);
    for (const parcel of husbands) {
      expect(parcel.rightHolders.map((h) => h.personalId).sort()).toEqual([husbandId, wifeId].sort());
      expect(parcel.rightHolders.map((h) => h.share)).toEqual([0.5, 0.5]);
    }
  });

  it('fetches parcels by ID in one request, leaving unknown IDs out', async () => {
    const parcels = await adapter.getParcels([FAMILY_HOME, RICE_FIELD, 'TD-NO-SUCH-PARCEL']);
    expect(mock.stats().requests).toBe(1);
    expect([...parcels.keys()]).toEqual([FAMILY_HOME, RICE_FIELD]);
  });

  it('reports a malformed answer as SYSTEM_BAD_RESPONSE from the land system', async () => {
    mock.setFault({ mode: 'malformed' });
    const failure = await adapter.getHoldings([HEAD]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SystemError);
    expect(failure).toMatchObject({ system: 'land', systemCode: 'SYSTEM_BAD_RESPONSE', extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'land' } });
  });

  it('reports a backend that is down as SYSTEM_UNAVAILABLE', async () => {
    mock.setFault({ mode: 'down' });
    const failure = await adapter.getParcels([FAMILY_HOME]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SystemError);
    expect(failure).toMatchObject({ system: 'land', systemCode: 'SYSTEM_UNAVAILABLE' });
  });
});

describe('LandAdapter, on wire answers written from the contract', () => {
  /** The family home of the CONTRACT.md example. */
  const CONTRACT_PARCEL = {
    parcelId: FAMILY_HOME,
    provinceCode: '001',
    address: 'Số 18, ngõ 42 phố Trần Quốc Hoàn, phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội',
    mapSheetNumber: 12,
    parcelNumber: 345,
    areaM2: 92.5,
    landUseCode: 'ODT',
    certificate: { serialNumber: 'CS 01234567', issuedOn: '2013-06-20', issuer: 'Sở Tài nguyên và Môi trường thành phố Hà Nội' },
    rightHolders: [
      { personalId: HEAD, share: 0.5 },
      { personalId: WIFE, share: 0.5 },
    ],
  };
  const LAND_USES = [
    ['ODT', 'RESIDENTIAL_URBAN'],
    ['ONT', 'RESIDENTIAL_RURAL'],
    ['LUA', 'RICE'],
    ['CLN', 'PERENNIAL_CROPS'],
    ['HNK', 'ANNUAL_CROPS'],
    ['NTS', 'AQUACULTURE'],
    ['RSX', 'PRODUCTION_FOREST'],
  ] as const;
  /** Bình Dương's entry of the CONTRACT.md example: figures published, no status. */
  const CONTRACT_PROVINCE = {
    provinceCode: '074',
    status: 'CHUA_BAO_CAO',
    recordsCleaned: 814438,
    recordsTotal: 896556,
    cleanedShare: 0.9084,
    districtsAppraised: null,
    statement: 'Binh Duong land records cleaned',
    asOf: '2024-06',
    sourceIds: ['S3'],
  };
  const NOT_REPORTED = {
    provinceCode: '002',
    status: 'CHUA_BAO_CAO',
    recordsCleaned: null,
    recordsTotal: null,
    cleanedShare: null,
    districtsAppraised: null,
    statement: null,
    asOf: null,
    sourceIds: [],
  };
  const serveParcels = (...parcels: object[]) => wireAnswers.set('/v1/parcels/batch-get', { parcels, notFound: [] });
  const serveProvinces = (...provinces: object[]) => wireAnswers.set('/v1/digitization/provinces/batch-get', { provinces, sources: [S3] });
  const refused = (call: Promise<unknown>, what: unknown) =>
    expect(call, JSON.stringify(what)).rejects.toMatchObject({ extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'land' } });

  it('maps every land-use code', async () => {
    serveParcels(...LAND_USES.map(([landUseCode]) => ({ ...CONTRACT_PARCEL, parcelId: landUseCode, landUseCode })));
    const parcels = await wireAdapter.getParcels(LAND_USES.map(([code]) => code));
    expect(LAND_USES.map(([code]) => parcels.get(code)?.landUseType)).toEqual(LAND_USES.map(([, type]) => type));
  });

  it('maps every digitisation status', async () => {
    serveProvinces(
      { ...CONTRACT_PROVINCE, provinceCode: '079', status: 'HOAN_THANH' },
      { ...CONTRACT_PROVINCE, provinceCode: '075', status: 'CO_BAN_HOAN_THANH' },
      { ...CONTRACT_PROVINCE, provinceCode: '049', status: 'DANG_THUC_HIEN' },
      CONTRACT_PROVINCE,
      NOT_REPORTED,
    );
    const provinces = await wireAdapter.getDigitization(['079', '075', '049', '074', '002']);
    expect(['079', '075', '049', '074', '002'].map((code) => provinces.get(code)?.status)).toEqual([
      'COMPLETED',
      'BASICALLY_COMPLETED',
      'IN_PROGRESS',
      'NOT_REPORTED',
      'NOT_REPORTED',
    ]);
    // Everything but the status and the sources passes through as the backend wrote it.
    const { sourceIds: _, ...asWritten } = CONTRACT_PROVINCE;
    expect(provinces.get('074')).toEqual({ ...asWritten, status: 'NOT_REPORTED', sources: [S3] });
  });

  it('serves the published land figures of Bình Dương, Đồng Nai and Quảng Nam with their source, and no status no report gives', async () => {
    const provinces = await adapter.getDigitization(['074', '075', '049']);
    // The mock serves Bình Dương exactly as the contract's example writes it.
    const { sourceIds: _, ...binhDuong } = CONTRACT_PROVINCE;
    expect(provinces.get('074')).toEqual({ ...binhDuong, status: 'NOT_REPORTED', sources: [S3] });
    expect(provinces.get('075')).toMatchObject({ status: 'NOT_REPORTED', recordsCleaned: 1736804, recordsTotal: 1894113, asOf: '2024-06' });
    // The article gives the appraised plans no date: its year, never a day.
    expect(provinces.get('049')).toMatchObject({ status: 'NOT_REPORTED', districtsAppraised: 8, asOf: '2024', sources: [{ id: 'S4', outlet: 'vietnam.vn' }] });
  });

  it('refuses a number beyond a GraphQL Int, or a date that does not exist', async () => {
    for (const broken of [{ recordsCleaned: 2 ** 31 }, { recordsTotal: 2 ** 31 }, { districtsAppraised: 2 ** 31 }, { asOf: '2024-02-30' }]) {
      serveProvinces({ ...CONTRACT_PROVINCE, ...broken });
      await refused(wireAdapter.getDigitization(['074']), broken);
    }
    for (const broken of [{ mapSheetNumber: 2 ** 31 }, { parcelNumber: 2 ** 31 }, { certificate: { ...CONTRACT_PARCEL.certificate, issuedOn: '2024-13-45' } }]) {
      serveParcels({ ...CONTRACT_PARCEL, ...broken });
      await refused(wireAdapter.getParcels([FAMILY_HOME]), broken);
    }
  });

  it('refuses a not-reported province that carries figures, a statement, a date or a source without the others', async () => {
    for (const broken of [
      { recordsCleaned: 1 },
      { recordsTotal: 1 },
      { cleanedShare: 0.5 },
      { districtsAppraised: 8 },
      { statement: 'Binh Duong land records cleaned' },
      { asOf: '2024-06-30' },
      { sourceIds: ['S3'] },
    ]) {
      serveProvinces({ ...NOT_REPORTED, ...broken });
      await refused(wireAdapter.getDigitization(['002']), broken);
    }
  });
});

describe('land subgraph', () => {
  it('publishes its federation SDL', async () => {
    const result = await execute<{ _service: { sdl: string } }>('{ _service { sdl } }');
    expect(result.errors).toBeUndefined();
    // The federation printer puts each directive on its own line.
    const sdl = result.data?._service.sdl ?? '';
    expect(sdl).toMatch(/type LandParcel\s+@key\(fields: "parcelId"\)/);
    expect(sdl).toMatch(/type Citizen\s+@key\(fields: "personalId"\)/);
    expect(sdl).toMatch(/type Province\s+@key\(fields: "id"\)/);
  });

  it("resolves three citizens' parcels with one backend request", async () => {
    const result = await execute<{
      _entities: ({ landParcels: { parcelId: string; area: number; rightHolders: { share: number; citizen: { personalId: string } }[] }[] | null } | null)[];
    }>(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Citizen { landParcels { parcelId area rightHolders { share citizen { personalId } } } }
        }
      }`,
      {
        representations: [HEAD, GRANDMOTHER, UNKNOWN].map((personalId) => ({ __typename: 'Citizen', personalId })),
      },
    );
    expect(result.errors).toBeUndefined();
    expect(mock.stats().requests).toBe(1);
    expect(result.data?._entities).toEqual([
      {
        landParcels: [
          {
            parcelId: FAMILY_HOME,
            area: 92.5,
            rightHolders: [
              { share: 0.5, citizen: { personalId: HEAD } },
              { share: 0.5, citizen: { personalId: WIFE } },
            ],
          },
        ],
      },
      { landParcels: [{ parcelId: RICE_FIELD, area: 360, rightHolders: [{ share: 1, citizen: { personalId: GRANDMOTHER } }] }] },
      { landParcels: null },
    ]);
  });

  it('answers an invalid citizen reference with null, without asking the backend', async () => {
    const result = await execute<{ _entities: unknown[] }>(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { landParcels { parcelId } } } }`,
      { representations: [{ __typename: 'Citizen', personalId: '12345' }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([null]);
    expect(mock.stats().requests).toBe(0);
  });

  it('resolves all 63 provinces with one backend request, serving only the published figures', async () => {
    type Digitization = {
      status: string;
      recordsCleaned: number | null;
      recordsTotal: number | null;
      cleanedShare: number | null;
      districtsAppraised: number | null;
      statement: string | null;
      asOf: string | null;
      sources: Record<string, string | null>[];
    };
    const result = await execute<{ _entities: { id: string; landDigitization: Digitization | null }[] }>(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Province {
            id
            landDigitization {
              status recordsCleaned recordsTotal cleanedShare districtsAppraised statement asOf
              sources { id document outlet title published url language summary }
            }
          }
        }
      }`,
      { representations: PROVINCES.map((p) => ({ __typename: 'Province', id: p.id })) },
    );
    expect(result.errors).toBeUndefined();
    expect(mock.stats().requests).toBe(1);
    const entities = result.data?._entities ?? [];
    expect(entities).toHaveLength(63);
    const byCode = new Map(entities.map((e) => [e.id, e.landDigitization]));

    expect(byCode.get('074')).toEqual({
      status: 'NOT_REPORTED',
      recordsCleaned: 814438,
      recordsTotal: 896556,
      cleanedShare: 0.9084,
      districtsAppraised: null,
      statement: 'Binh Duong land records cleaned',
      asOf: '2024-06',
      sources: [S3],
    });
    expect(byCode.get('075')).toMatchObject({
      status: 'NOT_REPORTED',
      recordsCleaned: 1736804,
      recordsTotal: 1894113,
      cleanedShare: 0.9169,
      asOf: '2024-06',
      sources: [{ id: 'S3' }],
    });
    expect(byCode.get('049')).toEqual({
      status: 'NOT_REPORTED',
      recordsCleaned: null,
      recordsTotal: null,
      cleanedShare: null,
      districtsAppraised: 8,
      statement: 'Quang Nam district-level units whose land-database plan has been appraised',
      asOf: '2024',
      sources: [
        {
          id: 'S4',
          document: '004_b866dfdb97ff1e1c.txt',
          outlet: 'vietnam.vn',
          title: null,
          published: '2024',
          url: 'https://vietnam.vn/en/duy-tri-su-xuyen-suot-trong-trien-khai-de-an-06-o-quang-nam',
          language: 'en',
          summary: FACT_SOURCES.find((s) => s.id === 'S4')!.summary,
        },
      ],
    });
    expect(byCode.get('002')).toEqual({
      status: 'NOT_REPORTED',
      recordsCleaned: null,
      recordsTotal: null,
      cleanedShare: null,
      districtsAppraised: null,
      statement: null,
      asOf: null,
      sources: [],
    });
    // No report gives any province a land-digitisation status; three have published figures.
    expect(entities.filter((e) => e.landDigitization?.status !== 'NOT_REPORTED')).toEqual([]);
    const withFigures = entities.filter((e) => (e.landDigitization?.sources.length ?? 0) > 0).map((e) => e.id);
    expect(withFigures.sort()).toEqual(['049', '074', '075']);
  });

  it('answers a province code outside the 63 provinces with null', async () => {
    const result = await execute<{ _entities: unknown[] }>(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Province { landDigitization { status } } } }`,
      { representations: [{ __typename: 'Province', id: '999' }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([null]);
    expect(mock.stats().requests).toBe(0);
  });

  it('serves a parcel by ID, with its province and certificate', async () => {
    const result = await execute<{ landParcel: unknown }>(
      `query ($id: ID!) {
        landParcel(parcelId: $id) {
          parcelId province { id } address mapSheetNumber parcelNumber area landUseType
          certificate { serialNumber issuedOn issuer }
          rightHolders { share citizen { personalId } }
        }
      }`,
      { id: RICE_FIELD },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.landParcel).toEqual({
      parcelId: RICE_FIELD,
      // Recorded in Tỉnh Nam Định (036), which lies in Tỉnh Ninh Bình since 2025-07-01.
      province: { id: '037-2025-07-01' },
      address: 'Xóm 3, xã Nam Thanh, huyện Nam Trực, tỉnh Nam Định',
      mapSheetNumber: 21,
      parcelNumber: 456,
      area: 360,
      landUseType: 'RICE',
      certificate: { serialNumber: 'BK 00482913', issuedOn: '2011-09-14', issuer: 'UBND huyện Nam Trực' },
      rightHolders: [{ share: 1, citizen: { personalId: GRANDMOTHER } }],
    });
  });

  it('answers an unknown parcel with null', async () => {
    const result = await execute<{ landParcel: unknown }>('{ landParcel(parcelId: "TD-NO-SUCH-PARCEL") { parcelId } }');
    expect(result.errors).toBeUndefined();
    expect(result.data?.landParcel).toBeNull();
    expect(mock.stats().byRoute).toEqual({ 'POST /v1/parcels/batch-get': 1 });
  });

  it('refuses a blank parcel ID before calling the backend', async () => {
    const result = await execute<{ landParcel: unknown }>('{ landParcel(parcelId: "  ") { parcelId } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'parcelId' });
    expect(mock.stats().requests).toBe(0);
  });

  it('surfaces a backend failure as SYSTEM_UNAVAILABLE naming the land system', async () => {
    mock.setFault({ mode: 'error' });
    const result = await execute<{ landParcel: unknown }>(`{ landParcel(parcelId: "${FAMILY_HOME}") { parcelId } }`);
    expect(result.data?.landParcel).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SYSTEM_UNAVAILABLE', system: 'land' });
    expect(JSON.stringify(result.errors)).not.toContain('db-01.internal');
  });
});
