import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { fragmentDefinitions, fragmentsUsedBy } from './documents.ts';

/**
 * The shape limits: what can be counted in a parsed document in one linear pass, without the
 * schema, before graphql-js validates it. Validation is not linear: OverlappingFieldsCanBeMerged
 * compares every pair of fields selected under the same response key at the same place, so 450
 * copies of `provinces { name }` (8.6 KB, within the token limit) cost it about a second.
 */
export interface DocumentShapeLimits {
  /** Most fields in one document, every fragment spread counted as the fields it brings. */
  maxFields: number;
  /** Most selections (fields, fragment spreads, inline fragments) written in one selection set. */
  maxSelections: number;
  /** Most times one response key may be selected at the same place, through fragments too. */
  maxFieldRepeats: number;
  /**
   * Most pairs of fields selected under one response key at the same place, all places together:
   * the comparisons graphql-js's OverlappingFieldsCanBeMerged makes.
   */
  maxFieldPairs: number;
}

/** Which limit a document exceeds, in the gateway's words. */
export interface ShapeProblem {
  limit: keyof DocumentShapeLimits;
  message: string;
}

/** A count too large to print exactly: fragments that spread one another twice, 60 deep. */
const LARGEST_EXACT = Number.MAX_SAFE_INTEGER;
const formatCount = (count: number): string => (count > LARGEST_EXACT ? `more than ${LARGEST_EXACT}` : String(count));

/** What the shape limits count in one document. */
export interface DocumentShape {
  /** Selections written in the widest selection set. */
  selections: number;
  /** Fields, every fragment spread counted as the fields it brings (can be astronomically many). */
  fields: number;
  /**
   * The response key selected most often at one place, as a path (`provinces.name`), and how often;
   * with `pairs`, measured only when `fields` is within the limit given and no fragment spreads itself.
   */
  mostRepeated?: { place: string; count: number };
  /** Pairs of fields selected under one response key at the same place, all places together. */
  pairs?: number;
}

/**
 * Measures a document in time linear in its size whatever its fragments (each fragment's field
 * count is computed once); the repeat count takes at most `fields` steps, and is left out when
 * `fields` is over `maxFields`.
 *
 * Every selection set is measured: the operations' and also those of fragments no operation
 * spreads, since graphql-js validates those too (and then refuses them as unused).
 */
export function measureShape(document: DocumentNode, maxFields: number): DocumentShape {
  const fragments = fragmentDefinitions(document);

  // Selections written in one selection set.
  let selections = 0;
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) pending.push(definition.selectionSet);
  }
  for (let selectionSet = pending.pop(); selectionSet; selectionSet = pending.pop()) {
    selections = Math.max(selections, selectionSet.selections.length);
    for (const selection of selectionSet.selections) if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
  }

  // Fields, fragments expanded. A spread of a fragment being counted (a cycle, which validation
  // refuses) or of an unknown fragment brings nothing.
  const fragmentFields = new Map<string, number>();
  const inProgress = new Set<string>();
  let cyclic = false;
  const fieldsIn = (selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) total += 1 + (selection.selectionSet ? fieldsIn(selection.selectionSet) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += fieldsIn(selection.selectionSet);
      else total += fieldsOfFragment(selection.name.value);
    }
    return total;
  };
  const fieldsOfFragment = (name: string): number => {
    const known = fragmentFields.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment) return 0;
    if (inProgress.has(name)) {
      cyclic = true;
      return 0;
    }
    inProgress.add(name);
    const total = fieldsIn(fragment.selectionSet);
    inProgress.delete(name);
    fragmentFields.set(name, total);
    return total;
  };
  // The operations (with what they spread), then each fragment none of them reaches.
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const reached = new Set(operations.flatMap((operation) => fragmentsUsedBy(operation, fragments).map((fragment) => fragment.name.value)));
  const roots = [
    ...operations.map((operation) => operation.selectionSet),
    ...[...fragments.values()].filter((fragment) => !reached.has(fragment.name.value)).map((fragment) => fragment.selectionSet),
  ];
  let fields = 0;
  for (const root of roots) fields += fieldsIn(root);
  // Over the limit the walk below could take too long; with a cycle it would not end.
  if (fields > maxFields || cyclic) return { selections, fields };

  // The same response key at the same place: the fields graphql-js compares pairwise. A place is a
  // path of response keys from a root (types aside, which only over-counts); spreads and inline
  // fragments select into the place they are written in.
  const placeIds = new Map<string, number>();
  const counts: number[] = [];
  const placeNames: string[] = [];
  let worst = -1;
  const walk = (selectionSet: SelectionSetNode, place: number): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = (selection.alias ?? selection.name).value;
        const placeKey = `${place}.${key}`;
        let id = placeIds.get(placeKey);
        if (id === undefined) {
          id = counts.length;
          placeIds.set(placeKey, id);
          counts.push(0);
          placeNames.push(placeNames[place] === '' ? key : `${placeNames[place]}.${key}`);
        }
        counts[id]! += 1;
        if (worst < 0 || counts[id]! > counts[worst]!) worst = id;
        if (selection.selectionSet) walk(selection.selectionSet, id);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, place);
      } else {
        // A fragment without fields adds nothing; skipping it keeps the walk within `fields` steps.
        const fragment = fragments.get(selection.name.value);
        if (fragment && (fragmentFields.get(fragment.name.value) ?? 0) > 0) walk(fragment.selectionSet, place);
      }
    }
  };
  for (const root of roots) {
    // Each root is a place of its own: graphql-js compares fields within one only.
    counts.push(0);
    placeNames.push('');
    walk(root, counts.length - 1);
  }
  let pairs = 0;
  for (const count of counts) pairs += (count * (count - 1)) / 2;
  return { selections, fields, pairs, ...(worst >= 0 ? { mostRepeated: { place: placeNames[worst]!, count: counts[worst]! } } : {}) };
}

/** The first shape limit a document exceeds, in the gateway's words, or undefined. */
export function findShapeProblem(document: DocumentNode, limits: DocumentShapeLimits): ShapeProblem | undefined {
  const shape = measureShape(document, limits.maxFields);
  if (shape.selections > limits.maxSelections) {
    return { limit: 'maxSelections', message: `Query has ${shape.selections} selections in one selection set, exceeding the limit of ${limits.maxSelections}.` };
  }
  if (shape.fields > limits.maxFields) {
    return { limit: 'maxFields', message: `Query has ${formatCount(shape.fields)} fields (fragments expanded), exceeding the limit of ${limits.maxFields}.` };
  }
  if (shape.mostRepeated && shape.mostRepeated.count > limits.maxFieldRepeats) {
    const { place, count } = shape.mostRepeated;
    return { limit: 'maxFieldRepeats', message: `Query selects ${place} ${count} times in the same place, exceeding the limit of ${limits.maxFieldRepeats}.` };
  }
  if (shape.pairs !== undefined && shape.pairs > limits.maxFieldPairs) {
    return {
      limit: 'maxFieldPairs',
      message: `Query has ${shape.pairs} pairs of fields selected under the same name in the same place, exceeding the limit of ${limits.maxFieldPairs}.`,
    };
  }
  return undefined;
}
