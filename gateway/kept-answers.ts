import { LRUCache } from 'lru-cache';

export interface KeptAnswersOptions<V> {
  /** How many answers at most; unset: bounded by bytes only. */
  entries?: number;
  /** How many bytes the answers may take together, each as `sizeOf` counts it. */
  bytes: number;
  sizeOf: (answer: V, key: string) => number;
  /** The clock of the answers' freshness (tests); unset: `performance.now`. */
  now?: () => number;
}

/**
 * The store of the gateway's shared caches (its public subgraph answers, its whole public answers):
 * each answer kept for its freshness lifetime and stale from then on (RFC 9111 §4.2), the least
 * recently used going first past `entries` or `bytes`, and an answer larger than the whole budget
 * not kept at all (lru-cache).
 */
export class KeptAnswers<V extends object | string> {
  private readonly answers: LRUCache<string, V>;

  constructor({ entries, bytes, sizeOf, now }: KeptAnswersOptions<V>) {
    this.answers = new LRUCache<string, V>({
      ...(entries ? { max: entries } : {}),
      maxSize: bytes,
      sizeCalculation: sizeOf,
      ...(now ? { perf: { now } } : {}),
      // Read the clock on every look-up: the default reuses one reading for a millisecond.
      ttlResolution: 0,
    });
  }

  /** The answer kept for the key, if still fresh. */
  get(key: string): V | undefined {
    return this.answers.get(key);
  }

  /** Whole seconds the answer kept for the key has left, rounded down so that a cache after this one never keeps it longer; 0 without one. */
  secondsLeft(key: string): number {
    return Math.max(0, Math.floor(this.answers.getRemainingTTL(key) / 1000));
  }

  /** Keeps the answer for `freshSeconds` if that is more than 0 and it fits; says whether it was kept. */
  keep(key: string, answer: V, freshSeconds: number | null | undefined): boolean {
    if (!freshSeconds || freshSeconds <= 0) return false;
    // lru-cache counts an entry stale once its age exceeds the ttl; RFC 9111 from the lifetime on.
    this.answers.set(key, answer, { ttl: freshSeconds * 1000 - 1 });
    return this.answers.has(key);
  }

  delete(key: string): boolean {
    return this.answers.delete(key);
  }
}
