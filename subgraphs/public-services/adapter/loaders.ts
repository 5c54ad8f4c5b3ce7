import type { SubgraphContext } from '../../../lib/runtime/subgraph.ts';
import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { SystemError, SystemErrorCode } from '../../../lib/runtime/errors.ts';
import { once } from '../../../lib/runtime/loaders.ts';
import { existedOn } from '../../../lib/domain/dated-history.ts';
import type { Catalogue, PublicServicesAdapter } from './client.ts';
import { AGENCY_KINDS, CONNECTION_STATUSES, type AgencyModel, type IndicatorModel } from './mapping.ts';

/**
 * Records the backend names by key in another list (a province's indicators, an indicator's
 * provinces): a key that list lacks is a broken contract, never silently dropped.
 */
function named<T>(list: Catalogue<T>, keys: readonly string[], what: string): T[] {
  return keys.map((key) => namedOne(list, key, what));
}

function namedOne<T>(list: Catalogue<T>, key: string, what: string): T {
  const item = list.byKey.get(key);
  if (item === undefined) {
    throw new SystemError('public-services', SystemErrorCode.BAD_RESPONSE, `a record names ${what} ${key}, which its list lacks`);
  }
  return item;
}

/**
 * Figures newest `asOf` first (ISO 8601 text order, so a date published only to the month sorts
 * before the days of that month); ties in the order of the indicators list (the programme facts).
 */
function newestFirst(indicators: Catalogue<IndicatorModel>, figures: IndicatorModel[]): IndicatorModel[] {
  const position = new Map(indicators.list.map((indicator, index) => [indicator.id, index]));
  const rank = (indicator: IndicatorModel) => position.get(indicator.id) ?? 0;
  return figures.sort((a, b) => (a.asOf === b.asOf ? rank(a) - rank(b) : a.asOf < b.asOf ? 1 : -1));
}

/**
 * The registry's own statuses counted by kind and status (not a published figure): one entry per
 * pair that has an agency, kinds in `AgencyKind` order, then statuses in `ConnectionStatus` order.
 */
function tallyByKindAndStatus(agencies: readonly AgencyModel[]) {
  return AGENCY_KINDS.flatMap((kind) =>
    CONNECTION_STATUSES.map((status) => ({
      kind,
      status,
      agencies: agencies.filter((a) => a.kind === kind && a.populationDbConnection.status === status).length,
    })),
  ).filter((tally) => tally.agencies > 0);
}

/** Each reference list is fetched at most once per GraphQL request, whatever the query selects. */
export function createPublicServicesLoaders(adapter: PublicServicesAdapter, call: CallContext) {
  const provinces = once(() => adapter.getProvinces(call));
  const agencies = once(() => adapter.getAgencies(call));
  const indicators = once(() => adapter.getIndicators(call));
  const connectionFigureIds = once(() => adapter.getPopulationDbConnectionFigureIds(call));
  return {
    provinces,
    agencies,
    indicators,
    /** The published figures about connections to the national population database, newest first. */
    populationDbConnectionFigures: once(async () => {
      const [list, ids] = await Promise.all([indicators(), connectionFigureIds()]);
      return newestFirst(list, named(list, ids, 'indicator'));
    }),
    /** The agencies that existed on `date` counted by kind and status. */
    agencyStatusTally: async (date: string) => tallyByKindAndStatus((await agencies()).list.filter((a) => existedOn(a, date))),
    /** Every sector database the registry lists, in registry order. */
    sectorDatabases: once(async () => (await agencies()).list.flatMap((a) => a.sectorDatabases)),
    interconnectedServiceGroups: once(() => adapter.getInterconnectedServiceGroups(call)),
    provincesNamed: async (codes: readonly string[]) => named(await provinces(), codes, 'province'),
    agencyNamed: async (id: string) => namedOne(await agencies(), id, 'agency'),
    agenciesNamed: async (ids: readonly string[]) => named(await agencies(), ids, 'agency'),
    indicatorsNamed: async (ids: readonly string[]) => named(await indicators(), ids, 'indicator'),
  };
}
export type PublicServicesLoaders = ReturnType<typeof createPublicServicesLoaders>;
/** What this subgraph's resolvers receive as context (the generated resolver types' `contextType`). */
export type PublicServicesContext = SubgraphContext<PublicServicesLoaders>;
