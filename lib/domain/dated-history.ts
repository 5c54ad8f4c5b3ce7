/**
 * Registries kept over time (provincial-level units, agencies): each entry exists from `validFrom`
 * to `validTo` (inclusive calendar days in Viet Nam; null outside the recorded history), was formed
 * and ended by legal acts, and names the entries it was formed from. A code may be reused by a later
 * entry, so a code names an entry only together with a day; an id never is.
 */
export interface Dated {
  id: string;
  code: string;
  validFrom: string | null;
  validTo: string | null;
}

export interface DatedEntry extends Dated {
  /** The act that formed it; null when older than the recorded history, or when no act was found. */
  establishedBy: string | null;
  /** The act that ended it; null while it exists, or when no act was found. */
  endedBy: string | null;
  /** Ids of the entries it was formed from. */
  predecessors: readonly string[];
}

/** Whether the entry existed on `date` (a full `YYYY-MM-DD`). */
export function existedOn(entry: Pick<Dated, 'validFrom' | 'validTo'>, date: string): boolean {
  return (entry.validFrom === null || entry.validFrom <= date) && (entry.validTo === null || date <= entry.validTo);
}

/**
 * What is wrong with a dated list, in words: an id listed twice, an act or an entry named that the
 * list lacks (`links`: the ids each entry names, predecessors and any successors), days that run
 * backwards, one code on two entries the same day. Empty when it holds together.
 */
export function historyProblems<T extends DatedEntry>(
  entries: readonly T[],
  actIds: ReadonlySet<string>,
  links: (entry: T) => readonly string[] = (e) => e.predecessors,
): string[] {
  const ids = new Set(entries.map((e) => e.id));
  const problems: string[] = [];
  if (ids.size !== entries.length) problems.push('an id is listed twice');
  entries.forEach((entry, i) => {
    for (const act of [entry.establishedBy, entry.endedBy]) if (act !== null && !actIds.has(act)) problems.push(`${entry.id} cites act ${act}, which the list lacks`);
    for (const id of links(entry)) if (!ids.has(id)) problems.push(`${entry.id} names ${id}, which the list lacks`);
    if (entry.validFrom !== null && entry.validTo !== null && entry.validTo < entry.validFrom) problems.push(`${entry.id} ends before it begins`);
    const twin = entries.find((other, j) => j > i && other.code === entry.code && overlap(entry, other));
    if (twin) problems.push(`${entry.id} and ${twin.id} have code ${entry.code} on the same day`);
  });
  return problems;
}

const overlap = (a: Dated, b: Dated) =>
  (a.validTo === null || b.validFrom === null || b.validFrom <= a.validTo) && (b.validTo === null || a.validFrom === null || a.validFrom <= b.validTo);

/** A registry's entries with their successors (derived from the others' predecessors); throws, naming `registry`, when the list does not hold together. */
export function withSuccessors<T extends DatedEntry>(entries: readonly T[], actIds: ReadonlySet<string>, registry: string): (T & { successors: readonly string[] })[] {
  const problems = historyProblems(entries, actIds);
  if (problems.length > 0) throw new Error(`${registry}: ${problems.join('; ')}`);
  return entries.map((entry) => ({ ...entry, successors: entries.filter((other) => other.predecessors.includes(entry.id)).map((other) => other.id) }));
}

/**
 * The entries that hold what `entry` held on `date`: the entry itself while it exists, otherwise its
 * successors (`successorsOf`) followed until they exist on that date, in code order. Empty for a
 * date before the entry.
 */
export function holdersOn<T extends Dated>(entry: T, date: string, successorsOf: (entry: T) => readonly T[]): T[] {
  if (entry.validFrom !== null && date < entry.validFrom) return [];
  if (existedOn(entry, date)) return [entry];
  const found = new Map<string, T>();
  for (const next of successorsOf(entry)) for (const holder of holdersOn(next, date, successorsOf)) found.set(holder.id, holder);
  return [...found.values()].sort((a, b) => a.code.localeCompare(b.code));
}
