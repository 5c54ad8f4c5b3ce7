import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { assertText } from '../../lib/graph-input.ts';
import { loadByLegacyCode, provinceRefById, resolveCitizenKey, successorProvinceRef, type CitizenRef, type ProvinceRef } from '../../lib/references.ts';
import { sourceResolvers } from '../../lib/sources.ts';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import type { LandLoaders } from './adapter/loaders.ts';
import type { LandParcelModel } from './adapter/mapping.ts';
import { MAX_PARCEL_ID_LENGTH } from './adapter/wire.ts';

type Context = SubgraphContext<LandLoaders>;

export const resolvers: GraphQLResolverMap<Context> = {
  Source: sourceResolvers,
  Query: {
    landParcel: (_: unknown, args: { parcelId: string }, ctx: Context) =>
      ctx.loaders.parcel.load(assertText(args.parcelId, 'parcelId', MAX_PARCEL_ID_LENGTH)),
  },
  Citizen: {
    // The land database holds no citizen record of its own: `landParcels` asks the backend, batched.
    __resolveReference: resolveCitizenKey,
    landParcels: (c: CitizenRef, _: unknown, ctx: Context) => ctx.loaders.parcelsByHolder.load(c.personalId),
  },
  LandParcel: {
    __resolveReference: (ref: { parcelId: string }, ctx: Context) =>
      ref.parcelId.length === 0 || ref.parcelId.length > MAX_PARCEL_ID_LENGTH ? null : ctx.loaders.parcel.load(ref.parcelId),
    province: (p: LandParcelModel) => successorProvinceRef(p.provinceCode),
    rightHolders: (p: LandParcelModel) =>
      p.rightHolders.map((h) => ({ share: h.share, citizen: { personalId: h.personalId } })),
  },
  Province: {
    __resolveReference: (ref: ProvinceRef) => provinceRefById(ref.id),
    landDigitization: (p: ProvinceRef, _: unknown, ctx: Context) => loadByLegacyCode(p, (code) => ctx.loaders.digitization.load(code)),
  },
};
