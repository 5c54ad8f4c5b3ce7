import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInVietnam } from '../lib/domain/administrative-units.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import type { TestCredential } from '../lib/devkit/test-credentials.ts';
import { sampleValue } from '../lib/devkit/metrics-text.ts';

/** `reuseStatistics` and the reuse metrics over the real gateway, its SQLite access log and the mocks. */
let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

const AUDITOR: TestCredential = { apiKey: 'auditor', purpose: null, caseNumber: null };
const officer = (purpose: string, caseNumber: string): TestCredential => ({ apiKey: 'landOfficer', purpose, caseNumber });
const NAME_AND_PARCELS = 'query($id: ID!) { citizen(personalId: $id) { fullName landParcels { parcelId } } }';
const REPORT = `query($from: String, $to: String, $groupBy: [ReuseDimension!]!) {
  reuseStatistics(from: $from, to: $to, groupBy: $groupBy) {
    from to groupBy
    groups { month agencyCode agency { id } purpose { code } sector provinceId provinceName level dataItems reusedDataItems reusedShare cases casesWithReuse caseReuseShare }
  }
}`;

async function report(variables: Record<string, unknown>, as: TestCredential | null = AUDITOR) {
  const { status, body } = await system.query(REPORT, variables, { as });
  return { status, body: body as { data?: { reuseStatistics: { groups: Record<string, unknown>[] } } | null; errors?: { extensions?: { code?: string } }[] } };
}

describe('reuseStatistics', () => {
  it('counts what the answers returned, by agency, purpose, month and sector, the same case once', async () => {
    const thisMonth = todayInVietnam().slice(0, 7);
    const before = await metric();
    // The land officer (BNNMT, owner of the land system): a name (population) and the parcels (land), twice on one case.
    for (let i = 0; i < 2; i++) expect((await system.query(NAME_AND_PARCELS, { id: NAMED_IDS.head }, { as: officer('land-transfer', 'REUSE-1') })).status).toBe(200);
    const { body } = await report({ from: thisMonth, to: thisMonth, groupBy: ['SECTOR', 'AGENCY', 'MONTH', 'PURPOSE', 'LEVEL', 'PROVINCE'] });
    expect(body.errors).toBeUndefined();
    const groups = body.data!.reuseStatistics.groups.filter((g) => (g.purpose as { code: string }).code === 'land-transfer');
    const common = {
      month: thisMonth,
      agencyCode: 'BNNMT',
      agency: { id: 'BNNMT-2025-03-01' },
      purpose: { code: 'land-transfer' },
      provinceId: null,
      provinceName: null,
      level: 'CENTRAL',
    };
    // The parcels' right holders (the head and his wife) get records of their own: their names are population items too.
    expect(groups).toContainEqual({ ...common, sector: 'land', dataItems: 2, reusedDataItems: 0, reusedShare: 0, cases: 1, casesWithReuse: 0, caseReuseShare: 0 });
    const population = groups.find((g) => g.sector === 'population')!;
    expect(population).toMatchObject({ ...common, cases: 1, casesWithReuse: 1, caseReuseShare: 1 });
    expect(population.dataItems).toBe(population.reusedDataItems);
    expect(population.dataItems).toBeGreaterThanOrEqual(2);
    // Prometheus counts the same items, once committed.
    const after = await metric();
    expect(after.populationReused - before.populationReused).toBe(population.dataItems);
    expect(after.landOwn - before.landOwn).toBe(2);
  });

  it('answers one total without groupBy, zeros for months without records, and the bounds as asked', async () => {
    const { body } = await report({ from: '2001-01', to: '2001-12', groupBy: [] });
    expect(body.data!.reuseStatistics).toEqual({
      from: '2001-01',
      to: '2001-12',
      groupBy: [],
      groups: [
        {
          month: null,
          agencyCode: null,
          agency: null,
          purpose: null,
          sector: null,
          provinceId: null,
          provinceName: null,
          level: null,
          dataItems: 0,
          reusedDataItems: 0,
          reusedShare: null,
          cases: 0,
          casesWithReuse: 0,
          caseReuseShare: null,
        },
      ],
    });
  });

  it('is open by month, sector and level to any caller, and needs the auditor role by agency, purpose or province', async () => {
    const open = await report({ groupBy: ['SECTOR', 'LEVEL', 'MONTH'] }, null);
    expect(open.status).toBe(200);
    expect(open.body.errors).toBeUndefined();
    expect(open.body.data!.reuseStatistics.groups.length).toBeGreaterThan(0);
    for (const groupBy of [['AGENCY'], ['PURPOSE'], ['PROVINCE', 'SECTOR']]) {
      const refused = await report({ groupBy }, officer('land-transfer', 'REUSE-2'));
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('refuses a month that is not YYYY-MM, and a range that ends before it starts', async () => {
    for (const variables of [{ from: '2026-13' }, { to: '2026-1' }, { from: '2026-11-01' }, { from: '2026-12', to: '2026-11' }]) {
      const { body } = await report({ groupBy: [], ...variables });
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

async function metric() {
  const text = await (await fetch(system.gateway.metricsUrl)).text();
  const value = (labels: Record<string, string>) => sampleValue(text, 'lien_thong_data_items_total', labels) ?? 0;
  return {
    populationReused: value({ sector: 'population', level: 'CENTRAL', reused: 'true' }),
    landOwn: value({ sector: 'land', level: 'CENTRAL', reused: 'false' }),
  };
}
