import { existedOn, holdersOn } from '../../lib/domain/dated-history.ts';
import { asOfDay, assertText, badInput } from '../../lib/domain/graph-input.ts';
import { parsePartialDate, partialDateForGraph } from '../../lib/domain/partial-date.ts';
import { sourceResolvers } from '../../lib/backend/sources.ts';
import type { PublicServicesContext } from './adapter/loaders.ts';
import type { Resolvers } from './generated/resolvers.ts';

const provinceById = async (ctx: PublicServicesContext, id: string) => (await ctx.loaders.provinces()).byKey.get(id) ?? null;
const provincesOn = async (ctx: PublicServicesContext, day: string) => (await ctx.loaders.provinces()).list.filter((p) => existedOn(p, day));
/** The agency that had `code` on `date`: a code is reused by a later agency, so the date decides. */
const agencyWithCode = async (ctx: PublicServicesContext, code: string, date: string) =>
  (await ctx.loaders.agencies()).list.find((a) => a.code === code && existedOn(a, date)) ?? null;
/** An optional filter argument: absent admits every value. */
const admits = <T>(filter: T | null | undefined, value: T) => !filter || filter === value;

export const resolvers: Resolvers = {
  Query: {
    provinces: (_, args, ctx) => provincesOn(ctx, asOfDay(args.at)),
    province: async (_, args, ctx) => {
      if (!/^[0-9]{3}$/.test(args.code)) throw badInput('code', 'expected a three-digit province code such as "001"');
      return (await provincesOn(ctx, asOfDay(args.at))).find((p) => p.code === args.code) ?? null;
    },
    administrativeActs: async (_, __, ctx) => {
      const acts = new Map((await ctx.loaders.provinces()).list.flatMap((p) => [p.establishedBy, p.endedBy]).flatMap((a) => (a ? [[a.id, a]] : [])));
      return [...acts.values()].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
    },
    agencies: async (_, args, ctx) => {
      const date = asOfDay(args.at);
      return (await ctx.loaders.agencies()).list.filter((a) => existedOn(a, date) && admits(args.kind, a.kind) && admits(args.connectionStatus, a.populationDbConnection.status));
    },
    agency: (_, args, ctx) => agencyWithCode(ctx, assertText(args.code, 'code', 32), asOfDay(args.at)),
    programmeIndicators: async (_, __, ctx) => (await ctx.loaders.indicators()).list,
    programmeIndicator: async (_, args, ctx) => (await ctx.loaders.indicators()).byKey.get(assertText(args.id, 'id', 100)) ?? null,
    interconnectedServiceGroups: (_, __, ctx) => ctx.loaders.interconnectedServiceGroups(),
    // Each part of the overview fetches what it needs when it is selected.
    populationDbConnections: () => ({}),
  },
  PopulationDbConnectionOverview: {
    reportedFigures: (_, __, ctx) => ctx.loaders.populationDbConnectionFigures(),
    registry: (_, args, ctx) => ctx.loaders.agencyStatusTally(asOfDay(args.at)),
    sectorDatabases: async (_, args, ctx) => (await ctx.loaders.sectorDatabases()).filter((db) => admits(args.connectionStatus, db.populationDbConnection.status)),
  },
  SectorDatabase: {
    agency: (db, _, ctx) => ctx.loaders.agencyNamed(db.agencyId),
    indicators: (db, _, ctx) => ctx.loaders.indicatorsNamed(db.figureIds),
  },
  Source: sourceResolvers,
  Province: {
    __resolveReference: (ref, ctx) => provinceById(ctx, ref.id),
    predecessors: (p, _, ctx) => ctx.loaders.provincesNamed(p.predecessorIds),
    successors: (p, _, ctx) => ctx.loaders.provincesNamed(p.successorIds),
    successorsOn: async (p, args, ctx) => {
      const units = await ctx.loaders.provinces();
      return holdersOn(p, asOfDay(args.at), (unit) => unit.successorIds.map((id) => units.byKey.get(id)!));
    },
    indicators: (p, _, ctx) => ctx.loaders.indicatorsNamed(p.indicatorIds),
  },
  Agency: {
    // By id (one agency, whatever the date) or by code (the agency that has it today).
    __resolveReference: async (ref, ctx) => ('id' in ref ? ((await ctx.loaders.agencies()).byKey.get(ref.id) ?? null) : agencyWithCode(ctx, ref.code, asOfDay(null))),
    // The provincial-level unit of the committee's own dates, by its registry id.
    province: async (a, _, ctx) => (a.provinceId === null ? null : ((await ctx.loaders.provinces()).byKey.get(a.provinceId) ?? null)),
    predecessors: (a, _, ctx) => ctx.loaders.agenciesNamed(a.predecessorIds),
    successors: (a, _, ctx) => ctx.loaders.agenciesNamed(a.successorIds),
  },
  Indicator: {
    localities: (i, _, ctx) => ctx.loaders.provincesNamed(i.localityCodes),
    // The wire schema admits only YYYY, YYYY-MM or YYYY-MM-DD, so the date parses.
    asOfDate: (i) => partialDateForGraph(parsePartialDate(i.asOf)!),
  },
};
