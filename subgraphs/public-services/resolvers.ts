import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { assertText, badInput } from '../../lib/graph-input.ts';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import type { PublicServicesLoaders } from './adapter/loaders.ts';
import type {
  AgencyKind,
  AgencyModel,
  ConnectionStatus,
  IndicatorModel,
  ProvinceModel,
  SectorDatabaseModel,
} from './adapter/mapping.ts';

type Context = SubgraphContext<PublicServicesLoaders>;

const province = async (ctx: Context, code: string) => (await ctx.loaders.provinces()).byKey.get(code) ?? null;
const agency = async (ctx: Context, code: string) => (await ctx.loaders.agencies()).byKey.get(code) ?? null;
/** An optional filter argument: absent admits every value. */
const admits = <T>(filter: T | null | undefined, value: T) => !filter || filter === value;

export const resolvers: GraphQLResolverMap<Context> = {
  Query: {
    provinces: async (_: unknown, __: unknown, ctx: Context) => (await ctx.loaders.provinces()).list,
    province: (_: unknown, args: { code: string }, ctx: Context) => {
      if (!/^[0-9]{3}$/.test(args.code)) throw badInput('code', 'expected a three-digit province code such as "001"');
      return province(ctx, args.code);
    },
    agencies: async (_: unknown, args: { kind?: AgencyKind | null; connectionStatus?: ConnectionStatus | null }, ctx: Context) =>
      (await ctx.loaders.agencies()).list.filter(
        (a) => admits(args.kind, a.kind) && admits(args.connectionStatus, a.populationDbConnection.status),
      ),
    agency: (_: unknown, args: { code: string }, ctx: Context) => agency(ctx, assertText(args.code, 'code', 32)),
    programmeIndicators: async (_: unknown, __: unknown, ctx: Context) => (await ctx.loaders.indicators()).list,
    programmeIndicator: async (_: unknown, args: { id: string }, ctx: Context) =>
      (await ctx.loaders.indicators()).byKey.get(assertText(args.id, 'id', 100)) ?? null,
    interconnectedServiceGroups: (_: unknown, __: unknown, ctx: Context) => ctx.loaders.interconnectedServiceGroups(),
    // Each part of the overview fetches what it needs when it is selected.
    populationDbConnections: () => ({}),
  },
  PopulationDbConnectionOverview: {
    reportedFigures: (_: unknown, __: unknown, ctx: Context) => ctx.loaders.populationDbConnectionFigures(),
    registry: (_: unknown, __: unknown, ctx: Context) => ctx.loaders.agencyStatusTally(),
    sectorDatabases: async (_: unknown, args: { connectionStatus?: ConnectionStatus | null }, ctx: Context) =>
      (await ctx.loaders.sectorDatabases()).filter((db) => admits(args.connectionStatus, db.populationDbConnection.status)),
  },
  SectorDatabase: {
    agency: async (db: SectorDatabaseModel, _: unknown, ctx: Context) => (await ctx.loaders.agenciesNamed([db.agencyCode]))[0],
  },
  Province: {
    __resolveReference: (ref: { code: string }, ctx: Context) => province(ctx, ref.code),
    indicators: (p: ProvinceModel, _: unknown, ctx: Context) => ctx.loaders.indicatorsNamed(p.indicatorIds),
  },
  Agency: {
    __resolveReference: (ref: { code: string }, ctx: Context) => agency(ctx, ref.code),
    province: async (a: AgencyModel, _: unknown, ctx: Context) =>
      a.provinceCode === null ? null : (await ctx.loaders.provincesNamed([a.provinceCode]))[0],
  },
  Indicator: {
    localities: (i: IndicatorModel, _: unknown, ctx: Context) => ctx.loaders.provincesNamed(i.localityCodes),
  },
};
