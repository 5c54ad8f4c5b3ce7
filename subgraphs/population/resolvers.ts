import { assertPartialDate, assertText } from '../../lib/domain/graph-input.ts';
import { partialDateForGraph } from '../../lib/domain/partial-date.ts';
import { provincialUnitByCode, todayInVietnam, type ProvincialUnit } from '../../lib/domain/administrative-units.ts';
import { formatAddress } from '../../lib/domain/addresses.ts';
import { assertPersonalId, assertPersonalIdList, currentProvinceOf, decodePersonalId, personalIdProblem } from '../../lib/domain/personal-id.ts';
import type { PopulationContext } from './adapter/loaders.ts';
import type { ResidenceModel } from './adapter/mapping.ts';
import type { Resolvers } from './generated/resolvers.ts';

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
const citizenOrNull = (ctx: PopulationContext, personalId: string | null) => (personalId ? ctx.loaders.citizen.load(personalId) : null);

export const resolvers: Resolvers = {
  Query: {
    citizen: (_, args, ctx) => ctx.loaders.citizen.load(assertPersonalId(args.personalId)),
    // A citizen whose load failed is an error at its own index; the others are still answered.
    citizens: async (_, args, ctx) => (await ctx.loaders.citizen.loadMany(assertPersonalIdList(args.personalIds))).map((c) => (c instanceof Error ? Promise.reject(c) : c)),
    verifyCitizen: async (_, args, ctx) => {
      const personalId = assertPersonalId(args.personalId);
      const fullName = assertText(args.fullName, 'fullName', 200);
      assertPartialDate(args.dateOfBirth, 'dateOfBirth');
      const match = await ctx.loaders.verify({ personalId, fullName, dateOfBirth: args.dateOfBirth.trim() });
      return { match, checkedAt: new Date().toISOString() };
    },
    household: (_, args, ctx) => ctx.loaders.household.load(assertText(args.id, 'id', 64)),
  },
  Citizen: {
    // References come from other subgraphs' backends; one that is not a valid ID is simply unknown.
    __resolveReference: (ref, ctx) => (personalIdProblem(ref.personalId) ? null : ctx.loaders.citizen.load(ref.personalId)),
    dateOfBirth: (c) => partialDateForGraph(c.dateOfBirth),
    personalIdInfo: (c) => {
      const decoded = decodePersonalId(c.personalId);
      const birthRegistrationProvince = refOf(decoded.birthRegistrationProvince);
      return { ...decoded, province: birthRegistrationProvince, birthRegistrationProvince, currentProvince: refOf(currentProvinceOf(decoded)) };
    },
    permanentResidence: (c) => residence(c.residence),
    household: (c, _, ctx) => (c.householdId ? ctx.loaders.household.load(c.householdId) : null),
    father: (c, _, ctx) => citizenOrNull(ctx, c.fatherId),
    mother: (c, _, ctx) => citizenOrNull(ctx, c.motherId),
    spouse: (c, _, ctx) => citizenOrNull(ctx, c.spouseId),
  },
  Household: {
    __resolveReference: (ref, ctx) => ctx.loaders.household.load(ref.id),
    head: (h, _, ctx) => ctx.loaders.citizen.load(h.headId),
    residence: (h) => residence(h.residence),
    members: (h) => h.members,
  },
  HouseholdMember: {
    citizen: (m, _, ctx) => ctx.loaders.citizen.load(m.personalId),
  },
};
