import { contractCheck, healthCheck, type ContractCheck } from '../../../lib/connection-test.ts';
import { issuePath } from '../../../lib/contract-issues.ts';
import { provincialUnitById } from '../../../lib/administrative-units.ts';
import { PROVINCES, provinceByCode } from '../../../lib/provinces.ts';
import {
  agenciesResponse,
  indicatorsResponse,
  populationDbConnectionsResponse,
  provincesResponse,
  serviceGroupsResponse,
} from './wire.ts';

/**
 * The connection test of the public-services backend (CONTRACT.md, "Connection test"): health, then
 * each reference list once. Each answer is checked by the adapter's own schemas (sources cited,
 * keys listed once, reported statuses sourced); the checks add the rules between the lists.
 */

type Reference = readonly [where: PropertyKey[], key: string];

/** The problem with the first reference whose key is not among `served`, said by `problem` with where it is. */
function unserved(references: Reference[], served: readonly string[] | undefined, problem: (at: string) => string): string | undefined {
  if (!served) return undefined;
  const keys = new Set(served);
  const first = references.find(([, key]) => !keys.has(key));
  return first && problem(issuePath(first[0]));
}

const provinces = contractCheck({
  method: 'GET',
  path: '/v1/provinces',
  expectation: `HTTP 200 application/json {provinces, sources}: the ${PROVINCES.length} provinces, each once, every cited source in sources`,
  schema: provincesResponse,
  verify: (answer) => {
    if (answer.provinces.length !== PROVINCES.length) {
      return `answer has ${answer.provinces.length} provinces; the contract says ${PROVINCES.length}`;
    }
    const stranger = answer.provinces.findIndex((p) => !provinceByCode(p.code));
    return stranger < 0 ? undefined : `answer has a province code that is not one of the ${PROVINCES.length} (at provinces[${stranger}].code)`;
  },
});

const indicators = contractCheck({
  method: 'GET',
  path: '/v1/indicators',
  expectation:
    'HTTP 200 application/json {indicators, sources}: each indicator once with a date and a cited source, every cited source in sources; every province code it names, and every indicator a province names, served',
  schema: indicatorsResponse,
  verify: (answer, earlier) => {
    const provinceList = earlier.answerOf(provinces)?.provinces;
    return (
      unserved(
        answer.indicators.flatMap((indicator, i) => indicator.localityCodes.map((code, j): Reference => [['indicators', i, 'localityCodes', j], code])),
        provinceList?.map((p) => p.code),
        (at) => `an indicator names a province that GET /v1/provinces does not serve (at ${at})`,
      ) ??
      unserved(
        (provinceList ?? []).flatMap((province, i) => province.indicatorIds.map((id, j): Reference => [['provinces', i, 'indicatorIds', j], id])),
        answer.indicators.map((indicator) => indicator.id),
        (at) => `GET /v1/provinces names an indicator this list does not serve (at ${at})`,
      )
    );
  },
});

export const publicServicesContractChecks: readonly ContractCheck[] = [
  healthCheck,
  provinces,
  indicators,
  contractCheck({
    method: 'GET',
    path: '/v1/agencies',
    expectation:
      'HTTP 200 application/json {agencies, acts, sources}: each agency once with its dates, every act it cites in acts and every predecessor and successor in agencies, no code on two agencies the same day, a provincial-level unit exactly for UBND_TINH with the unit\'s dates, every cited source in sources',
    schema: agenciesResponse,
    verify: (answer) => {
      const stranger = answer.agencies.findIndex((agency) => {
        if (agency.provinceId === null) return false;
        const unit = provincialUnitById(agency.provinceId);
        return !unit || unit.validFrom !== agency.validFrom || unit.validTo !== agency.validTo;
      });
      return stranger < 0
        ? undefined
        : `an agency names a provincial-level unit the registry does not have, or one of other dates (at agencies[${stranger}].provinceId)`;
    },
  }),
  contractCheck({
    method: 'GET',
    path: '/v1/population-db-connections',
    expectation: 'HTTP 200 application/json {figureIds}: each id once, every one an indicator served by GET /v1/indicators',
    schema: populationDbConnectionsResponse,
    verify: (answer, earlier) =>
      unserved(
        answer.figureIds.map((id, i): Reference => [['figureIds', i], id]),
        earlier.answerOf(indicators)?.indicators.map((indicator) => indicator.id),
        (at) => `a figure id is not an indicator served by GET /v1/indicators (at ${at})`,
      ),
  }),
  contractCheck({
    method: 'GET',
    path: '/v1/interconnected-service-groups',
    expectation: 'HTTP 200 application/json {groups, sources}: each group with at least one procedure and one cited source, every cited source in sources',
    schema: serviceGroupsResponse,
  }),
];
