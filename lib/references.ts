import { personalIdProblem } from './personal-id.ts';
import { provincialUnitById, provincialUnitByCode, soleSuccessorOn, todayInVietnam, unitOfLegacyCode } from './administrative-units.ts';

/** Entity references by key, for the subgraph that owns the entity to resolve. */
export type CitizenRef = { personalId: string };
/** A provincial-level unit by its registry id (lib/administrative-units.ts): codes are reused, ids are not. */
export type ProvinceRef = { id: string };

/** A reference to the unit with `id`; null for an id the registry does not have. */
export const provinceRefById = (id: string): ProvinceRef | null => (provincialUnitById(id) ? { id } : null);

/** A reference to the unit that had `code` on `date`; null when none had it then. */
export const provinceRefOn = (code: string, date: string): ProvinceRef | null => {
  const unit = provincialUnitByCode(code, date);
  return unit ? { id: unit.id } : null;
};

/** A reference to the unit a code of the 63-unit table names (records of before July 2025, personal IDs). */
export const legacyProvinceRef = (code: string): ProvinceRef | null => {
  const unit = unitOfLegacyCode(code);
  return unit ? { id: unit.id } : null;
};

/**
 * A reference to the unit that holds, on `date` (today by default), the territory of the unit a
 * legacy code names: where a place recorded before the 2025 mergers lies now. Null for an unknown code.
 */
export const successorProvinceRef = (legacyCode: string, date: string = todayInVietnam()): ProvinceRef | null => {
  const unit = unitOfLegacyCode(legacyCode);
  const now = unit && soleSuccessorOn(unit, date);
  return now ? { id: now.id } : null;
};

/**
 * The code under which the 2024 reports and the backends' records know a unit: its id when it is a
 * unit of the 63-unit table; undefined for a unit formed later (the reports predate it, and its
 * predecessors carry their figures).
 */
export const legacyCodeOf = (ref: ProvinceRef): string | undefined => (unitOfLegacyCode(ref.id)?.id === ref.id ? ref.id : undefined);

/**
 * `Citizen.__resolveReference` in a subgraph that only adds fields to the citizen: the key alone,
 * with no backend call, so a query that needs only the key costs nothing and the fields load
 * batched. References come from other subgraphs; one that is not a valid ID is simply unknown.
 */
export const resolveCitizenKey = (ref: CitizenRef): CitizenRef | null =>
  personalIdProblem(ref.personalId) ? null : { personalId: ref.personalId };
