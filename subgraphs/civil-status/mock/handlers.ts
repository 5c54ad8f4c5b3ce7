import { digitizationBatchRequest, type DigitizationStatusCode } from '../../../lib/backend/digitization.ts';
import { factById, localityCodesOf, sourceIdsOf, sourcesOf, type Fact } from '../../../lib/backend/facts.ts';
import { healthHandler } from '../../../lib/devkit/mock-server.ts';
import { partition } from '../../../lib/devkit/mock-handlers.ts';
import { REFERENCE_DATA_CACHING, route, type MockRoute } from '../../../lib/devkit/mock-routes.ts';
import { unitOfLegacyCode } from '../../../lib/domain/administrative-units.ts';
import type { SourceRecord } from '../../../lib/backend/sources.ts';
import type { MarriageTruth, PersonTruth } from '../../../lib/domain/synthetic/types.ts';
import { SyntheticWorld } from '../../../lib/domain/synthetic/world.ts';
import { civilStatusBatchRequest, type CivilStatusRecord, type EndReasonCode, type MarriageRecord, type ProvinceDigitizationRecord } from '../adapter/wire.ts';

const END_REASON_CODES: Record<NonNullable<MarriageTruth['endReason']>, EndReasonCode> = { DIVORCE: 'LY_HON', DEATH: 'CHET' };

/**
 * Which province each published fact speaks for, and with what status; the figures themselves are
 * read from the fact. Later reports come last and win. The aggregate counts (localities mostly
 * completed, in progress, lagging) name no province and are attributed to none.
 */
const PROVINCE_REPORTS: { factId: string; status: DigitizationStatusCode; provinceCode?: string }[] = [
  // Names its 14 localities; the 111.5 million records are their total, not a per-province figure.
  { factId: 'civil-status.completed.2024-09', status: 'HOAN_THANH' },
  { factId: 'civil-status.hcmc.2024-11-11', status: 'HOAN_THANH', provinceCode: '079' },
  { factId: 'civil-status.binh-duong.2024-11-11', status: 'CO_BAN_HOAN_THANH', provinceCode: '074' },
];

function figure(fact: Fact, name: 'value' | 'rate'): number | null {
  const value = fact[name];
  if (value !== undefined && typeof value !== 'number') throw new Error(`fact ${fact.id}: ${name} is not a number`);
  return value ?? null;
}

/** Each reported province's record, with the sources it names. */
function publishedDigitization(): Map<string, { record: ProvinceDigitizationRecord; sources: SourceRecord[] }> {
  const reports = new Map<string, { record: ProvinceDigitizationRecord; sources: SourceRecord[] }>();
  for (const { factId, status, provinceCode } of PROVINCE_REPORTS) {
    const fact = factById(factId);
    const perProvince = provinceCode !== undefined;
    for (const code of perProvince ? [provinceCode] : localityCodesOf(fact)) {
      reports.set(code, {
        record: {
          provinceCode: code,
          status,
          recordsDigitized: perProvince ? figure(fact, 'value') : null,
          digitizedShare: perProvince ? figure(fact, 'rate') : null,
          statement: fact.statement,
          asOf: fact.asOf,
          sourceIds: sourceIdsOf(fact),
        },
        sources: sourcesOf(fact),
      });
    }
  }
  return reports;
}

const notReported = (provinceCode: string): ProvinceDigitizationRecord => ({
  provinceCode,
  status: 'CHUA_BAO_CAO',
  recordsDigitized: null,
  digitizedShare: null,
  statement: null,
  asOf: null,
  sourceIds: [],
});

/** The route table of the civil-status backend (contract: ../adapter/CONTRACT.md). */
export function civilStatusHandlers(world: SyntheticWorld = new SyntheticWorld()): MockRoute[] {
  const digitization = publishedDigitization();

  const marriageRecord = (m: MarriageTruth): MarriageRecord => ({
    registrationNumber: m.registrationNumber,
    registeredOn: m.registeredOn,
    registryOffice: m.registryOffice,
    husbandId: m.husbandId,
    wifeId: m.wifeId,
    endReason: m.endReason ? END_REASON_CODES[m.endReason] : null,
    endedOn: m.endedOn ?? null,
  });

  const civilStatusRecord = ({ personalId }: PersonTruth): CivilStatusRecord => {
    const birth = world.birthRegistrationOf(personalId);
    const death = world.deathRegistrationOf(personalId);
    return {
      personalId,
      birthRegistration: birth
        ? {
            registrationNumber: birth.registrationNumber,
            registeredOn: birth.registeredOn,
            registryOffice: birth.registryOffice,
            fullName: birth.fullName,
            dateOfBirth: birth.birthDate,
            fatherId: birth.fatherId ?? null,
            motherId: birth.motherId ?? null,
          }
        : null,
      marriages: world.marriagesOf(personalId).map(marriageRecord),
      deathRegistration: death
        ? {
            registrationNumber: death.registrationNumber,
            registeredOn: death.registeredOn,
            dateOfDeath: death.dateOfDeath,
            registryOffice: death.registryOffice,
          }
        : null,
    };
  };

  return [
    healthHandler('civil-status'),
    route.post('/v1/civil-status/batch-get', (request) => {
      const read = request.json(civilStatusBatchRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.personalIds, (id) => world.person(id));
      return { status: 200, json: { records: found.map(civilStatusRecord), notFound } };
    }),
    route.post('/v1/digitization/provinces/batch-get', (request) => {
      const read = request.json(digitizationBatchRequest);
      if (!read.ok) return read.reply;
      const { found, notFound } = partition(read.body.provinceCodes, (code) =>
        unitOfLegacyCode(code) ? (digitization.get(code) ?? { record: notReported(code), sources: [] }) : undefined,
      );
      const sources = new Map(found.flatMap((f) => f.sources).map((s) => [s.id, s]));
      return { status: 200, json: { provinces: found.map((f) => f.record), sources: [...sources.values()], notFound }, headers: REFERENCE_DATA_CACHING };
    }),
  ];
}
