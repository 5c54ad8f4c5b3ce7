import { describe, expect, it } from 'vitest';
import { historyProblems, holdersOn, withSuccessors, type DatedEntry } from './dated-history.ts';

const entry = (over: Partial<DatedEntry> & Pick<DatedEntry, 'id' | 'code'>): DatedEntry => ({
  validFrom: null,
  validTo: null,
  establishedBy: null,
  endedBy: null,
  predecessors: [],
  ...over,
});
const ACTS = new Set(['NQ-1']);

describe('a registry kept over time', () => {
  it('derives successors from predecessors and follows them to the entries of a day', () => {
    const [a, b, merged] = withSuccessors(
      [
        entry({ id: 'a', code: '01', validTo: '2025-06-30', endedBy: 'NQ-1' }),
        entry({ id: 'b', code: '02', validTo: '2025-06-30', endedBy: 'NQ-1' }),
        entry({ id: 'a-2025', code: '01', validFrom: '2025-07-01', establishedBy: 'NQ-1', predecessors: ['a', 'b'] }),
      ],
      ACTS,
      'test registry',
    );
    expect([a!.successors, b!.successors, merged!.successors]).toEqual([['a-2025'], ['a-2025'], []]);
    const byId = new Map([a!, b!, merged!].map((e) => [e.id, e]));
    const next = (e: DatedEntry & { successors: readonly string[] }) => e.successors.map((id) => byId.get(id)!);
    expect(holdersOn(b!, '2025-06-30', next).map((e) => e.id)).toEqual(['b']);
    expect(holdersOn(b!, '2026-01-01', next).map((e) => e.id)).toEqual(['a-2025']);
    expect(holdersOn(merged!, '2024-01-01', next)).toEqual([]);
  });

  it('names every way a list fails to hold together, and refuses to build a registry from it', () => {
    const broken = [
      entry({ id: 'a', code: '01', establishedBy: 'NQ-9' }),
      entry({ id: 'b', code: '02', predecessors: ['z'] }),
      entry({ id: 'c', code: '03', validFrom: '2025-03-01', validTo: '2025-02-28' }),
      entry({ id: 'd', code: '01', validFrom: '2025-01-01' }),
      entry({ id: 'b', code: '04' }),
    ];
    expect(historyProblems(broken, ACTS)).toEqual([
      'an id is listed twice',
      'a cites act NQ-9, which the list lacks',
      'a and d have code 01 on the same day',
      'b names z, which the list lacks',
      'c ends before it begins',
    ]);
    expect(() => withSuccessors(broken, ACTS, 'test registry')).toThrow(/^test registry: an id is listed twice; /);
  });
});
