import DataLoader from 'dataloader';

/**
 * A per-request DataLoader over a backend batch endpoint: every key asked for in one tick of the
 * event loop becomes one backend call (split at `maxBatchSize`, the endpoint's documented limit).
 * `fetchMany` returns what it found; a key it did not return resolves to null (not found).
 */
export function createBatchLoader<K extends string, V>(fetchMany: (keys: readonly K[]) => Promise<Map<K, V>>, maxBatchSize = 100): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(
    async (keys) => {
      const found = await fetchMany(keys);
      return keys.map((key) => found.get(key) ?? null);
    },
    { maxBatchSize },
  );
}

/** A value fetched at most once per request (e.g. a reference list every resolver needs). */
export function once<T>(fetch: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= fetch());
}
