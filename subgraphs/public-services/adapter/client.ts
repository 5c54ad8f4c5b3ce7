import type { CallContext } from '../../../lib/backend/backend-client.ts';
import { indexSources } from '../../../lib/backend/sources.ts';
import { BackendAdapter } from '../../../lib/runtime/subgraph.ts';
import {
  agencyFromRecord,
  indexActs,
  connectionFigureIdsFromRecord,
  indicatorFromRecord,
  provincesFromRecords,
  serviceGroupFromRecord,
  type AgencyModel,
  type IndicatorModel,
  type InterconnectedServiceGroupModel,
  type ProvinceModel,
} from './mapping.ts';
import { agenciesResponse, indicatorsResponse, populationDbConnectionsResponse, provincesResponse, serviceGroupsResponse } from './wire.ts';

/** A reference list in the backend's order, indexed by its key (province id, agency id, indicator id). */
export interface Catalogue<T> {
  list: readonly T[];
  byKey: ReadonlyMap<string, T>;
}

function catalogue<T>(list: T[], keyOf: (item: T) => string): Catalogue<T> {
  return { list, byKey: new Map(list.map((item) => [keyOf(item), item])) };
}

/** Typed access to the public-services backend; the only code that knows its wire format. */
export class PublicServicesAdapter extends BackendAdapter {
  /** Every provincial unit the registry has had, in code order then oldest first, by id. */
  async getProvinces(call?: CallContext): Promise<Catalogue<ProvinceModel>> {
    return this.derived(await this.client.get('/v1/provinces', provincesResponse, call), (answer) => {
      const provinces = provincesFromRecords(answer.provinces, indexActs(answer.acts), indexSources(answer.sources)).sort(
        (a, b) => a.code.localeCompare(b.code) || (a.validFrom ?? '').localeCompare(b.validFrom ?? ''),
      );
      return catalogue(provinces, (p) => p.id);
    });
  }

  /** Every agency the registry records, with its dates, in registry order, indexed by id. */
  async getAgencies(call?: CallContext): Promise<Catalogue<AgencyModel>> {
    return this.derived(await this.client.get('/v1/agencies', agenciesResponse, call), (answer) => {
      const sources = indexSources(answer.sources);
      const acts = indexActs(answer.acts);
      return catalogue(
        answer.agencies.map((a) => agencyFromRecord(a, sources, acts)),
        (a) => a.id,
      );
    });
  }

  /** Every published programme figure, in the order the backend publishes them. */
  async getIndicators(call?: CallContext): Promise<Catalogue<IndicatorModel>> {
    return this.derived(await this.client.get('/v1/indicators', indicatorsResponse, call), (answer) => {
      const sources = indexSources(answer.sources);
      return catalogue(
        answer.indicators.map((i) => indicatorFromRecord(i, sources)),
        (i) => i.id,
      );
    });
  }

  /**
   * The ids of the published figures about connections to the national population database, as
   * the backend classifies them; the figures are in `getIndicators`.
   */
  async getPopulationDbConnectionFigureIds(call?: CallContext): Promise<string[]> {
    return this.derived(await this.client.get('/v1/population-db-connections', populationDbConnectionsResponse, call), connectionFigureIdsFromRecord);
  }

  async getInterconnectedServiceGroups(call?: CallContext): Promise<InterconnectedServiceGroupModel[]> {
    return this.derived(await this.client.get('/v1/interconnected-service-groups', serviceGroupsResponse, call), (answer) => {
      const sources = indexSources(answer.sources);
      return answer.groups.map((g) => serviceGroupFromRecord(g, sources));
    });
  }
}
