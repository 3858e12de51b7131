import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { LRUCache } from 'lru-cache';

const gzipAsync = promisify(gzip);

/** A rendered page as every guest gets it, with its compressed form once that is ready. */
export interface CachedPage {
  body: Buffer;
  gzip?: Buffer;
  etag: string;
  /** From this instant (ms) the page is wrong (a price changes) and is not served. */
  staleAt?: number;
}

/**
 * Rendered guest pages shared by every visitor of one process, bounded by bytes (least recently
 * used pages go first) and by age. It serves only while `enabled`: the owner turns it on while
 * it hears every catalog change (db/listener.ts) and off when it may miss one.
 *
 * `generation` closes the race between a render and a change: a page whose render began before
 * the last clear() is not stored, because it may show what the change replaced.
 */
export interface PageCache {
  readonly enabled: boolean;
  readonly generation: number;
  /** The page kept for `key`, unless it went stale by `now` (ms). */
  get(key: string, now?: number): CachedPage | undefined;
  /** Stores a page rendered since `generation` was read, good until `staleAt`; returns its entry (or undefined if stale). */
  set(key: string, html: string, generation: number, staleAt?: number): CachedPage | undefined;
  clear(): void;
  enable(): void;
  disable(): void;
  readonly size: number;
}

export function createPageCache(opts: { maxBytes?: number; ttlMs?: number } = {}): PageCache {
  const lru = new LRUCache<string, CachedPage>({
    maxSize: opts.maxBytes ?? 32 * 1024 * 1024,
    sizeCalculation: (p) => p.body.length * 2 + 200,
    ttl: opts.ttlMs ?? 60_000,
    // Expired pages are dropped when read, not by a timer per entry.
    ttlAutopurge: false,
  });
  let generation = 0;
  let enabled = false;

  const clear = () => {
    generation++;
    lru.clear();
  };

  return {
    get enabled() {
      return enabled;
    },
    get generation() {
      return generation;
    },
    get size() {
      return lru.size;
    },
    get(key, now = Date.now()) {
      if (!enabled) return undefined;
      const page = lru.get(key);
      if (page?.staleAt !== undefined && now >= page.staleAt) {
        lru.delete(key);
        return undefined;
      }
      return page;
    },
    set(key, html, since, staleAt) {
      if (!enabled || since !== generation) return undefined;
      const body = Buffer.from(html);
      const page: CachedPage = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, ...(staleAt !== undefined ? { staleAt } : {}) };
      lru.set(key, page);
      // Compressed off the request's critical path; until then the page goes out uncompressed.
      gzipAsync(body, { level: 6 }).then(
        (z) => void (page.gzip = z),
        () => undefined,
      );
      return page;
    },
    clear,
    enable() {
      clear();
      enabled = true;
    },
    disable() {
      enabled = false;
      clear();
    },
  };
}
