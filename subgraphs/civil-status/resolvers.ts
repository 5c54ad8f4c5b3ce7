import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { partialDateForGraph } from '../../lib/partial-date.ts';
import { assertPersonalId } from '../../lib/personal-id.ts';
import { loadByLegacyCode, provinceRefById, resolveCitizenKey, type CitizenRef, type ProvinceRef } from '../../lib/references.ts';
import { sourceResolvers } from '../../lib/sources.ts';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import type { CivilStatusLoaders } from './adapter/loaders.ts';
import type { BirthRegistrationModel, DeathRegistrationModel, MarriageModel } from './adapter/mapping.ts';

type Context = SubgraphContext<CivilStatusLoaders>;

/** A reference the population subgraph resolves; null when the record names nobody. */
const citizenRef = (personalId: string | null): CitizenRef | null => (personalId ? { personalId } : null);
const civilStatusOf = (c: CitizenRef, ctx: Context) => ctx.loaders.civilStatus.load(c.personalId);

export const resolvers: GraphQLResolverMap<Context> = {
  Source: sourceResolvers,
  Query: {
    birthRegistration: async (_: unknown, args: { personalId: string }, ctx: Context) =>
      (await ctx.loaders.civilStatus.load(assertPersonalId(args.personalId)))?.birthRegistration ?? null,
  },
  Citizen: {
    __resolveReference: resolveCitizenKey,
    birthRegistration: async (c: CitizenRef, _: unknown, ctx: Context) => (await civilStatusOf(c, ctx))?.birthRegistration ?? null,
    marriages: async (c: CitizenRef, _: unknown, ctx: Context) => (await civilStatusOf(c, ctx))?.marriages ?? null,
    maritalStatus: async (c: CitizenRef, _: unknown, ctx: Context) => (await civilStatusOf(c, ctx))?.maritalStatus ?? null,
    deathRegistration: async (c: CitizenRef, _: unknown, ctx: Context) => (await civilStatusOf(c, ctx))?.deathRegistration ?? null,
  },
  BirthRegistration: {
    registeredOn: (b: BirthRegistrationModel) => partialDateForGraph(b.registeredOn),
    dateOfBirth: (b: BirthRegistrationModel) => partialDateForGraph(b.dateOfBirth),
    father: (b: BirthRegistrationModel) => citizenRef(b.fatherId),
    mother: (b: BirthRegistrationModel) => citizenRef(b.motherId),
  },
  Marriage: {
    registeredOn: (m: MarriageModel) => partialDateForGraph(m.registeredOn),
    endedOn: (m: MarriageModel) => m.endedOn && partialDateForGraph(m.endedOn),
    husband: (m: MarriageModel) => citizenRef(m.husbandId),
    wife: (m: MarriageModel) => citizenRef(m.wifeId),
    spouse: (m: MarriageModel) => citizenRef(m.spouseId),
  },
  DeathRegistration: {
    registeredOn: (d: DeathRegistrationModel) => partialDateForGraph(d.registeredOn),
    dateOfDeath: (d: DeathRegistrationModel) => partialDateForGraph(d.dateOfDeath),
  },
  Province: {
    // No backend call here either: the digitisation field loads, batched across every province in the request.
    __resolveReference: (ref: ProvinceRef) => provinceRefById(ref.id),
    civilStatusDigitization: (p: ProvinceRef, _: unknown, ctx: Context) => loadByLegacyCode(p, (code) => ctx.loaders.provinceDigitization.load(code)),
  },
};
