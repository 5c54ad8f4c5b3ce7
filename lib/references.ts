import { personalIdProblem } from './personal-id.ts';
import { provinceByCode } from './provinces.ts';

/** Entity references by key, for the subgraph that owns the entity to resolve. */
export type CitizenRef = { personalId: string };
export type ProvinceRef = { code: string };

/** A reference to a province; null for a code outside the 63 provinces. */
export const provinceRef = (code: string): ProvinceRef | null => (provinceByCode(code) ? { code } : null);

/**
 * `Citizen.__resolveReference` in a subgraph that only adds fields to the citizen: the key alone,
 * with no backend call, so a query that needs only the key costs nothing and the fields load
 * batched. References come from other subgraphs; one that is not a valid ID is simply unknown.
 */
export const resolveCitizenKey = (ref: CitizenRef): CitizenRef | null =>
  personalIdProblem(ref.personalId) ? null : { personalId: ref.personalId };
