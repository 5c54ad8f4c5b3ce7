import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACTS, localityCodesOf, sourceIdsOf } from '../lib/backend/facts.ts';
import { LEGACY_PROVINCES as PROVINCES } from '../lib/domain/administrative-units.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { perSystem } from '../lib/runtime/systems.ts';

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

interface IndicatorResult {
  id: string;
  statement: string;
  value: number | null;
  flag: boolean | null;
  of: number | null;
  rate: number | null;
  asOf: string;
  sources: { id: string; document: string }[];
  localities: { code: string }[];
  figures: { name: string; value: number }[];
}

describe('published Project 06 figures, exactly as published', () => {
  it('lists the 34 provincial units of today, and the 63 of the 2024 reports as of their day', async () => {
    const { body } = await system.query(`{
      today: provinces { code name officialName }
      reported: provinces(at: "2024-09-30") { code name officialName region }
    }`);
    expect(body.errors).toBeUndefined();
    type Unit = { code: string; name: string; officialName: string; region: string };
    const { today, reported } = body.data as { today: Unit[]; reported: Unit[] };
    expect(today).toHaveLength(34);
    expect(today.find((p) => p.code === '092')?.officialName).toBe('Thành phố Cần Thơ');
    expect(today.some((p) => p.name === 'Sóc Trăng' || p.name === 'Thừa Thiên Huế')).toBe(false);
    expect(reported).toHaveLength(63);
    expect(reported).toEqual(PROVINCES.map((p) => ({ code: p.code, name: p.name, officialName: p.officialName, region: p.region })));
    expect(reported.find((p) => p.code === '046')?.officialName).toBe('Tỉnh Thừa Thiên Huế');
  });

  it('serves every fact of the facts file with its exact value, date and source', async () => {
    const { body } = await system.query(`{ programmeIndicators {
      id statement value flag of rate asOf sources { id document } localities { code } figures { name value } } }`);
    expect(body.errors).toBeUndefined();
    const indicators = (body.data as { programmeIndicators: IndicatorResult[] }).programmeIndicators;
    expect(indicators.map((i) => i.id)).toEqual(FACTS.map((f) => f.id));
    for (const fact of FACTS) {
      const indicator = indicators.find((i) => i.id === fact.id)!;
      expect(indicator.statement).toBe(fact.statement);
      expect(indicator.asOf).toBe(fact.asOf);
      expect(indicator.sources.map((s) => s.id)).toEqual(sourceIdsOf(fact));
      if (typeof fact.value === 'boolean') expect([indicator.flag, indicator.value]).toEqual([fact.value, null]);
      else expect(indicator.value).toBe(fact.value ?? null);
      expect(indicator.of).toBe(fact.of ?? null);
      expect(indicator.rate).toBe(fact.rate ?? null);
      expect(indicator.localities.map((l) => l.code)).toEqual(localityCodesOf(fact));
      const numericExtras = Object.entries(fact).filter(([key, value]) => typeof value === 'number' && !['value', 'of', 'rate'].includes(key));
      expect(indicator.figures).toEqual(numericExtras.map(([name, value]) => ({ name, value })));
    }
    expect(indicators.find((i) => i.id === 'lookups.monthly.2024-04')?.value).toBe(1534864111);
  });

  it('serves through the gateway each figure with its qualifier, sentence, dated basis and publication, and the sector databases with theirs', async () => {
    const { body } = await system.query(`{
      parcels: programmeIndicator(id: "land.parcels.2024-11") {
        value qualifier valueAsPublished quotation asOf asOfDate { precision } asOfBasis sources { outlet title published language }
      }
      insurance: programmeIndicator(id: "social-insurance.verified.2024-07") { value qualifier quotation asOfBasis sources { id outlet title } }
      populationDbConnections { sectorDatabases { agency { code } indicators { id value qualifier } } }
    }`);
    expect(body.errors).toBeUndefined();
    const data = body.data as Record<string, any>;
    expect(data.parcels).toEqual({
      value: 46000000,
      qualifier: 'MORE_THAN',
      valueAsPublished: 'more than 46 million',
      quotation: 'Regarding the digitization of data about land, localities have completed more than 46 million land plots in 461 out of 705 districts nationwide.',
      asOf: '2024-11',
      asOfDate: { precision: 'MONTH' },
      asOfBasis: 'PUBLICATION',
      sources: [
        { outlet: 'VietNamNet', title: 'Digitization of data about civil status, land proceeding slowly', published: '2024-11', language: 'en' },
        { outlet: null, title: null, published: '2024-11', language: null },
      ],
    });
    expect(data.insurance).toEqual({ value: 97600000, qualifier: 'MORE_THAN', quotation: null, asOfBasis: 'RECORDED', sources: [{ id: 'S3', outlet: null, title: null }] });
    const social = data.populationDbConnections.sectorDatabases.find((db: { agency: { code: string } }) => db.agency.code === 'BHXH');
    expect(social.indicators[0]).toEqual({ id: 'social-insurance.verified.2024-07', value: 97600000, qualifier: 'MORE_THAN' });
  });

  it("answers the auditor's question per province from three ministries' systems, inventing nothing", async () => {
    system.resetCounters();
    const { body } = await system.query(`{ provinces(at: "2024-09-30") { code name
      populationDbConnection { status asOf sources { id } }
      civilStatusDigitization { status recordsDigitized asOf sources { id } }
      landDigitization { status recordsCleaned recordsTotal asOf sources { id } } } }`);
    expect(body.errors).toBeUndefined();
    const provinces = (body.data as { provinces: Record<string, any>[] }).provinces;
    const byCode = new Map(provinces.map((p) => [p.code, p]));
    expect(provinces.every((p) => p.populationDbConnection.status === 'CONNECTED' && p.populationDbConnection.asOf === '2024-07-29')).toBe(true);
    expect(byCode.get('079')!.civilStatusDigitization).toEqual({ status: 'COMPLETED', recordsDigitized: 12800000, asOf: '2024-11-11', sources: [{ id: 'S2' }] });
    // Figures published for Bình Dương, but no status: none is inferred from them.
    expect(byCode.get('074')!.landDigitization).toEqual({ status: 'NOT_REPORTED', recordsCleaned: 814438, recordsTotal: 896556, asOf: '2024-06', sources: [{ id: 'S3' }] });
    expect(byCode.get('002')!.civilStatusDigitization).toEqual({ status: 'NOT_REPORTED', recordsDigitized: null, asOf: null, sources: [] });
    expect(byCode.get('002')!.landDigitization).toMatchObject({ status: 'NOT_REPORTED', recordsCleaned: null, sources: [] });
    const completed = provinces.filter((p) => p.civilStatusDigitization.status === 'COMPLETED').map((p) => p.code);
    expect(completed).toHaveLength(15); // the 14 of September 2024 plus Hồ Chí Minh City's own report
    // 63 province references → one call to each sector backend; the provinces themselves may come
    // from the reference-data cache (an earlier test read them less than max-age ago).
    const calls = system.backendRequests();
    expect({ ...calls, 'public-services': 0 }).toEqual({ ...perSystem(() => 0), 'civil-status': 1, land: 1 });
    expect(calls['public-services']).toBeLessThanOrEqual(1);
  });

  it('filters agencies by kind and reported connection status, on the day asked about', async () => {
    const { body } = await system.query(`{
      ministries: agencies(kind: MINISTRY, at: "2024-07-29") { code }
      provinces: agencies(kind: PROVINCE, connectionStatus: CONNECTED, at: "2024-07-29") { code }
      notConnected: agencies(connectionStatus: NOT_CONNECTED, at: "2024-07-29") { code }
      construction: agency(code: "BXD", at: "2024-07-29") { name sectorDatabases { name populationDbConnection { status asOf sources { id } } } }
      ministriesToday: agencies(kind: MINISTRY) { code }
      constructionToday: agency(code: "BXD") { id name sectorDatabases { name } populationDbConnection { status } } }`);
    expect(body.errors).toBeUndefined();
    const data = body.data as Record<string, any>;
    expect(data.ministries).toHaveLength(18);
    expect(data.provinces).toHaveLength(63);
    expect(data.notConnected).toEqual([]);
    expect(data.construction).toEqual({
      name: 'Bộ Xây dựng',
      sectorDatabases: [
        { name: 'Hệ thống thông tin về nhà ở và thị trường bất động sản', populationDbConnection: { status: 'NOT_CONNECTED', asOf: '2024-06', sources: [{ id: 'S3' }] } },
      ],
    });
    // Nghị quyết 176/2025/QH15: 14 ministries from 2025-03-01; the Bộ Xây dựng formed then has no report of its own.
    expect(data.ministriesToday).toHaveLength(14);
    expect(data.constructionToday).toEqual({ id: 'BXD-2025-03-01', name: 'Bộ Xây dựng', sectorDatabases: [], populationDbConnection: { status: 'NOT_REPORTED' } });
  });
});
