import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { provincialUnitById, unitOfLegacyCode, type ProvincialUnit } from './administrative-units.ts';

/**
 * Commune-level units (xã, phường, đặc khu) of the two-level local government in force from
 * 2025-07-01 (Luật Tổ chức chính quyền địa phương số 72/2025/QH15; district-level units abolished;
 * 3,321 commune-level units, Quyết định 19/2025/QĐ-TTg): a short curated list per current provincial
 * unit, each with the act or report it was read in, and the former communes it was formed from
 * (data/communes.json). Not a directory: enough for the synthetic population's addresses to name
 * communes that exist in their province.
 */

const formerCommune = z.object({
  commune: z.string().min(1),
  district: z.string().min(1),
  /** Code of the 63-unit table. */
  province: z.string().regex(/^\d{3}$/),
});
const communesFile = z.object({
  about: z.string().min(1),
  provinces: z.record(
    z.string(),
    z.object({
      act: z.string().min(1),
      sources: z.array(z.string().url()).min(1),
      communes: z.array(z.object({ name: z.string().min(1), formedFrom: z.array(formerCommune).min(1) })).min(1),
    }),
  ),
});

export type FormerCommune = z.infer<typeof formerCommune>;
export interface CurrentCommune {
  name: string;
  /** The provincial-level unit it lies in today. */
  province: ProvincialUnit;
  /** Communes before 2025-07-01 it was formed from, wholly or in part, as the source names them. */
  formedFrom: readonly FormerCommune[];
}

const file = communesFile.parse(JSON.parse(readFileSync(new URL('../../data/communes.json', import.meta.url), 'utf8')));

export const CURRENT_COMMUNES: readonly CurrentCommune[] = Object.entries(file.provinces).flatMap(([provinceId, list]) => {
  const province = provincialUnitById(provinceId);
  if (!province || province.validTo !== null) throw new Error(`data/communes.json: ${provinceId} is not a current provincial unit`);
  return list.communes.map((c) => {
    for (const former of c.formedFrom) {
      const legacy = unitOfLegacyCode(former.province);
      if (!legacy || !(legacy.id === province.id || province.predecessors.includes(legacy.id))) {
        throw new Error(`data/communes.json: ${c.name} of ${provinceId} names ${former.commune} of ${former.province}, not a predecessor`);
      }
    }
    return { name: c.name, province, formedFrom: c.formedFrom };
  });
});

/** The current provincial units the list covers, in code order. */
export const PROVINCES_WITH_COMMUNES: readonly ProvincialUnit[] = [...new Map(CURRENT_COMMUNES.map((c) => [c.province.id, c.province])).values()].sort((a, b) =>
  a.code.localeCompare(b.code),
);

export function communesOf(provinceId: string): CurrentCommune[] {
  return CURRENT_COMMUNES.filter((c) => c.province.id === provinceId);
}
