import { assertText } from '../../lib/domain/graph-input.ts';
import { loadByLegacyCode, provinceRefById, resolveCitizenKey, successorProvinceRef } from '../../lib/domain/references.ts';
import { sourceResolvers } from '../../lib/backend/sources.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { MAX_PARCEL_ID_LENGTH } from './adapter/wire.ts';

export const resolvers: Resolvers = {
  Source: sourceResolvers,
  Query: {
    landParcel: (_, args, ctx) => ctx.loaders.parcel.load(assertText(args.parcelId, 'parcelId', MAX_PARCEL_ID_LENGTH)),
  },
  Citizen: {
    // The land database holds no citizen record of its own: `landParcels` asks the backend, batched.
    __resolveReference: resolveCitizenKey,
    landParcels: (c, _, ctx) => ctx.loaders.parcelsByHolder.load(c.personalId),
  },
  LandParcel: {
    __resolveReference: (ref, ctx) => (ref.parcelId.length === 0 || ref.parcelId.length > MAX_PARCEL_ID_LENGTH ? null : ctx.loaders.parcel.load(ref.parcelId)),
    province: (p) => successorProvinceRef(p.provinceCode),
    rightHolders: (p) => p.rightHolders.map((h) => ({ share: h.share, citizen: { personalId: h.personalId } })),
  },
  Province: {
    __resolveReference: (ref) => provinceRefById(ref.id),
    landDigitization: (p, _, ctx) => loadByLegacyCode(p, (code) => ctx.loaders.digitization.load(code)),
  },
};
