import { parseSettings, QUERY_LIMIT_SETTINGS } from '../lib/runtime/settings.ts';
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ABUSIVE_DOCUMENTS } from '../lib/devkit/abusive-documents.ts';
import { findShapeProblem, measureShape } from './document-shape.ts';

const limits = parseSettings(QUERY_LIMIT_SETTINGS, {});
const problem = (query: string, overrides: Partial<typeof limits> = {}) => findShapeProblem(parse(query), { ...limits, ...overrides });
const times = (n: number, text: string) => Array.from({ length: n }, () => text).join(' ');

describe('shape limits refuse the documents that make validation expensive', () => {
  it.each(Object.entries(ABUSIVE_DOCUMENTS))('%s', (_name, { query, refusedBy }) => {
    expect(problem(query)?.limit).toBe(refusedBy);
  });

  it('states what was found and the limit', () => {
    expect(problem(ABUSIVE_DOCUMENTS['repeated-450'].query)).toEqual({
      limit: 'maxSelections',
      message: 'Query has 450 selections in one selection set, exceeding the limit of 100.',
    });
    expect(problem(ABUSIVE_DOCUMENTS['inline-fragments'].query)?.message).toBe('Query has 900 fields (fragments expanded), exceeding the limit of 500.');
    expect(problem(ABUSIVE_DOCUMENTS['fragment-chain'].query)?.message).toBe('Query selects provinces 150 times in the same place, exceeding the limit of 100.');
    expect(problem(ABUSIVE_DOCUMENTS['nested-tree'].query)?.message).toBe(
      'Query selects citizen.father.father.father.father.father.father.father 128 times in the same place, exceeding the limit of 100.',
    );
    expect(problem(`{ ${times(70, 'provinces { name }')} }`, { maxFieldPairs: 4000 })?.message).toBe(
      'Query has 4830 pairs of fields selected under the same name in the same place, exceeding the limit of 4000.',
    );
  });

  it('counts a fragment bomb without expanding it', () => {
    expect(problem(ABUSIVE_DOCUMENTS['fragment-bomb'].query)?.message).toBe('Query has 2199023255552 fields (fragments expanded), exceeding the limit of 500.');
    const deeper = `{ ...F0 } ${Array.from({ length: 80 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F80 on Query { name }`;
    expect(problem(deeper)?.message).toBe('Query has more than 9007199254740991 fields (fragments expanded), exceeding the limit of 500.');
  });
});

describe('what the shape limits count', () => {
  it('each limit at its value is accepted, one over is refused', () => {
    expect(problem(`{ ${times(4, 'a')} }`, { maxSelections: 4 })).toBeUndefined();
    expect(problem(`{ ${times(5, 'a')} }`, { maxSelections: 4 })?.limit).toBe('maxSelections');
    expect(problem(`{ a { b c } d }`, { maxFields: 4 })).toBeUndefined();
    expect(problem(`{ a { b c } d e }`, { maxFields: 4 })?.limit).toBe('maxFields');
    expect(problem(`{ ${times(3, 'a { b }')} }`, { maxFieldRepeats: 3 })).toBeUndefined();
    expect(problem(`{ ${times(4, 'a { b }')} }`, { maxFieldRepeats: 3 })?.limit).toBe('maxFieldRepeats');
    // 3 × a { b }: 3 pairs of a and 3 of a.b.
    expect(problem(`{ ${times(3, 'a { b }')} }`, { maxFieldPairs: 6 })).toBeUndefined();
    expect(problem(`{ ${times(3, 'a { b }')} }`, { maxFieldPairs: 5 })).toEqual({
      limit: 'maxFieldPairs',
      message: 'Query has 6 pairs of fields selected under the same name in the same place, exceeding the limit of 5.',
    });
  });

  it('counts fragments at every spread, and inline fragments at the place they are written', () => {
    const shape = measureShape(parse('{ x { ...F ... on X { a } } y: x { ...F } } fragment F on X { a b }'), 500);
    expect(shape).toEqual({ selections: 2, fields: 7, pairs: 1, mostRepeated: { place: 'x.a', count: 2 } });
  });

  it('keys by response name: aliases separate, the same alias repeated does not', () => {
    expect(measureShape(parse('{ a: p { n } b: p { n } }'), 500).mostRepeated).toEqual({ place: 'a', count: 1 });
    expect(measureShape(parse('{ a: p { n } a: p { n } }'), 500).mostRepeated).toEqual({ place: 'a', count: 2 });
  });

  it('measures each operation and each fragment no operation spreads on its own', () => {
    const shape = measureShape(parse(`query A { p } query B { p } fragment Unused on Query { ${times(3, 'p')} }`), 500);
    expect(shape).toMatchObject({ fields: 5, pairs: 3, mostRepeated: { place: 'p', count: 3 } });
  });

  it('leaves a fragment cycle to validation, which refuses it cheaply', () => {
    expect(measureShape(parse('{ ...F } fragment F on Query { a ...G } fragment G on Query { b ...F }'), 500)).toEqual({ selections: 2, fields: 2 });
    expect(problem('{ ...F } fragment F on Query { a ...F }')).toBeUndefined();
  });

  it("passes the README's example queries, introspection and the existing limit tests' documents", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const queries = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(queries.length).toBeGreaterThan(5);
    const chain = `{ citizen(personalId: "001085012345") { ${'household { head { '.repeat(5)}${'fullName '.repeat(60)}${' } }'.repeat(5)} } }`;
    const directives = `{ ${Array.from({ length: 60 }, (_, i) => `t${i}: __typename @include(if: true)`).join(' ')} }`;
    for (const query of [...queries, getIntrospectionQuery(), chain, directives]) expect(problem(query), query).toBeUndefined();
  });
});
