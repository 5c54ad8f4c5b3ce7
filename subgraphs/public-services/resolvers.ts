import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { existedOn, holdersOn } from '../../lib/dated-history.ts';
import { asOfDay, assertText, badInput } from '../../lib/graph-input.ts';
import { parsePartialDate, partialDateForGraph } from '../../lib/partial-date.ts';
import { sourceResolvers } from '../../lib/sources.ts';
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

const provinceById = async (ctx: Context, id: string) => (await ctx.loaders.provinces()).byKey.get(id) ?? null;
const provincesOn = async (ctx: Context, day: string) => (await ctx.loaders.provinces()).list.filter((p) => existedOn(p, day));
/** The agency that had `code` on `date`: a code is reused by a later agency, so the date decides. */
const agencyWithCode = async (ctx: Context, code: string, date: string) =>
  (await ctx.loaders.agencies()).list.find((a) => a.code === code && existedOn(a, date)) ?? null;
/** An optional filter argument: absent admits every value. */
const admits = <T>(filter: T | null | undefined, value: T) => !filter || filter === value;

export const resolvers: GraphQLResolverMap<Context> = {
  Query: {
    provinces: (_: unknown, args: { at?: string | null }, ctx: Context) => provincesOn(ctx, asOfDay(args.at)),
    province: async (_: unknown, args: { code: string; at?: string | null }, ctx: Context) => {
      if (!/^[0-9]{3}$/.test(args.code)) throw badInput('code', 'expected a three-digit province code such as "001"');
      return (await provincesOn(ctx, asOfDay(args.at))).find((p) => p.code === args.code) ?? null;
    },
    administrativeActs: async (_: unknown, __: unknown, ctx: Context) => {
      const acts = new Map((await ctx.loaders.provinces()).list.flatMap((p) => [p.establishedBy, p.endedBy]).flatMap((a) => (a ? [[a.id, a]] : [])));
      return [...acts.values()].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
    },
    agencies: async (
      _: unknown,
      args: { kind?: AgencyKind | null; connectionStatus?: ConnectionStatus | null; at?: string | null },
      ctx: Context,
    ) => {
      const date = asOfDay(args.at);
      return (await ctx.loaders.agencies()).list.filter(
        (a) => existedOn(a, date) && admits(args.kind, a.kind) && admits(args.connectionStatus, a.populationDbConnection.status),
      );
    },
    agency: (_: unknown, args: { code: string; at?: string | null }, ctx: Context) =>
      agencyWithCode(ctx, assertText(args.code, 'code', 32), asOfDay(args.at)),
    programmeIndicators: async (_: unknown, __: unknown, ctx: Context) => (await ctx.loaders.indicators()).list,
    programmeIndicator: async (_: unknown, args: { id: string }, ctx: Context) =>
      (await ctx.loaders.indicators()).byKey.get(assertText(args.id, 'id', 100)) ?? null,
    interconnectedServiceGroups: (_: unknown, __: unknown, ctx: Context) => ctx.loaders.interconnectedServiceGroups(),
    // Each part of the overview fetches what it needs when it is selected.
    populationDbConnections: () => ({}),
  },
  PopulationDbConnectionOverview: {
    reportedFigures: (_: unknown, __: unknown, ctx: Context) => ctx.loaders.populationDbConnectionFigures(),
    registry: (_: unknown, args: { at?: string | null }, ctx: Context) => ctx.loaders.agencyStatusTally(asOfDay(args.at)),
    sectorDatabases: async (_: unknown, args: { connectionStatus?: ConnectionStatus | null }, ctx: Context) =>
      (await ctx.loaders.sectorDatabases()).filter((db) => admits(args.connectionStatus, db.populationDbConnection.status)),
  },
  SectorDatabase: {
    agency: async (db: SectorDatabaseModel, _: unknown, ctx: Context) => (await ctx.loaders.agenciesNamed([db.agencyId]))[0],
    indicators: (db: SectorDatabaseModel, _: unknown, ctx: Context) => ctx.loaders.indicatorsNamed(db.figureIds),
  },
  Source: sourceResolvers,
  Province: {
    __resolveReference: (ref: { id: string }, ctx: Context) => provinceById(ctx, ref.id),
    predecessors: (p: ProvinceModel, _: unknown, ctx: Context) => ctx.loaders.provincesNamed(p.predecessorIds),
    successors: (p: ProvinceModel, _: unknown, ctx: Context) => ctx.loaders.provincesNamed(p.successorIds),
    successorsOn: async (p: ProvinceModel, args: { at?: string | null }, ctx: Context) => {
      const units = await ctx.loaders.provinces();
      return holdersOn(p, asOfDay(args.at), (unit) => unit.successorIds.map((id) => units.byKey.get(id)!));
    },
    indicators: (p: ProvinceModel, _: unknown, ctx: Context) => ctx.loaders.indicatorsNamed(p.indicatorIds),
  },
  Agency: {
    // By id (one agency, whatever the date) or by code (the agency that has it today).
    __resolveReference: async (ref: { id?: string; code?: string }, ctx: Context) =>
      ref.id !== undefined
        ? ((await ctx.loaders.agencies()).byKey.get(ref.id) ?? null)
        : agencyWithCode(ctx, ref.code ?? '', asOfDay(null)),
    // The provincial-level unit of the committee's own dates, by its registry id.
    province: async (a: AgencyModel, _: unknown, ctx: Context) =>
      a.provinceId === null ? null : ((await ctx.loaders.provinces()).byKey.get(a.provinceId) ?? null),
    predecessors: (a: AgencyModel, _: unknown, ctx: Context) => ctx.loaders.agenciesNamed(a.predecessorIds),
    successors: (a: AgencyModel, _: unknown, ctx: Context) => ctx.loaders.agenciesNamed(a.successorIds),
  },
  Indicator: {
    localities: (i: IndicatorModel, _: unknown, ctx: Context) => ctx.loaders.provincesNamed(i.localityCodes),
    // The wire schema admits only YYYY, YYYY-MM or YYYY-MM-DD, so the date parses.
    asOfDate: (i: IndicatorModel) => partialDateForGraph(parsePartialDate(i.asOf)!),
  },
};
