import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SystemError } from '../../lib/runtime/errors.ts';
import { FACT_SOURCES, FACTS, INTERCONNECTED_SERVICE_GROUPS, localityCodesOf, sourcesOf, type Fact } from '../../lib/backend/facts.ts';
import { healthHandler } from '../../lib/devkit/mock-server.ts';
import { route } from '../../lib/devkit/mock-routes.ts';
import { LEGACY_PROVINCES as PROVINCES, PROVINCIAL_UNITS, provincialUnitsOn, todayInVietnam } from '../../lib/domain/administrative-units.ts';
import { AGENCIES, agencyActById } from '../../lib/domain/agencies.ts';
import { startSubgraphUnderTest } from '../../test/support/subgraph-harness.ts';
import type { PublicServicesAdapter } from './adapter/client.ts';
import { publicServicesSubgraph } from './index.ts';
import { publicServicesHandlers } from './mock/handlers.ts';
import { REFERENCE_DATA_MAX_AGE_SECONDS } from '../../lib/devkit/mock-routes.ts';

const MINISTRIES = ['BQP', 'BCA', 'BNG', 'BNV', 'BTP', 'BKHDT', 'BTC', 'BCT', 'BNNPTNT', 'BGTVT', 'BXD', 'BTNMT', 'BTTTT', 'BLDTBXH', 'BVHTTDL', 'BKHCN', 'BGDDT', 'BYT'];
/** The publications as the facts file describes them (their fields are checked one by one below). */
const sourceNamed = (id: string) => FACT_SOURCES.find((s) => s.id === id)!;
const [S0, S1, S2, S3, S4] = ['S0', 'S1', 'S2', 'S3', 'S4'].map(sourceNamed);
/** Nghị quyết 176/2025/QH15 as the registry cites it (data/agencies.json). */
const NQ176 = agencyActById('NQ-176-2025-QH15')!;
const CONNECTED_63_OF_63 = {
  status: 'CONNECTED',
  since: null,
  statement: 'Localities that completed the same connection',
  asOf: '2024-07-29',
  sources: [S3],
};
const NOT_REPORTED = { status: 'NOT_REPORTED', since: null, statement: null, asOf: null, sources: [] };
const HOUSING_SYSTEM_NOT_CONNECTED =
  'Ministry of Construction had not completed connecting the housing and real-estate market information system with the national population database';
/** The published figures about connections to the national population database, newest first. */
const CONNECTION_FIGURE_IDS = [
  'connections.security-inspection-pending.2024-10',
  'connections.ministries.2024-07',
  'connections.localities.2024-07',
  'connections.construction-housing.2024-06',
  'connections.social-insurance-unsynced.quang-nam',
  'connections.sector-dbs-not-connected.2023-04',
];

const SOURCE = 'sources { id document outlet title published url language summary }';
const CONNECTION = `{ status since statement asOf ${SOURCE} }`;
const VNEID_SERVICE = `{ status since statement note asOf ${SOURCE} }`;

const { mock, adapter, wireAdapter, wireAnswers, execute, startBackend, reset, close } = await startSubgraphUnderTest(publicServicesSubgraph, publicServicesHandlers(), {
  backendTimeoutMs: 5000,
});
afterAll(close);
beforeEach(reset);

const run = (query: string, variables?: Record<string, unknown>, over?: PublicServicesAdapter) => execute<Record<string, any>>(query, variables, over);
/** The overview's count of the agency registry, over `over` (by default the mock). */
const registryTally = async (over?: PublicServicesAdapter, at?: string) => {
  const { data, errors } = await run('query ($at: String) { populationDbConnections { registry(at: $at) { kind status agencies } } }', { at }, over);
  expect(errors).toBeUndefined();
  return data?.populationDbConnections.registry as unknown;
};

const served = (await (await fetch(`${mock.url}/v1/provinces`)).json()) as { provinces: { code: string; indicatorIds: string[] }[] };
// A backend that breaks the contract in ways only references reveal.
const { adapter: brokenAdapter } = await startBackend([
  healthHandler('public-services'),
  route.get('/v1/provinces', () => ({
    status: 200,
    json: { ...served, provinces: served.provinces.map((p) => ({ ...p, indicatorIds: ['no-such-indicator'] })) },
  })),
  route.get('/v1/indicators', () => ({ status: 200, json: { indicators: [], sources: [] } })),
  route.get('/v1/agencies', () => ({
    status: 200,
    json: {
      agencies: [
        {
          id: 'BXD',
          code: 'BXD',
          name: 'Bộ Xây dựng',
          englishName: 'Ministry of Construction',
          kind: 'BO',
          provinceId: null,
          validFrom: null,
          validTo: null,
          establishedBy: null,
          endedBy: null,
          predecessors: [],
          successors: [],
          note: null,
          reports: [],
          populationDbConnection: { status: 'DA_KET_NOI', since: null, statement: 'x', asOf: '2024-06-30', sourceIds: ['S9'] },
          sectorDatabases: [],
        },
      ],
      acts: [],
      sources: [],
    },
  })),
]);

describe('public-services adapter', () => {
  it('reads every provincial unit of the registry by id, with its acts and the published statuses mapped from wire codes', async () => {
    const provinces = await adapter.getProvinces({ requestId: 't' });
    expect(provinces.list.map((p) => p.id)).toEqual(
      [...PROVINCIAL_UNITS].sort((a, b) => a.code.localeCompare(b.code) || (a.validFrom ?? '').localeCompare(b.validFrom ?? '')).map((p) => p.id),
    );
    const merger = provinces.byKey.get('075-2025-07-01')!.establishedBy;
    expect(merger).toMatchObject({ number: '202/2025/QH15', issuer: 'Quốc hội', adoptedOn: '2025-06-12', effectiveFrom: '2025-06-12' });
    expect(provinces.byKey.get('070')).toEqual({
      id: '070',
      code: '070',
      name: 'Bình Phước',
      officialName: 'Tỉnh Bình Phước',
      validFrom: null,
      validTo: '2025-06-30',
      establishedBy: null,
      endedBy: merger,
      predecessorIds: [],
      successorIds: ['075-2025-07-01'],
      region: 'SOUTHEAST',
      municipality: false,
      populationDbConnection: CONNECTED_63_OF_63,
      criminalRecordOnVneid: {
        status: 'OFFICIAL',
        since: '2024-11-01',
        statement: "Of the conference's provinces, those officially issuing criminal-record certificates on VNeID",
        note: 'Binh Phuoc official from 2024-11-01',
        asOf: '2024-11-13',
        sources: [S2],
      },
      indicatorIds: ['criminal-record.vneid.official'],
    });
  });

  it('reads the whole agency registry with its history: the central agencies, then one committee per provincial-level unit', async () => {
    const agencies = await adapter.getAgencies({ requestId: 't' });
    expect(agencies.list).toHaveLength(AGENCIES.length);
    expect(agencies.list.map((a) => a.id)).toEqual(AGENCIES.map((a) => a.id));
    const committees = agencies.list.filter((a) => a.kind === 'PROVINCE');
    expect(committees.map((a) => a.provinceId)).toEqual(
      [...PROVINCIAL_UNITS].sort((a, b) => a.code.localeCompare(b.code) || (a.validFrom ?? '').localeCompare(b.validFrom ?? '')).map((u) => u.id),
    );
    expect(agencies.byKey.get('BCA')?.populationDbConnection).toEqual({ ...NOT_REPORTED, status: 'OPERATOR' });
    expect(agencies.byKey.get('BNNMT-2025-03-01')).toMatchObject({
      code: 'BNNMT',
      name: 'Bộ Nông nghiệp và Môi trường',
      validFrom: '2025-03-01',
      validTo: null,
      establishedBy: { id: 'NQ-176-2025-QH15', number: '176/2025/QH15', issuer: 'Quốc hội', adoptedOn: '2025-02-18' },
      endedBy: null,
      predecessorIds: ['BNNPTNT', 'BTNMT'],
      populationDbConnection: NOT_REPORTED,
    });
  });

  it('reads every published fact in file order', async () => {
    const indicators = await adapter.getIndicators({ requestId: 't' });
    expect(indicators.list.map((i) => i.id)).toEqual(FACTS.map((f) => f.id));
  });

  it('reads the ids of the figures about connections to the national population database, newest first', async () => {
    await expect(adapter.getPopulationDbConnectionFigureIds({ requestId: 't' })).resolves.toEqual(CONNECTION_FIGURE_IDS);
  });

  it('turns a malformed answer into SYSTEM_BAD_RESPONSE naming the system', async () => {
    mock.setFault({ mode: 'malformed' });
    const error = await adapter.getProvinces({ requestId: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).extensions).toEqual({ code: 'SYSTEM_BAD_RESPONSE', system: 'public-services' });
    expect((error as SystemError).message).not.toContain('127.0.0.1');
  });

  it('refuses an answer that cites a source it does not carry', async () => {
    await expect(brokenAdapter.getAgencies({ requestId: 't' })).rejects.toMatchObject({
      extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'public-services' },
    });
  });

  it('answers the health check', async () => {
    await expect(adapter.ping({ requestId: 't' })).resolves.toBeUndefined();
  });
});

describe('public-services backend: HTTP caching of the reference lists', () => {
  const REFERENCE_LISTS = ['/v1/provinces', '/v1/agencies', '/v1/indicators', '/v1/population-db-connections', '/v1/interconnected-service-groups'];
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${mock.url}${path}`, { headers });

  it.each(REFERENCE_LISTS)('GET %s: public for a minute, with a strong ETag that stays the same', async (path) => {
    const first = await get(path);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe(`public, max-age=${REFERENCE_DATA_MAX_AGE_SECONDS}`);
    expect(REFERENCE_DATA_MAX_AGE_SECONDS).toBe(60);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const body = await first.text();
    expect(Number(first.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    const again = await get(path);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe(body);
  });

  it('gives each list its own ETag', async () => {
    const etags = await Promise.all(REFERENCE_LISTS.map(async (path) => (await get(path)).headers.get('etag')));
    expect(new Set(etags).size).toBe(REFERENCE_LISTS.length);
  });

  it.each(REFERENCE_LISTS)('GET %s with If-None-Match naming its ETag: 304 Not Modified, no body, the caching headers again', async (path) => {
    const etag = (await get(path)).headers.get('etag')!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const revalidated = await get(path, { 'if-none-match': ifNoneMatch });
      expect(revalidated.status).toBe(304);
      expect(await revalidated.text()).toBe('');
      expect(revalidated.headers.get('etag')).toBe(etag);
      expect(revalidated.headers.get('cache-control')).toBe(`public, max-age=${REFERENCE_DATA_MAX_AGE_SECONDS}`);
      expect(revalidated.headers.get('content-type')).toBeNull();
    }
  });

  it('answers in full when If-None-Match names another version', async () => {
    const full = await get('/v1/provinces', { 'if-none-match': '"an-older-version"' });
    expect(full.status).toBe(200);
    expect(((await full.json()) as { provinces: unknown[] }).provinces).toHaveLength(PROVINCIAL_UNITS.length);
  });

  it('counts a revalidation as a request, as any other', async () => {
    const etag = (await get('/v1/agencies')).headers.get('etag')!;
    await get('/v1/agencies', { 'if-none-match': etag });
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 2 });
  });

  it('never lets a cache keep the health check', async () => {
    const health = await get('/v1/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(health.headers.get('etag')).toBeNull();
  });

  it('applies the fault modes to the reference lists, revalidations included', async () => {
    const etag = (await get('/v1/provinces')).headers.get('etag')!;
    mock.setFault({ mode: 'error' });
    const failed = await get('/v1/provinces', { 'if-none-match': etag });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('etag')).toBeNull();
    mock.setFault({ mode: 'malformed' });
    const malformed = await (await get('/v1/indicators')).text();
    expect(() => JSON.parse(malformed)).toThrow();
    mock.setFault({ mode: 'truncated' });
    await expect(get('/v1/agencies').then((r) => r.text())).rejects.toThrow();
    mock.setFault({ mode: 'down' });
    await expect(get('/v1/provinces', { 'if-none-match': etag })).rejects.toThrow(/fetch failed/);
  });
});

describe('public-services adapter, on wire answers written from the contract', () => {
  const WIRE_S2 = { ...S2, summary: '…' };
  const WIRE_S3 = { ...S3, summary: '…' };
  const CONNECTED = {
    status: 'DA_KET_NOI',
    since: null,
    statement: 'Localities that completed the same connection',
    asOf: '2024-07-29',
    sourceIds: ['S3'],
  };
  const NOT_REPORTED_ON_WIRE = { status: 'CHUA_BAO_CAO', since: null, statement: null, asOf: null, sourceIds: [] };
  /** Bình Phước of the CONTRACT.md example. */
  const CONTRACT_PROVINCE = {
    id: '070',
    code: '070',
    name: 'Bình Phước',
    officialName: 'Tỉnh Bình Phước',
    validFrom: null,
    validTo: null,
    establishedBy: null,
    endedBy: null,
    predecessors: [],
    region: 'SOUTHEAST',
    municipality: false,
    populationDbConnection: CONNECTED,
    criminalRecordOnVneid: {
      status: 'CHINH_THUC',
      since: '2024-11-01',
      statement: "Of the conference's provinces, those officially issuing criminal-record certificates on VNeID",
      note: 'Binh Phuoc official from 2024-11-01',
      asOf: '2024-11-13',
      sourceIds: ['S2'],
    },
    indicatorIds: ['criminal-record.vneid.official'],
  };
  /** Nghị quyết 176/2025/QH15 of the CONTRACT.md example. */
  const WIRE_NQ176 = { ...NQ176, summary: '…' };
  /** The Ministry of Construction of the CONTRACT.md example: the one that ended on 2025-02-28. */
  const CONTRACT_AGENCY = {
    id: 'BXD',
    code: 'BXD',
    name: 'Bộ Xây dựng',
    englishName: 'Ministry of Construction',
    kind: 'BO',
    provinceId: null,
    validFrom: null,
    validTo: '2025-02-28',
    establishedBy: null,
    endedBy: 'NQ-176-2025-QH15',
    predecessors: [],
    successors: [],
    note: null,
    reports: [],
    populationDbConnection: NOT_REPORTED_ON_WIRE,
    sectorDatabases: [
      {
        name: 'Hệ thống thông tin về nhà ở và thị trường bất động sản',
        englishName: 'Housing and real-estate market information system',
        populationDbConnection: {
          status: 'CHUA_KET_NOI',
          since: null,
          statement: 'Ministry of Construction had not completed connecting the housing and real-estate market information system with the national population database',
          asOf: '2024-06',
          sourceIds: ['S3'],
        },
        figureIds: ['connections.construction-housing.2024-06'],
      },
    ],
  };
  const serveProvinces = (...provinces: object[]) => wireAnswers.set('/v1/provinces', { provinces, acts: [], sources: [WIRE_S2, WIRE_S3] });
  const serveAgencies = (...agencies: object[]) => wireAnswers.set('/v1/agencies', { agencies, acts: [WIRE_NQ176], sources: [WIRE_S3] });
  /** An agency of the example's shape that exists today, with no sector database; its id is its code unless given. */
  const standing = (over: Record<string, unknown> & { code: string }) => ({
    ...CONTRACT_AGENCY,
    validTo: null,
    endedBy: null,
    sectorDatabases: [],
    id: over.code,
    ...over,
  });
  const refused = (call: Promise<unknown>, what: unknown) =>
    expect(call, JSON.stringify(what)).rejects.toMatchObject({ extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'public-services' } });

  it('maps every agency kind and connection status', async () => {
    serveAgencies(
      CONTRACT_AGENCY,
      standing({ code: 'BCA', populationDbConnection: { ...NOT_REPORTED_ON_WIRE, status: 'DON_VI_VAN_HANH' } }),
      standing({ code: 'VPCP', kind: 'CO_QUAN_NGANG_BO' }),
      standing({ code: 'BHXH', kind: 'CO_QUAN_THUOC_CHINH_PHU', validTo: '2025-02-28', successors: ['BHXH-2025-03-01'] }),
      standing({ id: 'BHXH-2025-03-01', code: 'BHXH', kind: 'DON_VI_THUOC_BO', validFrom: '2025-03-01', predecessors: ['BHXH'] }),
      standing({ code: 'UBND-001', kind: 'UBND_TINH', provinceId: '001', populationDbConnection: CONNECTED }),
    );
    const agencies = await wireAdapter.getAgencies({ requestId: 't' });
    expect(agencies.list.map((a) => [a.id, a.kind, a.populationDbConnection.status])).toEqual([
      ['BXD', 'MINISTRY', 'NOT_REPORTED'],
      ['BCA', 'MINISTRY', 'OPERATOR'],
      ['VPCP', 'MINISTERIAL_AGENCY', 'NOT_REPORTED'],
      ['BHXH', 'GOVERNMENT_AGENCY', 'NOT_REPORTED'],
      ['BHXH-2025-03-01', 'UNDER_MINISTRY', 'NOT_REPORTED'],
      ['UBND-001', 'PROVINCE', 'CONNECTED'],
    ]);
    expect(agencies.byKey.get('BXD')).toMatchObject({ validFrom: null, validTo: '2025-02-28', establishedBy: null, endedBy: WIRE_NQ176 });
    expect(agencies.byKey.get('BHXH')?.successorIds).toEqual(['BHXH-2025-03-01']);
    expect(agencies.byKey.get('BXD')?.sectorDatabases[0]?.populationDbConnection).toEqual({
      status: 'NOT_CONNECTED',
      since: null,
      statement: CONTRACT_AGENCY.sectorDatabases[0]?.populationDbConnection.statement,
      asOf: '2024-06',
      sources: [WIRE_S3],
    });
  });

  it('maps every VNeID service status', async () => {
    serveProvinces(
      CONTRACT_PROVINCE,
      {
        ...CONTRACT_PROVINCE,
        id: '034',
        code: '034',
        criminalRecordOnVneid: { ...CONTRACT_PROVINCE.criminalRecordOnVneid, status: 'THI_DIEM', since: null, note: null },
      },
      { ...CONTRACT_PROVINCE, id: '002', code: '002', criminalRecordOnVneid: { ...NOT_REPORTED_ON_WIRE, note: null } },
    );
    const provinces = await wireAdapter.getProvinces({ requestId: 't' });
    expect(provinces.list.map((p) => [p.code, p.criminalRecordOnVneid.status])).toEqual([
      ['002', 'NOT_REPORTED'],
      ['034', 'PILOT'],
      ['070', 'OFFICIAL'],
    ]);
    expect(provinces.byKey.get('070')?.criminalRecordOnVneid).toEqual({
      status: 'OFFICIAL',
      since: '2024-11-01',
      statement: CONTRACT_PROVINCE.criminalRecordOnVneid.statement,
      note: 'Binh Phuoc official from 2024-11-01',
      asOf: '2024-11-13',
      sources: [WIRE_S2],
    });
  });

  /** An indicator of `GET /v1/indicators` as the contract writes it. */
  const wireIndicator = (id: string, asOf: string) => ({
    id,
    statement: `Figure ${id}`,
    quotation: null,
    asOf,
    asOfBasis: 'RECORDED',
    sourceIds: ['S3'],
    value: 1,
    qualifier: null,
    valueAsPublished: null,
    unit: 'localities',
    of: null,
    rate: null,
    rateQualifier: null,
    note: null,
    localityCodes: [],
    localityNames: [],
    figures: [],
  });
  const serveIndicators = (...indicators: object[]) => wireAnswers.set('/v1/indicators', { indicators, sources: [WIRE_S3] });
  const serveConnectionFigures = (...figureIds: unknown[]) => wireAnswers.set('/v1/population-db-connections', { figureIds });
  const REPORTED_FIGURE_IDS = '{ populationDbConnections { reportedFigures { id asOf } } }';

  it('orders the connection figures itself: newest asOf first, ties in the order of the indicators list', async () => {
    serveIndicators(
      wireIndicator('connections.a', '2023-04-30'),
      wireIndicator('connections.b', '2024-07-29'),
      wireIndicator('other', '2024-11-13'),
      wireIndicator('connections.c', '2024-07-29'),
      wireIndicator('connections.d', '2024-07'),
    );
    serveConnectionFigures('connections.a', 'connections.d', 'connections.c', 'connections.b');
    const { data, errors } = await run(REPORTED_FIGURE_IDS, undefined, wireAdapter);
    expect(errors).toBeUndefined();
    expect(data?.populationDbConnections.reportedFigures).toEqual([
      { id: 'connections.b', asOf: '2024-07-29' },
      { id: 'connections.c', asOf: '2024-07-29' },
      { id: 'connections.d', asOf: '2024-07' },
      { id: 'connections.a', asOf: '2023-04-30' },
    ]);
  });

  it('fails with SYSTEM_BAD_RESPONSE when the connection figures name an indicator the backend does not publish', async () => {
    serveIndicators(wireIndicator('connections.localities.2024-07', '2024-07-29'));
    serveConnectionFigures('connections.localities.2024-07', 'connections.ministries.2024-07');
    const { data, errors } = await run(REPORTED_FIGURE_IDS, undefined, wireAdapter);
    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors?.[0]).toMatchObject({
      path: ['populationDbConnections', 'reportedFigures'],
      extensions: { code: 'SYSTEM_BAD_RESPONSE', system: 'public-services' },
    });
  });

  it('refuses a connection-figures answer that lists a figure twice or is not a list of ids', async () => {
    for (const figureIds of [['connections.localities.2024-07', 'connections.localities.2024-07'], [''], [63]]) {
      serveConnectionFigures(...figureIds);
      await refused(wireAdapter.getPopulationDbConnectionFigureIds({ requestId: 't' }), figureIds);
    }
    wireAnswers.set('/v1/population-db-connections', { figures: [] });
    await refused(wireAdapter.getPopulationDbConnectionFigureIds({ requestId: 't' }), 'no figureIds');
  });

  it('counts the registry it is served, by kind then status, whatever the order of the agencies', async () => {
    serveAgencies(
      standing({ code: 'UBND-001', kind: 'UBND_TINH', provinceId: '001', populationDbConnection: CONNECTED }),
      standing({ code: 'UBND-002', kind: 'UBND_TINH', provinceId: '002' }),
      standing({ code: 'UBND-004', kind: 'UBND_TINH', provinceId: '004', populationDbConnection: CONNECTED }),
      CONTRACT_AGENCY,
      standing({ code: 'VPCP', kind: 'CO_QUAN_NGANG_BO' }),
      standing({ code: 'BCA', populationDbConnection: { ...NOT_REPORTED_ON_WIRE, status: 'DON_VI_VAN_HANH' } }),
    );
    const tally = [
      { kind: 'MINISTRY', status: 'OPERATOR', agencies: 1 },
      { kind: 'MINISTRY', status: 'NOT_REPORTED', agencies: 1 },
      { kind: 'MINISTERIAL_AGENCY', status: 'NOT_REPORTED', agencies: 1 },
      { kind: 'PROVINCE', status: 'CONNECTED', agencies: 2 },
      { kind: 'PROVINCE', status: 'NOT_REPORTED', agencies: 1 },
    ];
    expect(await registryTally(wireAdapter, '2025-02-28')).toEqual(tally);
    // From 2025-03-01 the Ministry of Construction of the example no longer exists and is not counted.
    expect(await registryTally(wireAdapter)).toEqual(tally.filter((t) => !(t.kind === 'MINISTRY' && t.status === 'NOT_REPORTED')));
  });

  it('refuses an agencies answer whose history does not hold together', async () => {
    const broken: [string, object[], object[]][] = [
      ['an act missing from acts', [CONTRACT_AGENCY], []],
      ['a successor missing from agencies', [{ ...CONTRACT_AGENCY, successors: ['BXD-2025-03-01'] }], [WIRE_NQ176]],
      ['one code on two agencies the same day', [standing({ code: 'BXD' }), standing({ id: 'BXD-2025-03-01', code: 'BXD', validFrom: '2025-03-01' })], [WIRE_NQ176]],
      ['a committee without its provincial-level unit', [standing({ code: 'UBND-001', kind: 'UBND_TINH' })], [WIRE_NQ176]],
      ['an end before the start', [standing({ code: 'BCA', validFrom: '2025-03-01', validTo: '2025-02-28' })], [WIRE_NQ176]],
      ['a date that is not a full day', [standing({ code: 'BCA', validFrom: '2025-03' })], [WIRE_NQ176]],
    ];
    for (const [what, agencies, acts] of broken) {
      wireAnswers.set('/v1/agencies', { agencies, acts, sources: [WIRE_S3] });
      await refused(wireAdapter.getAgencies({ requestId: 't' }), what);
    }
  });

  it('refuses a date with space around it, since it would be served as written', async () => {
    for (const connection of [
      { ...CONNECTED, asOf: ' 2024-07-29 ' },
      { ...CONNECTED, since: '2024-07 ' },
    ]) {
      serveProvinces({ ...CONTRACT_PROVINCE, populationDbConnection: connection });
      await refused(wireAdapter.getProvinces({ requestId: 't' }), connection);
    }
    serveIndicators({ ...wireIndicator('connections.localities.2024-07', '2024-07-29 '), value: 63, of: 63 });
    await refused(wireAdapter.getIndicators({ requestId: 't' }), 'indicator asOf');
  });

  it('refuses a status not taken from a report that carries a statement, a date, a note or a source', async () => {
    for (const unsourced of ['CHUA_BAO_CAO', 'DON_VI_VAN_HANH']) {
      for (const broken of [{ statement: 'Localities that completed the same connection' }, { asOf: '2024-07-29' }, { since: '2024-07' }, { sourceIds: ['S3'] }]) {
        const connection = { ...NOT_REPORTED_ON_WIRE, status: unsourced, ...broken };
        serveAgencies({ ...CONTRACT_AGENCY, populationDbConnection: connection });
        await refused(wireAdapter.getAgencies({ requestId: 't' }), connection);
      }
    }
    for (const broken of [{ statement: 'x' }, { asOf: '2024-11-13' }, { since: '2024-11-01' }, { note: 'x' }, { sourceIds: ['S2'] }]) {
      const vneid = { ...NOT_REPORTED_ON_WIRE, note: null, ...broken };
      serveProvinces({ ...CONTRACT_PROVINCE, criminalRecordOnVneid: vneid });
      await refused(wireAdapter.getProvinces({ requestId: 't' }), vneid);
    }
  });
});

describe('public-services subgraph', () => {
  it('serves its SDL through _service', async () => {
    const { data, errors } = await run('{ _service { sdl } }');
    expect(errors).toBeUndefined();
    const sdl = (data?._service.sdl as string).replace(/\s+/g, ' ');
    expect(sdl).toContain('type Province @key(fields: "id") {');
    expect(sdl).toContain('type Agency @key(fields: "id") @key(fields: "code") {');
    expect(sdl).toMatch(/"""\s*A publication a figure is taken from \(nguồn\)[^"]*"""\s*type Source @shareable \{/);
  });

  it('lists the 63 provinces of 2024-09-30 in code order with one backend request', async () => {
    const result = await run(
      `{ provinces(at: "2024-09-30") { code name officialName region municipality populationDbConnection ${CONNECTION} criminalRecordOnVneid ${VNEID_SERVICE} } }`,
    );
    expect(result.errors).toBeUndefined();
    const provinces = result.data?.provinces as { code: string; populationDbConnection: unknown }[];
    expect(provinces.map((p) => p.code)).toEqual(PROVINCES.map((p) => p.code));
    expect(provinces[0]).toMatchObject({ code: '001', name: 'Hà Nội', officialName: 'Thành phố Hà Nội', region: 'RED_RIVER_DELTA', municipality: true });
    for (const p of provinces) expect(p.populationDbConnection).toEqual(CONNECTED_63_OF_63);
    expect(mock.stats().requests).toBe(1);
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/provinces': 1 });
  });

  it('lists the 34 units of today, formed from the 63 on 2025-07-01 by Nghị quyết 202/2025/QH15', async () => {
    const result = await run(`{
      provinces { id code name officialName municipality validFrom validTo establishedBy { number } predecessors { id name validTo } populationDbConnection { status } }
    }`);
    expect(result.errors).toBeUndefined();
    type Unit = {
      id: string;
      code: string;
      name: string;
      officialName: string;
      municipality: boolean;
      validFrom: string | null;
      validTo: string | null;
      establishedBy: { number: string } | null;
      predecessors: { id: string; name: string; validTo: string }[];
      populationDbConnection: { status: string };
    };
    const units = result.data?.provinces as Unit[];
    expect(todayInVietnam() >= '2026-04-30').toBe(true);
    expect(units).toHaveLength(34);
    expect(units.every((u) => u.validTo === null)).toBe(true);
    // 23 formed on 2025-07-01; one of them, Tỉnh Đồng Nai, became Thành phố Đồng Nai on 2026-04-30.
    expect(units.filter((u) => u.establishedBy?.number === '202/2025/QH15')).toHaveLength(22);
    expect(units.find((u) => u.code === '075')).toMatchObject({
      id: '075-2026-04-30',
      establishedBy: { number: '30/2026/QH16' },
      predecessors: [{ id: '075-2025-07-01', name: 'Đồng Nai', validTo: '2026-04-29' }],
    });
    // Merged units were never reported on: the 2024 figures stay on their predecessors.
    const tuyenQuang = units.find((u) => u.code === '008')!;
    expect(tuyenQuang).toMatchObject({ id: '008-2025-07-01', officialName: 'Tỉnh Tuyên Quang', validFrom: '2025-07-01', populationDbConnection: { status: 'NOT_REPORTED' } });
    expect(tuyenQuang.predecessors).toEqual([
      { id: '002', name: 'Hà Giang', validTo: '2025-06-30' },
      { id: '008', name: 'Tuyên Quang', validTo: '2025-06-30' },
    ]);
    expect(units.filter((u) => u.municipality).map((u) => u.officialName)).toEqual([
      'Thành phố Hà Nội',
      'Thành phố Hải Phòng',
      'Thành phố Huế',
      'Thành phố Đà Nẵng',
      'Thành phố Đồng Nai',
      'Thành phố Hồ Chí Minh',
      'Thành phố Cần Thơ',
    ]);
    expect(units.find((u) => u.code === '001')).toMatchObject({ id: '001', validFrom: null, establishedBy: null, populationDbConnection: { status: 'CONNECTED' } });
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/provinces': 1 });
  });

  it('answers a code as of a day: Thừa Thiên Huế, then Thành phố Huế; a unit that no longer exists shows where it lies today', async () => {
    const result = await run(`{
      before: province(code: "046", at: "2024-12-31") { id officialName successors { id officialName establishedBy { number adoptedOn effectiveFrom sourceUrl } } }
      after: province(code: "046", at: "2025-01-01") { id officialName municipality predecessors { id } }
      socTrang: province(code: "094", at: "2024-09-30") { name validTo endedBy { number } successorsOn { officialName } inMay2025: successorsOn(at: "2025-05-01") { name } }
      goneToday: province(code: "094") { id }
      binhPhuoc: province(code: "070", at: "2024-01-01") { successorsOn(at: "2026-01-01") { officialName } today: successorsOn { officialName } }
      administrativeActs { number effectiveFrom }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      before: {
        id: '046',
        officialName: 'Tỉnh Thừa Thiên Huế',
        successors: [
          {
            id: '046-2025-01-01',
            officialName: 'Thành phố Huế',
            establishedBy: {
              number: '175/2024/QH15',
              adoptedOn: '2024-11-30',
              effectiveFrom: '2025-01-01',
              sourceUrl: expect.stringMatching(/^https:\/\//),
            },
          },
        ],
      },
      after: { id: '046-2025-01-01', officialName: 'Thành phố Huế', municipality: true, predecessors: [{ id: '046' }] },
      socTrang: {
        name: 'Sóc Trăng',
        validTo: '2025-06-30',
        endedBy: { number: '202/2025/QH15' },
        successorsOn: [{ officialName: 'Thành phố Cần Thơ' }],
        inMay2025: [{ name: 'Sóc Trăng' }],
      },
      goneToday: null,
      binhPhuoc: { successorsOn: [{ officialName: 'Tỉnh Đồng Nai' }], today: [{ officialName: 'Thành phố Đồng Nai' }] },
      administrativeActs: [
        { number: '175/2024/QH15', effectiveFrom: '2025-01-01' },
        { number: '202/2025/QH15', effectiveFrom: '2025-06-12' },
        { number: '30/2026/QH16', effectiveFrom: '2026-04-30' },
      ],
    });
  });

  it('refuses an "at" that is not a real day', async () => {
    for (const at of ['2024-09', '2024-02-30', 'today', '']) {
      const bad = await run('query ($at: String) { provinces(at: $at) { code } }', { at });
      expect(bad.errors?.[0]?.extensions, at).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'at' });
    }
  });

  it('fetches each reference list once when provinces select their indicators and localities', async () => {
    const result = await run('{ provinces(at: "2024-11-13") { code indicators { id localities { code name } } } }');
    expect(result.errors).toBeUndefined();
    const byCode = new Map((result.data?.provinces as { code: string; indicators: { id: string }[] }[]).map((p) => [p.code, p]));
    expect(byCode.get('079')?.indicators.map((i) => i.id)).toEqual([
      'civil-status.hcmc.2024-11-11',
      'criminal-record.vneid.official',
      'health-book.vneid.hcmc.2024-11',
      'hcmc.identity.2024-11',
    ]);
    expect(byCode.get('049')?.indicators.map((i) => i.id)).toEqual([
      'land.quang-nam.appraised-districts',
      'connections.social-insurance-unsynced.quang-nam',
      'criminal-record.vneid.official',
    ]);
    expect(byCode.get('001')?.indicators).toEqual([]);
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/provinces': 1, 'GET /v1/indicators': 1 });
  });

  it('reports criminal-record certificates on VNeID only where a report names the province', async () => {
    const result = await run(`{
      hcm: province(code: "079", at: "2024-11-13") { name criminalRecordOnVneid ${VNEID_SERVICE} }
      thaiBinh: province(code: "034", at: "2024-11-13") { name criminalRecordOnVneid ${VNEID_SERVICE} }
      haGiang: province(code: "002", at: "2024-11-13") { name criminalRecordOnVneid ${VNEID_SERVICE} }
      hungYenToday: province(code: "033") { officialName criminalRecordOnVneid { status } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      hcm: {
        name: 'Hồ Chí Minh',
        criminalRecordOnVneid: {
          status: 'OFFICIAL',
          since: null,
          statement: "Of the conference's provinces, those officially issuing criminal-record certificates on VNeID",
          note: null,
          asOf: '2024-11-13',
          sources: [S2],
        },
      },
      thaiBinh: {
        name: 'Thái Bình',
        criminalRecordOnVneid: {
          status: 'PILOT',
          since: null,
          statement: "Of the conference's provinces, those piloting",
          note: null,
          asOf: '2024-11-13',
          sources: [S2],
        },
      },
      haGiang: { name: 'Hà Giang', criminalRecordOnVneid: { ...NOT_REPORTED, note: null } },
      // Today's Tỉnh Hưng Yên includes Thái Bình, but no report names the unit formed in 2025.
      hungYenToday: { officialName: 'Tỉnh Hưng Yên', criminalRecordOnVneid: { status: 'NOT_REPORTED' } },
    });
  });

  it('rejects a province code that is not three ASCII digits and answers null for an unknown one', async () => {
    const bad = await run('{ province(code: "1") { name } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
    const unknown = await run('{ province(code: "999") { name } }');
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data).toEqual({ province: null });
  });

  it('resolves Province and Agency entity references with one request per list', async () => {
    const result = await run('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Province { id name } ... on Agency { code name } } }', {
      r: [
        { __typename: 'Province', id: '001' },
        { __typename: 'Province', id: '079' },
        { __typename: 'Province', id: '079-2025-07-01' },
        { __typename: 'Province', id: '999' },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([{ id: '001', name: 'Hà Nội' }, { id: '079', name: 'Hồ Chí Minh' }, { id: '079-2025-07-01', name: 'Hồ Chí Minh' }, null]);
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/provinces': 1 });

    const agencies = await run('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Agency { id code name } } }', {
      r: [
        { __typename: 'Agency', code: 'VPCP' },
        { __typename: 'Agency', code: 'BTC' },
        { __typename: 'Agency', id: 'BTC' },
        { __typename: 'Agency', code: 'BTNMT' },
        { __typename: 'Agency', id: 'BTNMT' },
        { __typename: 'Agency', id: 'NO-SUCH' },
      ],
    });
    // By code: the agency that has it today; by id: that agency, whatever the date.
    expect(agencies.data?._entities).toEqual([
      { id: 'VPCP', code: 'VPCP', name: 'Văn phòng Chính phủ' },
      { id: 'BTC-2025-03-01', code: 'BTC', name: 'Bộ Tài chính' },
      { id: 'BTC', code: 'BTC', name: 'Bộ Tài chính' },
      null,
      { id: 'BTNMT', code: 'BTNMT', name: 'Bộ Tài nguyên và Môi trường' },
      null,
    ]);
  });

  it('serves every published figure exactly, with its date and sources', async () => {
    const result = await run(`{ programmeIndicators {
      id statement value flag unit of rate note asOf ${SOURCE} localities { code } localityNames figures { name value }
    } }`);
    expect(result.errors).toBeUndefined();
    const indicators = result.data?.programmeIndicators as Record<string, unknown>[];
    expect(indicators).toHaveLength(47);
    const expected = (fact: Fact) => ({
      id: fact.id,
      statement: fact.statement,
      value: typeof fact.value === 'number' ? fact.value : null,
      flag: typeof fact.value === 'boolean' ? fact.value : null,
      unit: fact.unit ?? null,
      of: fact.of ?? null,
      rate: fact.rate ?? null,
      note: fact.note ?? null,
      asOf: fact.asOf,
      sources: sourcesOf(fact),
      localities: localityCodesOf(fact).map((code) => ({ code })),
      localityNames: Array.isArray(fact.localities) ? fact.localities : [],
      figures: Object.entries(fact)
        .filter(([name, value]) => typeof value === 'number' && !['value', 'of', 'rate'].includes(name))
        .map(([name, value]) => ({ name, value })),
    });
    expect(indicators).toEqual(FACTS.map(expected));
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/indicators': 1, 'GET /v1/provinces': 1 });

    const byId = new Map(indicators.map((i) => [i.id, i]));
    expect(byId.get('criminal-record.vneid.localities.2024-11-13')).toMatchObject({
      value: 47,
      flag: null,
      figures: [
        { name: 'dossiers', value: 24887 },
        { name: 'changeSince2024-10-02', value: 45 },
      ],
      localities: [],
    });
    expect(byId.get('connections.construction-housing.2024-06')).toMatchObject({ value: null, flag: false, unit: 'connected' });
    expect(byId.get('data-quality.fields-incomplete.2024-07')).toMatchObject({
      value: null,
      figures: [
        { name: 'ministries', value: 22 },
        { name: 'localities', value: 13 },
      ],
    });
    expect(byId.get('lookups.monthly.2024-04')).toMatchObject({ value: 1534864111, figures: [{ name: 'changeFromPreviousMonth', value: 15960000 }] });
    expect(byId.get('land.cleaned.dong-nai.2024-06')).toMatchObject({ value: 1736804, of: 1894113, rate: 0.9169 });
  });

  it('serves the inter-connected service groups with the publication that states them, not the unfound S1', async () => {
    const { data, errors } = await run(`{ interconnectedServiceGroups { procedures quotation ${SOURCE} } }`);
    expect(errors).toBeUndefined();
    const sblaw = {
      id: 'S5',
      document: null,
      outlet: 'sblaw.vn',
      title: 'Integrated Procedures for Birth Registration, Permanent Residence, and Issuance of Health Insurance Cards for Children Under 6 Years Old',
      published: null,
      url: 'https://sblaw.vn/integrated-procedures-for-birth-registration-permanent-residence-and-issuance-of-health-insurance-cards-for-children-under-6-years-old',
      language: 'en',
      summary: expect.stringContaining('296/QĐ-VPCP'),
    };
    const quotation = expect.stringMatching(/^On June 12, 2024, the Government Office issued Decision No\. 296\/QĐ-VPCP announcing two groups/);
    expect(INTERCONNECTED_SERVICE_GROUPS.source).toBe('S5');
    expect(data?.interconnectedServiceGroups).toEqual([
      {
        procedures: ['birth registration', 'permanent-residence registration', 'health-insurance card for a child under 6'],
        quotation,
        sources: [sblaw],
      },
      {
        procedures: ['death registration', 'deletion of permanent-residence registration', 'funeral allowance'],
        quotation,
        sources: [sblaw],
      },
    ]);
  });

  it('answers agencies as of today in Viet Nam by default: the 14 ministries and 3 ministerial-level agencies of 2025-03-01, and 34 committees', async () => {
    const { data, errors } = await run(`{
      today: agencies { id code kind }
      explicit: agencies(at: "${todayInVietnam()}") { id }
      before: agencies(at: "2025-02-28") { id }
    }`);
    expect(errors).toBeUndefined();
    const today = data?.today as { id: string; code: string; kind: string }[];
    expect(data?.explicit.map((a: { id: string }) => a.id)).toEqual(today.map((a) => a.id));
    const ofKind = (kind: string) => today.filter((a) => a.kind === kind).map((a) => a.code);
    expect(ofKind('MINISTRY')).toEqual(['BQP', 'BCA', 'BNG', 'BNV', 'BTP', 'BTC', 'BCT', 'BNNMT', 'BXD', 'BVHTTDL', 'BKHCN', 'BGDDT', 'BYT', 'BDTTG']);
    expect(ofKind('MINISTERIAL_AGENCY')).toEqual(['NHNN', 'TTCP', 'VPCP']);
    expect(ofKind('GOVERNMENT_AGENCY')).toEqual([]);
    expect(ofKind('UNDER_MINISTRY')).toEqual(['BHXH']);
    expect(ofKind('PROVINCE')).toHaveLength(34);
    expect(today.find((a) => a.code === 'BTC')?.id).toBe('BTC-2025-03-01');
    expect(data?.before).toHaveLength(18 + 4 + 1 + 63);
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 1 });
  });

  it('tells a continuing code apart by date, and carries the acts, predecessors and successors of each agency', async () => {
    const ACT = 'id number title issuer adoptedOn effectiveFrom effectiveTo summary sourceUrl';
    const AGENCY = `id code name kind validFrom validTo establishedBy { ${ACT} } endedBy { id } predecessors { id } successors { id } note reports`;
    const { data, errors } = await run(`{
      financeBefore: agency(code: "BTC", at: "2025-02-28") { ${AGENCY} }
      financeAfter: agency(code: "BTC", at: "2025-03-01") { ${AGENCY} }
      environment: agency(code: "BTNMT", at: "2024-07-29") { ${AGENCY} }
      environmentToday: agency(code: "BTNMT") { id }
      agricultureToday: agency(code: "BNNMT") { ${AGENCY} }
      agricultureBefore: agency(code: "BNNMT", at: "2025-02-28") { id }
      religion: agency(code: "BDTTG") { predecessors { id name } }
      socialSecurity: agency(code: "BHXH") { id kind validFrom establishedBy { id } predecessors { id kind validTo endedBy { id } } note }
    }`);
    expect(errors).toBeUndefined();
    expect(data?.financeBefore).toMatchObject({
      id: 'BTC',
      validFrom: null,
      validTo: '2025-02-28',
      establishedBy: null,
      endedBy: { id: NQ176.id },
      successors: [{ id: 'BTC-2025-03-01' }],
    });
    expect(data?.financeAfter).toMatchObject({
      id: 'BTC-2025-03-01',
      name: 'Bộ Tài chính',
      validFrom: '2025-03-01',
      validTo: null,
      establishedBy: NQ176,
      endedBy: null,
      predecessors: [{ id: 'BKHDT' }, { id: 'BTC' }],
      successors: [],
    });
    expect(data?.environment).toMatchObject({ id: 'BTNMT', name: 'Bộ Tài nguyên và Môi trường', validTo: '2025-02-28', successors: [{ id: 'BNNMT-2025-03-01' }] });
    expect(data?.environmentToday).toBeNull();
    expect(data?.agricultureBefore).toBeNull();
    expect(data?.agricultureToday).toMatchObject({
      id: 'BNNMT-2025-03-01',
      name: 'Bộ Nông nghiệp và Môi trường',
      kind: 'MINISTRY',
      validFrom: '2025-03-01',
      predecessors: [{ id: 'BNNPTNT' }, { id: 'BTNMT' }],
      reports: expect.arrayContaining(['https://giaoducthoidai.vn/ong-nguyen-ngoc-thach-lam-tan-tong-bien-tap-bao-nong-nghiep-va-moi-truong-post721407.html']),
    });
    expect(data?.religion.predecessors).toEqual([
      { id: 'UBDT', name: 'Ủy ban Dân tộc' },
      { id: 'BNV', name: 'Bộ Nội vụ' },
    ]);
    // Placed under Bộ Tài chính from 2025-03-01 by Nghị định 29/2025/NĐ-CP, the ministry's own decree.
    expect(data?.socialSecurity).toMatchObject({
      id: 'BHXH-2025-03-01',
      kind: 'UNDER_MINISTRY',
      validFrom: '2025-03-01',
      establishedBy: { id: 'ND-29-2025-ND-CP' },
      predecessors: [{ id: 'BHXH', kind: 'GOVERNMENT_AGENCY', validTo: '2025-02-28', endedBy: { id: 'ND-29-2025-ND-CP' } }],
      note: expect.stringContaining('391/QĐ-BTC'),
    });
  });

  it('keeps the 2024 statuses on the agencies of 2024: a successor formed later is NOT_REPORTED', async () => {
    const { data, errors } = await run(`{
      hanoi: agency(code: "UBND-001") { id validFrom populationDbConnection { status asOf } }
      hue: agency(code: "UBND-046") { id name validFrom establishedBy { number } predecessors { id populationDbConnection { status } } populationDbConnection { status } }
      hueThen: agency(code: "UBND-046", at: "2024-07-29") { id name validTo populationDbConnection { status } }
      construction: agency(code: "BXD") { id populationDbConnection { status } sectorDatabases { name } predecessors { id sectorDatabases { name } } }
      connectedToday: agencies(connectionStatus: CONNECTED) { code }
    }`);
    expect(errors).toBeUndefined();
    expect(data?.hanoi).toEqual({ id: 'UBND-001', validFrom: null, populationDbConnection: { status: 'CONNECTED', asOf: '2024-07-29' } });
    expect(data?.hue).toEqual({
      id: 'UBND-046-2025-01-01',
      name: 'Ủy ban nhân dân thành phố Huế',
      validFrom: '2025-01-01',
      establishedBy: { number: '175/2024/QH15' },
      predecessors: [{ id: 'UBND-046', populationDbConnection: { status: 'CONNECTED' } }],
      populationDbConnection: { status: 'NOT_REPORTED' },
    });
    expect(data?.hueThen).toEqual({ id: 'UBND-046', name: 'Ủy ban nhân dân tỉnh Thừa Thiên Huế', validTo: '2024-12-31', populationDbConnection: { status: 'CONNECTED' } });
    expect(data?.construction).toEqual({
      id: 'BXD-2025-03-01',
      populationDbConnection: { status: 'NOT_REPORTED' },
      sectorDatabases: [],
      predecessors: [
        { id: 'BGTVT', sectorDatabases: [{ name: 'Cơ sở dữ liệu giấy phép lái xe' }] },
        { id: 'BXD', sectorDatabases: [{ name: 'Hệ thống thông tin về nhà ở và thị trường bất động sản' }] },
      ],
    });
    // The 10 committees of 2024 that continue unchanged today (Hà Nội … Cao Bằng; Huế is a new unit).
    const unchanged = provincialUnitsOn(todayInVietnam())
      .filter((u) => u.validFrom === null)
      .map((u) => `UBND-${u.code}`);
    expect(data?.connectedToday.map((a: { code: string }) => a.code)).toEqual(unchanged);
  });

  it('refuses an `at` that is not a full calendar date', async () => {
    for (const at of ['2025-03', '2025-02-30', 'today', ' 2025-03-01']) {
      const { errors } = await run('query ($at: String) { agencies(at: $at) { id } }', { at });
      expect(errors?.[0]?.extensions, at).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'at' });
      const single = await run('query ($at: String) { agency(code: "BCA", at: $at) { id } }', { at });
      expect(single.errors?.[0]?.extensions, at).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'at' });
    }
  });

  it('lists the 18 ministries of 2024, none with a connection status the reports do not give it', async () => {
    const result = await run(`{ agencies(kind: MINISTRY, at: "2024-07-29") { code kind populationDbConnection ${CONNECTION} } }`);
    expect(result.errors).toBeUndefined();
    const ministries = result.data?.agencies as { code: string; populationDbConnection: unknown }[];
    expect(ministries.map((m) => m.code)).toEqual(MINISTRIES);
    for (const m of ministries) {
      expect(m.populationDbConnection).toEqual(m.code === 'BCA' ? { ...NOT_REPORTED, status: 'OPERATOR' } : NOT_REPORTED);
    }
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 1 });
  });

  it('filters on the agency’s own connection, so a not-connected sector database does not make its ministry NOT_CONNECTED', async () => {
    const { data, errors } = await run(`{
      notConnected: agencies(connectionStatus: NOT_CONNECTED, at: "2024-07-29") { code }
      operator: agencies(connectionStatus: OPERATOR, at: "2024-07-29") { code }
      ministerial: agencies(kind: MINISTERIAL_AGENCY, at: "2024-07-29") { code }
      government: agencies(kind: GOVERNMENT_AGENCY, at: "2024-07-29") { code name englishName }
      all: agencies(at: "2024-07-29") { code }
      construction: agency(code: "BXD", at: "2024-07-29") { name englishName populationDbConnection { status } sectorDatabases { name englishName populationDbConnection ${CONNECTION} } }
      none: agency(code: "BKH") { code }
    }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      notConnected: [],
      operator: [{ code: 'BCA' }],
      ministerial: [{ code: 'UBDT' }, { code: 'NHNN' }, { code: 'TTCP' }, { code: 'VPCP' }],
      government: [{ code: 'BHXH', name: 'Bảo hiểm xã hội Việt Nam', englishName: 'Viet Nam Social Security' }],
      all: expect.any(Array),
      construction: {
        name: 'Bộ Xây dựng',
        englishName: 'Ministry of Construction',
        populationDbConnection: { status: 'NOT_REPORTED' },
        sectorDatabases: [
          {
            name: 'Hệ thống thông tin về nhà ở và thị trường bất động sản',
            englishName: 'Housing and real-estate market information system',
            populationDbConnection: {
              status: 'NOT_CONNECTED',
              since: null,
              statement: 'Ministry of Construction had not completed connecting the housing and real-estate market information system with the national population database',
              asOf: '2024-06',
              sources: [S3],
            },
          },
        ],
      },
      none: null,
    });
    expect(data?.all).toHaveLength(86);
  });

  it('lists the 63 provincial People’s Committees, all CONNECTED from the 63-of-63 report', async () => {
    const result = await run(
      `{ agencies(kind: PROVINCE, connectionStatus: CONNECTED, at: "2024-07-29") { code name englishName province { code name } populationDbConnection ${CONNECTION} sectorDatabases { name } } }`,
    );
    expect(result.errors).toBeUndefined();
    const committees = result.data?.agencies as Record<string, any>[];
    expect(committees.map((c) => c.code)).toEqual(PROVINCES.map((p) => `UBND-${p.code}`));
    expect(committees.map((c) => c.province.code)).toEqual(PROVINCES.map((p) => p.code));
    for (const c of committees) {
      expect(c.populationDbConnection).toEqual(CONNECTED_63_OF_63);
      expect(c.sectorDatabases).toEqual([]);
    }
    expect(committees[0]).toMatchObject({
      name: 'Ủy ban nhân dân thành phố Hà Nội',
      englishName: "Ha Noi People's Committee",
      province: { code: '001', name: 'Hà Nội' },
    });
    expect(committees[1]).toMatchObject({ name: 'Ủy ban nhân dân tỉnh Hà Giang', province: { name: 'Hà Giang' } });
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 1, 'GET /v1/provinces': 1 });
  });

  it('combines the kind and connection-status filters of agencies with AND', async () => {
    const { data, errors } = await run(`{
      provinceNotReported: agencies(kind: PROVINCE, connectionStatus: NOT_REPORTED, at: "2024-07-29") { code }
      ministryOperator: agencies(kind: MINISTRY, connectionStatus: OPERATOR, at: "2024-07-29") { code name }
      ministryNotReported: agencies(kind: MINISTRY, connectionStatus: NOT_REPORTED, at: "2024-07-29") { code }
      ministryConnected: agencies(kind: MINISTRY, connectionStatus: CONNECTED, at: "2024-07-29") { code }
      ministerialNotReported: agencies(kind: MINISTERIAL_AGENCY, connectionStatus: NOT_REPORTED, at: "2024-07-29") { code }
    }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      provinceNotReported: [],
      ministryOperator: [{ code: 'BCA', name: 'Bộ Công an' }],
      ministryNotReported: MINISTRIES.filter((code) => code !== 'BCA').map((code) => ({ code })),
      ministryConnected: [],
      ministerialNotReported: [{ code: 'UBDT' }, { code: 'NHNN' }, { code: 'TTCP' }, { code: 'VPCP' }],
    });
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 1 });
  });

  it('lists every published figure about connections to the national population database, newest first, with dates and sources', async () => {
    const result = await run(`{
      populationDbConnections { reportedFigures { id statement value flag unit of rate note asOf ${SOURCE} localityNames figures { name value } } }
      again: populationDbConnections { reportedFigures { id } }
      programmeIndicators { id }
    }`);
    expect(result.errors).toBeUndefined();
    const figure = { value: null, flag: null, of: null, rate: null, note: null, localityNames: [], figures: [] };
    expect(result.data?.populationDbConnections.reportedFigures).toEqual([
      {
        ...figure,
        id: 'connections.security-inspection-pending.2024-10',
        statement: 'Localities that had not completed the inspection of security and safety of the connection system serving the issuance of criminal-record certificates',
        value: 38,
        unit: 'localities',
        asOf: '2024-11',
        sources: [S0],
      },
      {
        ...figure,
        id: 'connections.ministries.2024-07',
        statement: 'Ministries and sectors that completed connection and data sharing between the national population database and the administrative-procedure information system',
        value: 18,
        unit: 'ministries',
        asOf: '2024-07-29',
        sources: [S3],
      },
      {
        ...figure,
        id: 'connections.localities.2024-07',
        statement: 'Localities that completed the same connection',
        value: 63,
        of: 63,
        unit: 'localities',
        asOf: '2024-07-29',
        sources: [S3],
      },
      {
        ...figure,
        id: 'connections.construction-housing.2024-06',
        statement: HOUSING_SYSTEM_NOT_CONNECTED,
        flag: false,
        unit: 'connected',
        asOf: '2024-06',
        sources: [S3],
      },
      {
        ...figure,
        id: 'connections.social-insurance-unsynced.quang-nam',
        statement: 'Quang Nam social-insurance participants not yet synchronised with the population database',
        value: 18000,
        unit: 'records',
        rate: 0.01,
        asOf: '2024',
        sources: [S4],
      },
      {
        ...figure,
        id: 'connections.sector-dbs-not-connected.2023-04',
        statement: 'Sector databases not yet connected and shared with the national population database',
        value: 8,
        unit: 'databases',
        note: "also: new data arising after connection not yet synchronised; some ministries' data still scattered at localities",
        asOf: '2023-04',
        sources: [S1],
        figures: [{ name: 'ministriesCount', value: 6 }],
      },
    ]);
    expect(result.data?.again.reportedFigures.map((f: { id: string }) => f.id)).toEqual(CONNECTION_FIGURE_IDS);
    // Each list once, however many times the overview and the indicators are selected.
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/indicators': 1, 'GET /v1/population-db-connections': 1 });
  });

  it('counts the agency registry by kind and reported status, from the agencies list alone', async () => {
    expect(await registryTally(undefined, '2024-07-29')).toEqual([
      { kind: 'MINISTRY', status: 'OPERATOR', agencies: 1 },
      { kind: 'MINISTRY', status: 'NOT_REPORTED', agencies: 17 },
      { kind: 'MINISTERIAL_AGENCY', status: 'NOT_REPORTED', agencies: 4 },
      { kind: 'GOVERNMENT_AGENCY', status: 'NOT_REPORTED', agencies: 1 },
      { kind: 'PROVINCE', status: 'CONNECTED', agencies: 63 },
    ]);
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 1 });
  });

  it('lists the sector databases a report speaks of, with the agency that keeps them, filtered by status', async () => {
    const { data, errors } = await run(`{ populationDbConnections {
      notConnected: sectorDatabases(connectionStatus: NOT_CONNECTED) { name englishName agency { code name kind } populationDbConnection ${CONNECTION} }
      connected: sectorDatabases(connectionStatus: CONNECTED) { name }
      all: sectorDatabases { englishName agency { code } }
    } }`);
    expect(errors).toBeUndefined();
    expect(data?.populationDbConnections).toEqual({
      notConnected: [
        {
          name: 'Hệ thống thông tin về nhà ở và thị trường bất động sản',
          englishName: 'Housing and real-estate market information system',
          agency: { code: 'BXD', name: 'Bộ Xây dựng', kind: 'MINISTRY' },
          populationDbConnection: {
            status: 'NOT_CONNECTED',
            since: null,
            statement: HOUSING_SYSTEM_NOT_CONNECTED,
            asOf: '2024-06',
            sources: [S3],
          },
        },
      ],
      connected: [],
      all: [
        { englishName: 'National database about cadres, civil servants and public employees', agency: { code: 'BNV' } },
        { englishName: 'Driving-licence database', agency: { code: 'BGTVT' } },
        { englishName: 'Housing and real-estate market information system', agency: { code: 'BXD' } },
        { englishName: 'Education-sector database (e-records of pupils, teachers and managers)', agency: { code: 'BGDDT' } },
        { englishName: 'Viet Nam Social Security database', agency: { code: 'BHXH' } },
      ],
    });
    expect(mock.stats().byRoute).toEqual({ 'GET /v1/agencies': 1 });
  });

  it('invents nothing: every reported status of an agency or sector database cites a connection fact that covers it', async () => {
    const { data, errors } = await run(`{ agencies(at: "2024-07-29") {
      code kind province { code } populationDbConnection ${CONNECTION}
      sectorDatabases { englishName agency { englishName } populationDbConnection ${CONNECTION} }
    } }`);
    expect(errors).toBeUndefined();
    interface Report {
      status: string;
      since: string | null;
      statement: string | null;
      asOf: string | null;
      sources: (typeof S3)[];
    }
    const agencies = data?.agencies as {
      code: string;
      kind: string;
      province: { code: string } | null;
      populationDbConnection: Report;
      sectorDatabases: { englishName: string; agency: { englishName: string }; populationDbConnection: Report }[];
    }[];
    const ofKind = (kind: string) => agencies.filter((a) => a.kind === kind).length;
    let reported = 0;
    /** A reported status must be taken from a connection fact (same statement, date and sources) that `covers` the agency or database. */
    const expectCoveringFact = (what: string, report: Report, covers: (fact: Fact) => boolean) => {
      if (report.status === 'NOT_REPORTED' || report.status === 'OPERATOR') {
        expect(report, what).toEqual({ ...NOT_REPORTED, status: report.status });
        return;
      }
      reported += 1;
      const fact = FACTS.find(
        (f) => f.id.startsWith('connections.') && f.statement === report.statement && f.asOf === report.asOf && JSON.stringify(sourcesOf(f)) === JSON.stringify(report.sources),
      );
      expect(fact, `${what}: no connection fact says "${report.statement}" as of ${report.asOf}`).toBeDefined();
      expect(covers(fact!), `${what}: fact ${fact!.id} does not cover it`).toBe(true);
      if (typeof fact!.value === 'boolean') expect(report.status, what).toBe(fact!.value ? 'CONNECTED' : 'NOT_CONNECTED');
      if (report.since !== null) expect(fact!.note ?? '', what).toContain(report.since);
    };
    for (const a of agencies) {
      // An agency's own status needs a fact that names its province, or one that counts every agency of its kind ("63 of 63").
      expectCoveringFact(
        a.code,
        a.populationDbConnection,
        (fact) => (a.province !== null && localityCodesOf(fact).includes(a.province.code)) || (fact.value === ofKind(a.kind) && fact.of === ofKind(a.kind)),
      );
      for (const db of a.sectorDatabases) {
        // A sector database's status needs a yes/no fact that names both the database and its agency.
        expectCoveringFact(`${a.code} ${db.englishName}`, db.populationDbConnection, (fact) => {
          const statement = fact.statement.toLowerCase();
          return typeof fact.value === 'boolean' && statement.includes(db.englishName.toLowerCase()) && statement.includes(db.agency.englishName.toLowerCase());
        });
      }
    }
    expect(reported).toBe(64); // the 63 provincial committees and the Ministry of Construction's housing system
  });

  it('fails with SYSTEM_BAD_RESPONSE naming the system when the backend answers malformed JSON', async () => {
    mock.setFault({ mode: 'malformed' });
    const { data, errors } = await run('{ provinces { code } }');
    expect(data).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'SYSTEM_BAD_RESPONSE', system: 'public-services' });
  });

  it('fails with SYSTEM_BAD_RESPONSE when a province names an indicator the backend does not publish', async () => {
    const { errors } = await run('{ province(code: "001") { indicators { id } } }', undefined, brokenAdapter);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'SYSTEM_BAD_RESPONSE', system: 'public-services' });
  });
});

describe('public-services: figures exactly as published', () => {
  const FIGURE = `id value qualifier valueAsPublished rate rateQualifier note asOf asOfDate { year month day precision text } asOfBasis
    statement quotation figures { name value qualifier } sources { id outlet title published publishedDate { precision text } url language }`;
  const indicators = async () => {
    const { data, errors } = await run(`{ programmeIndicators { ${FIGURE} } }`);
    expect(errors).toBeUndefined();
    return new Map((data?.programmeIndicators as { id: string }[]).map((i) => [i.id, i as Record<string, any>]));
  };

  it('serves "more than" and "about" as qualifiers, lower bounds and approximations rather than exact values', async () => {
    const byId = await indicators();
    expect(byId.get('land.parcels.2024-11')).toMatchObject({ value: 46000000, qualifier: 'MORE_THAN', valueAsPublished: 'more than 46 million', note: null });
    expect(byId.get('social-insurance.verified.2024-07')).toMatchObject({ value: 97600000, qualifier: 'MORE_THAN', valueAsPublished: 'hơn 97,6 triệu' });
    expect(byId.get('connections.social-insurance-unsynced.quang-nam')).toMatchObject({
      value: 18000,
      qualifier: 'MORE_THAN',
      rate: 0.01,
      rateQualifier: 'ABOUT',
      note: null,
    });
    expect(byId.get('hcmc.identity.2024-11')?.figures).toEqual(
      ['chipIdCards', 'identityCards', 'electronicIdAccounts', 'digitalSignatures', 'recordsAddedToPopulationDb'].map((name) =>
        expect.objectContaining({ name, qualifier: 'MORE_THAN' }),
      ),
    );
    expect(byId.get('lookups.monthly.2024-04')?.figures).toEqual([{ name: 'changeFromPreviousMonth', value: 15960000, qualifier: 'MORE_THAN' }]);
    expect(byId.get('civil-status.records.completed-localities.2024-09')).toMatchObject({ qualifier: 'EXACT', valueAsPublished: '111.5 million', note: null });
    // A yes/no or a figure published only as named numbers has no value, so no qualifier.
    expect(byId.get('connections.construction-housing.2024-06')).toMatchObject({ value: null, qualifier: null, rateQualifier: null });
    // No remark still carries a qualifier or a rounding in words: they are data now.
    for (const [id, indicator] of byId) expect(indicator.note ?? '', id).not.toMatch(/more than|about|published as/i);
  });

  it('dates each figure at the precision its report gives, and says where the date comes from', async () => {
    const byId = await indicators();
    expect(byId.get('civil-status.completed.2024-09')).toMatchObject({
      asOf: '2024-09',
      asOfDate: { year: 2024, month: 9, day: null, precision: 'MONTH', text: '2024-09' },
      asOfBasis: 'STATED',
    });
    expect(byId.get('civil-servants.matched-population.2024-10')).toMatchObject({ asOf: '2024-10', asOfBasis: 'STATED' });
    // S0 gives the land figures and the 38 localities no date: its publication month, said so.
    for (const id of ['land.districts.2024-11', 'land.parcels.2024-11', 'connections.security-inspection-pending.2024-10']) {
      expect(byId.get(id), id).toMatchObject({ asOf: '2024-11', asOfBasis: 'PUBLICATION' });
    }
    expect(byId.get('land.quang-nam.appraised-districts')).toMatchObject({
      asOf: '2024',
      asOfDate: { precision: 'YEAR', text: '2024' },
      asOfBasis: 'PUBLICATION',
    });
    // The month-end days made up from a month are gone.
    expect(byId.get('lookups.monthly.2024-04')).toMatchObject({ asOf: '2024-04', asOfBasis: 'RECORDED' });
    expect(byId.get('legal-review.2023-04')).toMatchObject({ asOf: '2023-04', asOfBasis: 'RECORDED' });
    for (const [id, indicator] of byId) {
      expect(indicator.asOf, id).not.toMatch(/-(30|31)$/);
      expect(indicator.asOfDate.text, id).toBe(indicator.asOf);
    }
  });

  it('names each source as a publication, and leaves what was not found null', async () => {
    const byId = await indicators();
    expect(byId.get('land.districts.2024-11')?.sources[0]).toEqual({
      id: 'S0',
      outlet: 'VietNamNet',
      title: 'Digitization of data about civil status, land proceeding slowly',
      published: '2024-11',
      publishedDate: { precision: 'MONTH', text: '2024-11' },
      url: 'https://vietnamnet.vn/en/digitization-of-data-about-civil-status-land-proceeding-slowly-2342136.html',
      language: 'en',
    });
    expect(byId.get('land.quang-nam.appraised-districts')?.sources[0]).toMatchObject({ id: 'S4', outlet: 'vietnam.vn', title: null, publishedDate: { precision: 'YEAR' } });
    for (const id of ['legal-review.2023-04', 'hcmc.identity.2024-11', 'social-insurance.verified.2024-07']) {
      const indicator = byId.get(id)!;
      expect(indicator.sources[0], id).toMatchObject({ outlet: null, title: null, url: null, language: null });
      // The article was not found: `statement` is this project's paraphrase, and no sentence is claimed.
      expect(indicator.quotation, id).toBeNull();
    }
  });

  it('carries the published sentence, with the value as printed in it', async () => {
    const byId = await indicators();
    const matched = byId.get('civil-servants.matched-population.2024-10')!;
    expect(matched.value).toBe(1091482);
    expect(matched.quotation).toContain('matched 1,091,482 records of cadres, civil servants and public employees');
    expect(byId.get('land.parcels.2024-11')?.quotation).toContain('more than 46 million land plots in 461 out of 705 districts');
    expect(byId.get('land.quang-nam.appraised-districts')?.quotation).toBe('The whole province has only 8 districts whose plans for building a database have been appraised.');
    const inspection = byId.get('connections.security-inspection-pending.2024-10')!;
    expect(inspection.quotation).toContain('38 localities that have not completed the inspection of security and safety');
    expect(inspection.statement).not.toMatch(/remediation/);
    expect(byId.has('connections.security-remediation-pending.2024-10')).toBe(false);
    // Every number in a found sentence is there as printed (thousands separators aside).
    for (const [id, indicator] of byId) {
      if (indicator.quotation === null || typeof indicator.value !== 'number') continue;
      const printed = (indicator.valueAsPublished as string | null) ?? indicator.value.toLocaleString('en-US');
      expect(indicator.quotation, id).toContain(printed.replace(/^more than /, ''));
    }
  });

  it('serves the sector databases the figures speak of, each with its figures', async () => {
    const { data, errors } = await run(`{ populationDbConnections { sectorDatabases {
      name agency { code name } populationDbConnection { status }
      indicators { id value qualifier of unit }
    } } }`);
    expect(errors).toBeUndefined();
    const byAgency = new Map((data?.populationDbConnections.sectorDatabases as { agency: { code: string } }[]).map((db) => [db.agency.code, db as Record<string, any>]));
    expect(byAgency.get('BHXH')).toMatchObject({
      agency: { name: 'Bảo hiểm xã hội Việt Nam' },
      populationDbConnection: { status: 'NOT_REPORTED' },
      indicators: [
        { id: 'social-insurance.verified.2024-07', value: 97600000, qualifier: 'MORE_THAN', of: null, unit: 'records' },
        { id: 'connections.social-insurance-unsynced.quang-nam', value: 18000, qualifier: 'MORE_THAN', of: null, unit: 'records' },
      ],
    });
    expect(byAgency.get('BGDDT')?.indicators).toEqual([{ id: 'education.synced.2024-07', value: 24550000, qualifier: 'EXACT', of: 25000000, unit: 'records' }]);
    expect(byAgency.get('BGTVT')?.indicators).toEqual([{ id: 'driving-licences.cleaned.2024-07', value: 34900000, qualifier: 'EXACT', of: 36200000, unit: 'records' }]);
    expect(byAgency.get('BNV')?.indicators.map((i: { id: string; value: number | null }) => [i.id, i.value])).toEqual([
      ['civil-servants.synced.2024-07', 2318994],
      ['civil-servants.matched-population.2024-10', 1091482],
      ['civil-servants.cleaned.2024-07', 861835],
      ['data-quality.fields-incomplete.2024-07', null],
    ]);
    expect(byAgency.get('BXD')).toMatchObject({ populationDbConnection: { status: 'NOT_CONNECTED' }, indicators: [{ id: 'connections.construction-housing.2024-06' }] });
    // A count of verified or matched records is not a connection status.
    for (const code of ['BHXH', 'BGDDT', 'BGTVT', 'BNV']) expect(byAgency.get(code)?.populationDbConnection.status, code).toBe('NOT_REPORTED');
  });

  it('refuses an indicator whose qualifier has no number to qualify', async () => {
    const base = (await (await fetch(`${mock.url}/v1/indicators`)).json()) as { indicators: Record<string, unknown>[]; sources: unknown[] };
    const housing = base.indicators.find((i) => i.id === 'connections.construction-housing.2024-06')!;
    for (const broken of [
      { ...housing, qualifier: 'HON' },
      { ...housing, rateQualifier: 'KHOANG' },
      { ...housing, qualifier: 'HƠN' },
    ]) {
      wireAnswers.set('/v1/indicators', { indicators: [broken], sources: base.sources });
      await expect(wireAdapter.getIndicators({ requestId: 't' })).rejects.toMatchObject({ extensions: { code: 'SYSTEM_BAD_RESPONSE' } });
    }
  });
});
