import { partialDateForGraph } from '../../lib/domain/partial-date.ts';
import { assertPersonalId } from '../../lib/domain/personal-id.ts';
import { loadByLegacyCode, provinceRefById, resolveCitizenKey, type CitizenRef } from '../../lib/domain/references.ts';
import { sourceResolvers } from '../../lib/backend/sources.ts';
import type { CivilStatusContext } from './adapter/loaders.ts';
import type { Resolvers } from './generated/resolvers.ts';

/** A reference the population subgraph resolves; null when the record names nobody. */
const citizenRef = (personalId: string | null): CitizenRef | null => (personalId ? { personalId } : null);
const civilStatusOf = (c: CitizenRef, ctx: CivilStatusContext) => ctx.loaders.civilStatus.load(c.personalId);

export const resolvers: Resolvers = {
  Source: sourceResolvers,
  Query: {
    birthRegistration: async (_, args, ctx) => (await ctx.loaders.civilStatus.load(assertPersonalId(args.personalId)))?.birthRegistration ?? null,
  },
  Citizen: {
    __resolveReference: resolveCitizenKey,
    birthRegistration: async (c, _, ctx) => (await civilStatusOf(c, ctx))?.birthRegistration ?? null,
    marriages: async (c, _, ctx) => (await civilStatusOf(c, ctx))?.marriages ?? null,
    maritalStatus: async (c, _, ctx) => (await civilStatusOf(c, ctx))?.maritalStatus ?? null,
    deathRegistration: async (c, _, ctx) => (await civilStatusOf(c, ctx))?.deathRegistration ?? null,
  },
  BirthRegistration: {
    registeredOn: (b) => partialDateForGraph(b.registeredOn),
    dateOfBirth: (b) => partialDateForGraph(b.dateOfBirth),
    father: (b) => citizenRef(b.fatherId),
    mother: (b) => citizenRef(b.motherId),
  },
  Marriage: {
    registeredOn: (m) => partialDateForGraph(m.registeredOn),
    endedOn: (m) => m.endedOn && partialDateForGraph(m.endedOn),
    husband: (m) => citizenRef(m.husbandId),
    wife: (m) => citizenRef(m.wifeId),
    spouse: (m) => citizenRef(m.spouseId),
  },
  DeathRegistration: {
    registeredOn: (d) => partialDateForGraph(d.registeredOn),
    dateOfDeath: (d) => partialDateForGraph(d.dateOfDeath),
  },
  Province: {
    // No backend call here either: the digitisation field loads, batched across every province in the request.
    __resolveReference: (ref) => provinceRefById(ref.id),
    civilStatusDigitization: (p, _, ctx) => loadByLegacyCode(p, (code) => ctx.loaders.provinceDigitization.load(code)),
  },
};
