/**
 * Remembers the results of an async function per key for `ttlMs`. Concurrent callers for the same
 * key share one pending call. Used for navigation data (category counts, popular tags) that every
 * catalog page shows and that may be a few seconds stale without harm.
 */
export function memoize<K, V>(fn: (key: K) => Promise<V>, opts: { ttlMs: number; now?: () => number }) {
  const now = opts.now ?? Date.now;
  const entries = new Map<K, { at: number; value: Promise<V> }>();
  return {
    get(key: K): Promise<V> {
      const hit = entries.get(key);
      if (hit && now() - hit.at < opts.ttlMs) return hit.value;
      const value = fn(key);
      entries.set(key, { at: now(), value });
      // A failed call is not remembered, so the next request tries again.
      value.catch(() => entries.delete(key));
      return value;
    },
    clear(): void {
      entries.clear();
    },
  };
}
