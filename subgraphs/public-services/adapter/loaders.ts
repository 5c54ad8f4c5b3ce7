import type { CallContext } from '../../../lib/backend-client.ts';
import { SystemError, SystemErrorCode } from '../../../lib/errors.ts';
import { once } from '../../../lib/loaders.ts';
import type { Catalogue, PublicServicesAdapter } from './client.ts';

/**
 * Records the backend names by key in another list (a province's indicators, an indicator's
 * provinces): a key that list lacks is a broken contract, never silently dropped.
 */
function named<T>(list: Catalogue<T>, keys: readonly string[], what: string): T[] {
  return keys.map((key) => {
    const item = list.byKey.get(key);
    if (item === undefined) {
      throw new SystemError('public-services', SystemErrorCode.BAD_RESPONSE, `a record names ${what} ${key}, which its list lacks`);
    }
    return item;
  });
}

/** Each reference list is fetched at most once per GraphQL request, whatever the query selects. */
export function createPublicServicesLoaders(adapter: PublicServicesAdapter, call: CallContext) {
  const provinces = once(() => adapter.getProvinces(call));
  const indicators = once(() => adapter.getIndicators(call));
  return {
    provinces,
    agencies: once(() => adapter.getAgencies(call)),
    indicators,
    interconnectedServiceGroups: once(() => adapter.getInterconnectedServiceGroups(call)),
    provincesNamed: async (codes: readonly string[]) => named(await provinces(), codes, 'province'),
    indicatorsNamed: async (ids: readonly string[]) => named(await indicators(), ids, 'indicator'),
  };
}
export type PublicServicesLoaders = ReturnType<typeof createPublicServicesLoaders>;
