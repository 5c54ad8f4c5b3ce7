import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { assertPartialDate, assertText } from '../../lib/graph-input.ts';
import { partialDateForGraph } from '../../lib/partial-date.ts';
import { provincialUnitByCode, todayInVietnam, type ProvincialUnit } from '../../lib/administrative-units.ts';
import { formatAddress } from '../../lib/addresses.ts';
import { assertPersonalId, assertPersonalIdList, currentProvinceOf, decodePersonalId, personalIdProblem } from '../../lib/personal-id.ts';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import type { PopulationLoaders } from './adapter/loaders.ts';
import type { CitizenModel, HouseholdModel, ResidenceModel } from './adapter/mapping.ts';

type Context = SubgraphContext<PopulationLoaders>;

const refOf = (unit: ProvincialUnit | undefined) => (unit ? { id: unit.id } : null);

/**
 * A residence in today's units (commune and provincial unit, resolved on today's date), with the
 * address as registered (its units resolved on the day of registration).
 */
const residence = (r: ResidenceModel | null) => {
  if (!r) return null;
  const today = todayInVietnam();
  const current = provincialUnitByCode(r.current.provinceCode, today);
  const registered = provincialUnitByCode(r.asRegistered.provinceCode, r.registeredOn);
  return {
    ...formatAddress({ street: r.street, commune: r.current.commune, district: null, province: current }),
    commune: r.current.commune,
    province: current ? { id: current.id } : null,
    registeredOn: r.registeredOn,
    asRegistered: {
      ...formatAddress({ street: r.street, ...r.asRegistered, province: registered }),
      commune: r.asRegistered.commune,
      district: r.asRegistered.district,
      province: registered ? { id: registered.id } : null,
    },
  };
};
const citizenOrNull = (ctx: Context, personalId: string | null) => (personalId ? ctx.loaders.citizen.load(personalId) : null);

export const resolvers: GraphQLResolverMap<Context> = {
  Query: {
    citizen: (_: unknown, args: { personalId: string }, ctx: Context) =>
      ctx.loaders.citizen.load(assertPersonalId(args.personalId)),
    citizens: (_: unknown, args: { personalIds: string[] }, ctx: Context) =>
      ctx.loaders.citizen.loadMany(assertPersonalIdList(args.personalIds)),
    verifyCitizen: async (_: unknown, args: { personalId: string; fullName: string; dateOfBirth: string }, ctx: Context) => {
      const personalId = assertPersonalId(args.personalId);
      const fullName = assertText(args.fullName, 'fullName', 200);
      assertPartialDate(args.dateOfBirth, 'dateOfBirth');
      const match = await ctx.loaders.verify({ personalId, fullName, dateOfBirth: args.dateOfBirth.trim() });
      return { match, checkedAt: new Date().toISOString() };
    },
    household: (_: unknown, args: { id: string }, ctx: Context) => ctx.loaders.household.load(assertText(args.id, 'id', 64)),
  },
  Citizen: {
    // References come from other subgraphs' backends; one that is not a valid ID is simply unknown.
    __resolveReference: (ref: { personalId: string }, ctx: Context) =>
      personalIdProblem(ref.personalId) ? null : ctx.loaders.citizen.load(ref.personalId),
    dateOfBirth: (c: CitizenModel) => partialDateForGraph(c.dateOfBirth),
    personalIdInfo: (c: CitizenModel) => {
      const decoded = decodePersonalId(c.personalId);
      const birthRegistrationProvince = refOf(decoded.birthRegistrationProvince);
      return { ...decoded, province: birthRegistrationProvince, birthRegistrationProvince, currentProvince: refOf(currentProvinceOf(decoded)) };
    },
    permanentResidence: (c: CitizenModel) => residence(c.residence),
    household: (c: CitizenModel, _: unknown, ctx: Context) => (c.householdId ? ctx.loaders.household.load(c.householdId) : null),
    father: (c: CitizenModel, _: unknown, ctx: Context) => citizenOrNull(ctx, c.fatherId),
    mother: (c: CitizenModel, _: unknown, ctx: Context) => citizenOrNull(ctx, c.motherId),
    spouse: (c: CitizenModel, _: unknown, ctx: Context) => citizenOrNull(ctx, c.spouseId),
  },
  Household: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.household.load(ref.id),
    head: (h: HouseholdModel, _: unknown, ctx: Context) => ctx.loaders.citizen.load(h.headId),
    residence: (h: HouseholdModel) => residence(h.residence),
    members: (h: HouseholdModel, _: unknown, ctx: Context) =>
      h.members.map((m) => ({ relationship: m.relationship, citizen: () => ctx.loaders.citizen.load(m.personalId) })),
  },
};
