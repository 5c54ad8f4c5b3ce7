import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accessRecord } from '../devkit/test-credentials.ts';
import { DEFAULT_SUPERGRAPH_PATH } from '../runtime/settings.ts';
import {
  ALL_SECTORS,
  CITIZEN_KEY,
  citizenFieldSectors,
  leafPaths,
  reuseChanges,
  reuseReportSql,
  ReuseClassifier,
  sectorItems,
  type ReuseCase,
  type ReuseCounters,
} from './reuse.ts';

const SECTORS = citizenFieldSectors(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8'));
const classifier = () => new ReuseClassifier(SECTORS);

/** The counters of one sector (or all), without the key columns that do not vary in a test. */
const counts = (rows: ReuseCounters[], sector: string, month?: string) =>
  rows
    .filter((r) => r.sector === sector && (month === undefined || r.month === month))
    .map(({ month: m, items, reusedItems, cases, casesWithReuse }) => ({ month: m, items, reusedItems, cases, casesWithReuse }));

describe('the sectors of the citizen fields', () => {
  it('names, for each top-level field of Citizen, the subgraph that resolves it, and marks the key every subgraph has', () => {
    expect(SECTORS).toMatchObject({ fullName: 'population', household: 'population', birthRegistration: 'civil-status', landParcels: 'land' });
    expect(SECTORS).toHaveProperty('personalId', CITIZEN_KEY);
  });

  it('reads them from any supergraph, a field without @join__field going to the only subgraph of its type', () => {
    const sdl = `
      enum join__Graph { HEALTH @join__graph(name: "health", url: "http://h") SI @join__graph(name: "social-insurance", url: "http://s") }
      type Citizen @join__type(graph: SI, key: "personalId") @join__type(graph: HEALTH, key: "personalId") {
        personalId: ID!
        socialInsurance: String @join__field(graph: SI)
        healthCard: String @join__field(graph: HEALTH) @join__field(graph: SI, external: true)
      }
      type Other @join__type(graph: SI) { x: Int }`;
    expect(citizenFieldSectors(sdl)).toEqual({ personalId: CITIZEN_KEY, socialInsurance: 'social-insurance', healthCard: 'health' });
  });
});

describe('what an append adds to the reuse counters', () => {
  it('counts leaf paths only: an object field beside its own fields is not an item of its own', () => {
    expect(leafPaths(['household.members.relationship', 'dateOfBirth.text', 'household', 'dateOfBirth', 'household.members', 'fullName'])).toEqual([
      'dateOfBirth.text',
      'fullName',
      'household.members.relationship',
    ]);
    const record = accessRecord(1, { agency: 'BCA', fields: ['dateOfBirth', 'dateOfBirth.text', 'fullName', 'personalId'] });
    expect(reuseChanges([record], classifier(), () => undefined).counters.find((c) => c.sector === 'population')).toMatchObject({ items: 2, reusedItems: 0 });
  });

  it('counts an item as reused when the agency did not own its system that day, and a case once however many records', () => {
    // BTP (Ministry of Justice) owns the civil-status system: its own items are not reuse.
    const records = [
      accessRecord(1, { agency: 'BTP', caseNumber: 'HS-1', fields: ['birthRegistration.registrationNumber', 'fullName', 'landParcels.area'] }),
      accessRecord(2, { agency: 'BTP', caseNumber: 'HS-1', personalId: '001085000099', fields: ['fullName'] }),
    ];
    const { counters, cases } = reuseChanges(records, classifier(), () => undefined);
    expect(counts(counters, ALL_SECTORS)).toEqual([{ month: '2025-03', items: 4, reusedItems: 3, cases: 1, casesWithReuse: 1 }]);
    expect(counts(counters, 'civil-status')).toEqual([{ month: '2025-03', items: 1, reusedItems: 0, cases: 1, casesWithReuse: 0 }]);
    expect(counts(counters, 'population')).toEqual([{ month: '2025-03', items: 2, reusedItems: 2, cases: 1, casesWithReuse: 1 }]);
    expect(counts(counters, 'land')).toEqual([{ month: '2025-03', items: 1, reusedItems: 1, cases: 1, casesWithReuse: 1 }]);
    expect([...cases.values()]).toEqual([
      expect.objectContaining({ agency: 'BTP', caseNumber: 'HS-1', month: '2025-03', level: 'CENTRAL', province: '', sectors: ['civil-status', 'population', 'land'] }),
    ]);
  });

  it("follows the owner's change: the land system was BTNMT's until 2025-02-28, then BNNMT's", () => {
    const before = accessRecord(1, { agency: 'BTNMT', at: '2025-02-27T03:00:00.000Z', fields: ['landParcels.area'] });
    const after = accessRecord(2, { agency: 'BNNMT', at: '2025-03-02T03:00:00.000Z', fields: ['landParcels.area'] });
    const { counters } = reuseChanges([before, after], classifier(), () => undefined);
    expect(counts(counters, 'land').map((c) => c.reusedItems)).toEqual([0, 0]);
    // The day after its end, the old code owns nothing (the registry no longer has it).
    const late = reuseChanges([accessRecord(3, { agency: 'BTNMT', at: '2025-03-05T03:00:00.000Z', fields: ['landParcels.area'] })], classifier(), () => undefined);
    expect(late.counters.find((c) => c.sector === 'land')).toMatchObject({ level: 'UNKNOWN', reusedItems: 1 });
  });

  it("puts an access in the month of its day in Viet Nam, and a People's Committee's in its province, at the local level", () => {
    const record = accessRecord(1, { agency: 'UBND-001', at: '2025-03-31T17:30:00.000Z', fields: ['fullName'] });
    const { counters } = reuseChanges([record], classifier(), () => undefined);
    expect(counters.find((c) => c.sector === ALL_SECTORS)).toMatchObject({
      month: '2025-04',
      province: '001',
      level: 'LOCAL',
      items: 1,
      reusedItems: 1,
      cases: 1,
      casesWithReuse: 1,
    });
  });

  it('counts a known case again only for what is new to it, in the month and place it was first counted', () => {
    const known: ReuseCase = { month: '2025-02', province: '', level: 'CENTRAL', sectors: ['civil-status'], reusedSectors: [] };
    const later = accessRecord(1, { agency: 'BTP', caseNumber: 'HS-1', fields: ['birthRegistration.registrationNumber', 'fullName'] });
    const { counters, cases } = reuseChanges([later], classifier(), (agency, purpose, caseNumber) =>
      agency === 'BTP' && purpose === '1.001234' && caseNumber === 'HS-1' ? known : undefined,
    );
    expect(counts(counters, ALL_SECTORS, '2025-02')).toEqual([{ month: '2025-02', items: 0, reusedItems: 0, cases: 0, casesWithReuse: 1 }]);
    expect(counts(counters, 'population', '2025-02')).toEqual([{ month: '2025-02', items: 0, reusedItems: 0, cases: 1, casesWithReuse: 1 }]);
    expect(counts(counters, ALL_SECTORS, '2025-03')).toEqual([{ month: '2025-03', items: 2, reusedItems: 1, cases: 0, casesWithReuse: 0 }]);
    expect(cases.get(JSON.stringify(['BTP', '1.001234', 'HS-1']))).toMatchObject({ sectors: ['civil-status', 'population'], reusedSectors: ['population'] });
    // Nothing new: the case is not written again.
    const again = reuseChanges([later], classifier(), () => ({ ...known, sectors: ['civil-status', 'population'], reusedSectors: ['population'] }));
    expect(again.cases.size).toBe(0);
  });

  it('looks a known case up once per batch, however many of its records the batch holds', () => {
    const known: ReuseCase = { month: '2025-02', province: '', level: 'CENTRAL', sectors: ['civil-status', 'population'], reusedSectors: ['population'] };
    const records = [1, 2, 3].map((seq) => accessRecord(seq, { agency: 'BTP', caseNumber: 'HS-1', fields: ['birthRegistration.registrationNumber', 'fullName'] }));
    let lookups = 0;
    const { counters, cases } = reuseChanges(records, classifier(), () => {
      lookups += 1;
      return known;
    });
    expect(lookups).toBe(1);
    expect(cases.size).toBe(0);
    expect(counts(counters, ALL_SECTORS, '2025-03')).toEqual([{ month: '2025-03', items: 6, reusedItems: 3, cases: 0, casesWithReuse: 0 }]);
  });

  it('adds up many records of one kind per purpose, and tells a kind apart by its day, however many it has classified', () => {
    const shared = classifier();
    const fields = ['birthRegistration.registrationNumber', 'fullName', 'landParcels.area'];
    const records = [
      ...[1, 2, 3].map((seq) => accessRecord(seq, { agency: 'BTP', purpose: '1.001234', caseNumber: `HS-${seq}`, fields })),
      ...[4, 5].map((seq) => accessRecord(seq, { agency: 'BTP', purpose: '2.000001', caseNumber: 'HS-9', fields })),
    ];
    const { counters } = reuseChanges(records, shared, () => undefined);
    const all = counters.filter((c) => c.sector === ALL_SECTORS);
    expect(all.map(({ purpose, items, reusedItems, cases, casesWithReuse }) => ({ purpose, items, reusedItems, cases, casesWithReuse }))).toEqual([
      { purpose: '1.001234', items: 9, reusedItems: 6, cases: 3, casesWithReuse: 3 },
      { purpose: '2.000001', items: 6, reusedItems: 4, cases: 1, casesWithReuse: 1 },
    ]);
    expect(counters.filter((c) => c.sector === 'land').map(({ purpose, items, reusedItems }) => ({ purpose, items, reusedItems }))).toEqual([
      { purpose: '1.001234', items: 3, reusedItems: 3 },
      { purpose: '2.000001', items: 2, reusedItems: 2 },
    ]);
    // The same agency and fields on the day the land system changed hands: classified afresh.
    const before = shared.itemsOf(accessRecord(6, { agency: 'BTNMT', at: '2025-02-27T03:00:00.000Z', fields: ['landParcels.area'] }));
    const after = shared.itemsOf(accessRecord(7, { agency: 'BTNMT', at: '2025-03-05T03:00:00.000Z', fields: ['landParcels.area'] }));
    expect(before).toMatchObject({ level: 'CENTRAL', bySector: new Map([['land', { items: 1, reused: 0 }]]) });
    expect(after).toMatchObject({ level: 'UNKNOWN', bySector: new Map([['land', { items: 1, reused: 1 }]]) });
    expect(shared.itemsOf(accessRecord(8, { agency: 'BTNMT', at: '2025-02-27T09:00:00.000Z', fields: ['landParcels.area'] }))).toBe(before);
    // Past what it remembers, it starts afresh with the same answers.
    for (let n = 0; n < 5000; n += 1) shared.itemsOf(accessRecord(9, { agency: 'BTP', fields: [`field${n}`] }));
    expect(shared.itemsOf(accessRecord(10, { agency: 'BTNMT', at: '2025-02-27T03:00:00.000Z', fields: ['landParcels.area'] }))).toEqual(before);
  });

  it("sums the items of an answer's records by sector and agency level, for the data-items metric", () => {
    const records = [
      accessRecord(1, { agency: 'BTP', fields: ['birthRegistration.registrationNumber', 'fullName'] }),
      accessRecord(2, { agency: 'BTP', personalId: '001085000099', fields: ['fullName', 'household.members.relationship'] }),
      accessRecord(3, { agency: 'UBND-001', fields: ['fullName'] }),
      accessRecord(4, { agency: 'BTP', fields: [], outcome: 'DENIED', deniedFields: ['Citizen.fullName'] }),
    ];
    expect(sectorItems(records, classifier())).toEqual([
      { sector: 'civil-status', level: 'CENTRAL', items: 1, reused: 0 },
      { sector: 'population', level: 'CENTRAL', items: 3, reused: 3 },
      { sector: 'population', level: 'LOCAL', items: 1, reused: 1 },
    ]);
  });

  it('counts a record without returned fields (all denied) in nothing', () => {
    const { counters, cases } = reuseChanges([accessRecord(1, { fields: [], deniedFields: ['Citizen.fullName'], outcome: 'DENIED' })], classifier(), () => undefined);
    expect(counters).toEqual([]);
    expect(cases.size).toBe(0);
  });
});

describe('the report', () => {
  it('reads the all-sector rows unless grouped by sector, and groups in a fixed order', () => {
    expect(reuseReportSql({ from: '2025-01', to: '2025-06', groupBy: [] }, () => '?').sql).toContain('sector = ?');
    const bySector = reuseReportSql({ from: '2025-01', to: '2025-06', groupBy: ['SECTOR', 'MONTH', 'SECTOR'] }, (n) => `$${n}`);
    expect(bySector.sql).toContain('sector <> $3');
    expect(bySector.sql).toMatch(/GROUP BY month, sector ORDER BY month, sector$/);
    expect(bySector.params).toEqual(['2025-01', '2025-06', ALL_SECTORS]);
  });
});
