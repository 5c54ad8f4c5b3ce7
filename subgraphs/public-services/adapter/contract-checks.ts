import { contractCheck, healthCheck, type ContractCheck } from '../../../lib/backend/connection-test.ts';
import { issuePath } from '../../../lib/backend/contract-issues.ts';
import { PROVINCIAL_UNITS, provincialUnitById } from '../../../lib/domain/administrative-units.ts';
import { agenciesResponse, type AgenciesResponse, indicatorsResponse, populationDbConnectionsResponse, provincesResponse, serviceGroupsResponse } from './wire.ts';

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
  expectation: `HTTP 200 application/json {provinces, acts, sources}: the ${PROVINCIAL_UNITS.length} provincial units of the registry (past and present), each once by id, every unit and act they name and every cited source in the answer`,
  schema: provincesResponse,
  verify: (answer) => {
    if (answer.provinces.length !== PROVINCIAL_UNITS.length) {
      return `answer has ${answer.provinces.length} provincial units; the contract says ${PROVINCIAL_UNITS.length}`;
    }
    const stranger = answer.provinces.findIndex((p) => provincialUnitById(p.id)?.code !== p.code);
    return stranger < 0 ? undefined : `answer has a unit id or code the registry does not have (at provinces[${stranger}])`;
  },
});

const indicators = contractCheck({
  method: 'GET',
  path: '/v1/indicators',
  expectation:
    'HTTP 200 application/json {indicators, sources}: each indicator once with a date and a cited source, every cited source in sources; every province id it names, and every indicator a province names, served',
  schema: indicatorsResponse,
  verify: (answer, earlier) => {
    const provinceList = earlier.answerOf(provinces)?.provinces;
    return (
      unserved(
        answer.indicators.flatMap((indicator, i) => indicator.localityCodes.map((code, j): Reference => [['indicators', i, 'localityCodes', j], code])),
        provinceList?.map((p) => p.id),
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

/** The first sector database figure that is not an indicator of `GET /v1/indicators`. */
const sectorFiguresUnserved = (answer: AgenciesResponse, served: readonly string[] | undefined) =>
  unserved(
    answer.agencies.flatMap((agency, i) =>
      agency.sectorDatabases.flatMap((db, j) => db.figureIds.map((id, k): Reference => [['agencies', i, 'sectorDatabases', j, 'figureIds', k], id])),
    ),
    served,
    (at) => `a sector database names a figure that GET /v1/indicators does not serve (at ${at})`,
  );

export const publicServicesContractChecks: readonly ContractCheck[] = [
  healthCheck,
  provinces,
  indicators,
  contractCheck({
    method: 'GET',
    path: '/v1/agencies',
    expectation:
      "HTTP 200 application/json {agencies, acts, sources}: each agency once with its dates, every act it cites in acts and every predecessor and successor in agencies, no code on two agencies the same day, a provincial-level unit exactly for UBND_TINH with the unit's dates, every sector database figure an indicator of GET /v1/indicators, every cited source in sources",
    schema: agenciesResponse,
    verify: (answer, earlier) => {
      const stranger = answer.agencies.findIndex((agency) => {
        if (agency.provinceId === null) return false;
        const unit = provincialUnitById(agency.provinceId);
        return !unit || unit.validFrom !== agency.validFrom || unit.validTo !== agency.validTo;
      });
      if (stranger >= 0) return `an agency names a provincial-level unit the registry does not have, or one of other dates (at agencies[${stranger}].provinceId)`;
      return sectorFiguresUnserved(
        answer,
        earlier.answerOf(indicators)?.indicators.map((indicator) => indicator.id),
      );
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
