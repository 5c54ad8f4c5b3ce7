import { personalIdProblem } from './personal-id.ts';
import { legacyUnitOn, provincialUnitById, todayInVietnam, unitOfLegacyCode } from './administrative-units.ts';

/** Entity references by key, for the subgraph that owns the entity to resolve. */
export type CitizenRef = { personalId: string };
/** A provincial-level unit by its registry id (lib/domain/administrative-units.ts): codes are reused, ids are not. */
export type ProvinceRef = { id: string };

/** A reference to the unit with `id`; null for an id the registry does not have. */
export const provinceRefById = (id: string): ProvinceRef | null => (provincialUnitById(id) ? { id } : null);

/**
 * A reference to the unit that holds, on `date` (today by default), the territory of the unit a
 * legacy code names: where a place recorded before the 2025 mergers lies now. Null for an unknown code.
 */
export const successorProvinceRef = (legacyCode: string, date: string = todayInVietnam()): ProvinceRef | null => {
  const unit = legacyUnitOn(legacyCode, date);
  return unit ? { id: unit.id } : null;
};

/**
 * What a backend of the 2024 records and reports knows of a unit, asked by the unit's code of the
 * 63-unit table (its id); null, without asking, for a unit formed later: the records predate it, and
 * its predecessors carry them.
 */
export const loadByLegacyCode = <T>(ref: ProvinceRef, load: (code: string) => Promise<T>): Promise<T> | null => (unitOfLegacyCode(ref.id)?.id === ref.id ? load(ref.id) : null);

/**
 * `Citizen.__resolveReference` in a subgraph that only adds fields to the citizen: the key alone,
 * with no backend call, so a query that needs only the key costs nothing and the fields load
 * batched. References come from other subgraphs; one that is not a valid ID is simply unknown.
 */
export const resolveCitizenKey = (ref: CitizenRef): CitizenRef | null => (personalIdProblem(ref.personalId) ? null : { personalId: ref.personalId });
