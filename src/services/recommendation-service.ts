import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { memoize } from '../lib/memo.js';
import type { PageCache } from '../lib/page-cache.js';
import { RecommendationEngine, historyFromSignals, scoreFromHistory, type EngineOptions, type HistoryItem, type SignalKind } from '../lib/recs/engine.js';
import type { ProductCardRow } from '../models/products.js';
import type { NeighbourRow, RecommendationModel, RecommendationReason, SignalRow } from '../models/recommendations.js';
import type { CatalogProduct, CatalogService } from './catalog-service.js';
import { toCatalogProduct } from './catalog-service.js';
import { NO_OFFERS, type OfferBook } from './pricing.js';

/**
 * Recommendations: the recompute (signals → engine → neighbour lists and trending, see
 * lib/recs/engine.ts) and the reads behind the product page, the home page, the cart and the
 * JSON API. Every read is one to three indexed statements; hidden, archived and (for a signed-in
 * shopper) owned products are filtered as they are read, so a product hidden after a run never
 * shows.
 */

/** How a list was made: from neighbours, from a shopper's history, or a fallback. */
export type Strategy = 'item-item' | 'personal' | 'trending' | 'top-rated' | 'same-category' | 'none';

export interface Recommendation {
  product: CatalogProduct;
  /** Why, in words a shopper reads ("Because you viewed X"). */
  reason: string;
  score: number;
}

export interface RecommendationList {
  items: Recommendation[];
  strategy: Strategy;
}

export interface RecomputeReport {
  runId: number;
  products: number;
  neighbours: number;
  signals: number;
  trending: number;
  durationMs: number;
  /** Reading the signals into the engine; computing the lists; writing them (ms). */
  phases: { readMs: number; computeMs: number; writeMs: number };
  peakRssMb: number;
}

export interface RecommendationSettings {
  /** Signals older than this are not read (their decayed weight is tiny anyway). */
  signalDays: number;
  /** Products written per transaction. */
  batchSize: number;
  engine?: Partial<Omit<EngineOptions, 'now'>>;
}

/** Two keys of pg_try_advisory_xact_lock: one recompute at a time across every process. */
const LOCK = [0x7265, 0x6373] as const;
const TRENDING_DAYS = 14;
const TRENDING_HALF_LIFE_DAYS = 3;
const TRENDING_SIZE = 60;
/** Ranks 1–16 are the blended neighbours (engine option k); later ranks are content-only extras. */
const BLENDED_RANKS = 16;
/** Products of a shopper's history a request scores from (the recompute keeps 50 per shopper). */
const REQUEST_HISTORY = 30;

const PAIR_TEXT: Record<RecommendationReason, string> = {
  bought_together: 'Bought together with',
  viewed_together: 'Viewed together with',
  similar: 'Similar to',
};
const BECAUSE_TEXT: Record<SignalKind, (title: string) => string> = {
  purchase: (t) => `Because you bought ${t}`,
  cart: (t) => `Because you added ${t} to your cart`,
  view: (t) => `Because you viewed ${t}`,
};
const round = (x: number) => Math.round(x * 10_000) / 10_000;

export function createRecommendationService(deps: {
  db: Db;
  recs: RecommendationModel;
  catalog: CatalogService;
  offers?: () => Promise<OfferBook>;
  clock: Clock;
  logger?: Logger;
  pageCache?: PageCache;
  settings?: Partial<RecommendationSettings>;
}) {
  const { db, recs, catalog, clock } = deps;
  const offerBook = deps.offers ?? (async () => NO_OFFERS);
  const settings: RecommendationSettings = { signalDays: 180, batchSize: 500, ...deps.settings };
  // Trending changes once a run; every guest home page and cold-start list reads it.
  const trendingMemo = memoize((limit: number) => recs.trendingIds(limit), { ttlMs: 60_000, now: () => clock.now().getTime() });

  async function toProducts(rows: ProductCardRow[]): Promise<CatalogProduct[]> {
    const [book, categories] = await Promise.all([offerBook(), catalog.categories()]);
    const byId = new Map(categories.map((c) => [c.id, c]));
    return rows.map((r) => {
      const c = byId.get(r.category_id);
      return toCatalogProduct(r, { id: r.category_id, slug: c?.slug ?? '', name: c?.name ?? '' }, book);
    });
  }

  /** Trending products (not owned by userId, not in `exclude`); top rated when no run has filled it yet. */
  async function trending(limit: number, userId: number | undefined, exclude = new Set<number>()): Promise<RecommendationList> {
    const ids = (await trendingMemo.get(TRENDING_SIZE)).filter((id) => !exclude.has(id));
    if (ids.length) {
      const products = await toProducts((await recs.cards(ids.slice(0, limit + 10), userId)).slice(0, limit));
      if (products.length) return { items: products.map((product, i) => ({ product, reason: 'Trending this week', score: round(1 / (i + 1)) })), strategy: 'trending' };
    }
    const top = await catalog.search({ sort: 'rating', page: 1, pageSize: limit + exclude.size });
    const items = top.items.filter((p) => !exclude.has(p.id)).slice(0, limit);
    return { items: items.map((product) => ({ product, reason: 'Top rated', score: 0 })), strategy: 'top-rated' };
  }

  /** Personal picks from a history over the stored neighbour lists, padded with trending. */
  async function fromHistory(history: HistoryItem[], exclude: Set<number>, userId: number | undefined, limit: number, text: (because: HistoryItem, reason: RecommendationReason, title: string) => string): Promise<RecommendationList> {
    // The blended neighbours only (the content-only extras serve "Similar products").
    const rows = await recs.neighboursOf(history.map((h) => h.productId), BLENDED_RANKS);
    const lists = new Map<number, { neighborId: number; score: number }[]>();
    const pair = new Map<string, RecommendationReason>();
    for (const r of rows) {
      let l = lists.get(r.product_id);
      if (!l) lists.set(r.product_id, (l = []));
      l.push({ neighborId: r.neighbor_id, score: r.score });
      pair.set(`${r.product_id}:${r.neighbor_id}`, r.reason);
    }
    const picks = scoreFromHistory(history, lists, exclude, limit + 10);
    if (picks.length === 0) return trending(limit, userId, exclude);
    const trendingIds = (await trendingMemo.get(TRENDING_SIZE)).filter((id) => !exclude.has(id));
    const pickIds = new Set(picks.map((p) => p.productId));
    const cardIds = [...picks.map((p) => p.productId), ...trendingIds.filter((id) => !pickIds.has(id)).slice(0, limit)];
    const becauseIds = [...new Set(picks.slice(0, limit + 5).map((p) => p.because))];
    const { cards, titles } =
      userId !== undefined ? await recs.cardsWithTitles(cardIds, becauseIds, userId) : await Promise.all([recs.cards(cardIds, undefined), recs.titles(becauseIds)]).then(([c, t]) => ({ cards: c, titles: t }));
    const products = new Map((await toProducts(cards)).map((p) => [p.id, p]));
    const byId = new Map(history.map((h) => [h.productId, h]));
    const items: Recommendation[] = [];
    for (const p of picks) {
      const product = products.get(p.productId);
      if (!product || items.length >= limit) continue;
      items.push({ product, reason: text(byId.get(p.because)!, pair.get(`${p.because}:${p.productId}`) ?? 'similar', titles.get(p.because) ?? 'it'), score: round(p.score) });
      products.delete(p.productId);
    }
    for (const id of trendingIds) {
      const product = products.get(id);
      if (items.length >= limit) break;
      if (product) items.push({ product, reason: 'Trending this week', score: 0 });
    }
    return { items, strategy: 'personal' };
  }

  async function neighbourList(product: CatalogProduct, limit: number, userId: number | undefined): Promise<RecommendationList> {
    const rows = await recs.neighbourCards(product.id, limit, userId);
    if (rows.length === 0) {
      // No run has listed this product yet (a new product, a fresh install): today's strip.
      const related = await catalog.related(product, limit);
      return { items: related.map((p) => ({ product: p, reason: `More in ${product.category.name}`, score: 0 })), strategy: 'same-category' };
    }
    const products = await toProducts(rows);
    return { items: rows.map((r, i) => ({ product: products[i]!, reason: `${PAIR_TEXT[r.reason]} ${product.title}`, score: round(r.score) })), strategy: 'item-item' };
  }

  return {
    /**
     * Recomputes every neighbour list and the trending list from the signals of the last
     * `signalDays`. One run at a time (an advisory lock; a second caller returns `skipped`).
     * Products are replaced a batch per transaction, so readers never see half a list; the page
     * caches of every process are cleared after (the catalog_changed notice).
     */
    async recompute(): Promise<RecomputeReport | { skipped: true }> {
      return db.transaction(async (lock) => {
        const got = (await lock.raw<{ rows: { got: boolean }[] }>('SELECT pg_try_advisory_xact_lock(?, ?) AS got', [...LOCK])).rows[0]!.got;
        if (!got) return { skipped: true as const };
        const started = performance.now();
        let peak = process.memoryUsage().rss;
        const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
        sample.unref();
        try {
          const now = clock.now();
          const since = new Date(now.getTime() - settings.signalDays * 86_400_000);
          const facts = [];
          for await (const p of recs.eligibleProducts()) facts.push({ id: p.id, categoryId: p.category_id, tags: p.tags, title: p.title });
          const engine = new RecommendationEngine(facts, { ...settings.engine, now: now.getTime() });
          const links = await recs.anonymousLinks(since);
          let signals = 0;
          const feed = async (rows: AsyncIterable<SignalRow>, kind: SignalKind) => {
            for await (const r of rows) {
              const user = r.user_id ?? (r.anonymous_id ? links.get(r.anonymous_id) : undefined);
              const actor = user !== undefined ? `u${user}` : r.anonymous_id ? `a${r.anonymous_id}` : undefined;
              if (!actor) continue;
              engine.add(actor, r.product_id, kind, new Date(r.at).getTime());
              signals++;
            }
          };
          await feed(recs.views(since), 'view');
          await feed(recs.cartAdds(since), 'cart');
          await feed(recs.purchases(since), 'purchase');
          engine.seal();
          peak = Math.max(peak, process.memoryUsage().rss);
          const readMs = performance.now() - started;
          let computeMs = 0;
          const runId = await recs.startRun(now);
          let neighbours = 0;
          for (let b = 0; b < facts.length; b += settings.batchSize) {
            const ids = facts.slice(b, b + settings.batchSize).map((f) => f.id);
            const rows: NeighbourRow[] = [];
            const c0 = performance.now();
            for (const id of ids) {
              engine.neighboursOf(id).forEach((n, r) =>
                rows.push({ product_id: id, rank: r + 1, neighbor_id: n.neighborId, score: n.score, behaviour_score: n.behaviourScore, content_score: n.contentScore, reason: n.reason }),
              );
            }
            computeMs += performance.now() - c0;
            neighbours += rows.length;
            await db.transaction((trx) => recs.replaceLists(runId, ids, rows, trx));
          }
          await recs.sweep(runId);
          const top = await recs.computeTrending(now, TRENDING_DAYS, TRENDING_HALF_LIFE_DAYS, TRENDING_SIZE);
          await db.transaction((trx) => recs.replaceTrending(top, trx));
          peak = Math.max(peak, process.memoryUsage().rss);
          const report = { runId, products: facts.length, neighbours, signals, trending: top.length, durationMs: Math.round(performance.now() - started), phases: { readMs: 0, computeMs: 0, writeMs: 0 }, peakRssMb: Math.round(peak / 1024 / 1024) };
          report.phases = { readMs: Math.round(readMs), computeMs: Math.round(computeMs), writeMs: Math.round(report.durationMs - readMs - computeMs) };
          await recs.finishRun(runId, { at: clock.now(), ...report });
          // Every process's cached guest pages show the new lists (db/listener.ts hears this).
          await db.raw("SELECT pg_notify('catalog_changed', 'recommendations')");
          deps.pageCache?.clear();
          trendingMemo.clear();
          deps.logger?.info(report, 'recommendations recomputed');
          return report;
        } finally {
          clearInterval(sample);
        }
      });
    },

    /** The product page's two sections: "Customers also bought" and "Similar products". */
    async forProductPage(product: CatalogProduct, userId?: number): Promise<{ alsoBought: Recommendation[]; similar: Recommendation[]; strategy: Strategy }> {
      const rows = await recs.neighbourCards(product.id, 24, userId);
      if (rows.length === 0) {
        const fallback = await neighbourList(product, 4, userId);
        return { alsoBought: [], similar: fallback.items, strategy: fallback.strategy };
      }
      const products = await toProducts(rows);
      const all = rows.map((r, i) => ({ product: products[i]!, row: r }));
      // Bought together first, then viewed together, each in rank order.
      const alsoBought = [...all.filter((r) => r.row.reason === 'bought_together'), ...all.filter((r) => r.row.reason === 'viewed_together')].slice(0, 4);
      const used = new Set(alsoBought.map((r) => r.product.id));
      // "Similar" is about the product itself: the rest by content similarity.
      const similar = all.filter((r) => !used.has(r.product.id) && r.row.content_score > 0).sort((a, b) => b.row.content_score - a.row.content_score || a.row.rank - b.row.rank).slice(0, 4);
      return {
        alsoBought: alsoBought.map((r) => ({ product: r.product, reason: `${PAIR_TEXT[r.row.reason]} ${product.title}`, score: round(r.row.score) })),
        similar: similar.map((r) => ({ product: r.product, reason: `${PAIR_TEXT.similar} ${product.title}`, score: round(r.row.content_score) })),
        strategy: 'item-item',
      };
    },

    /** GET /api/products/:slug/recommendations: a product's neighbours (NotFound when not shown). */
    async forProduct(slug: string, limit: number, userId?: number): Promise<RecommendationList> {
      // One statement when the product has a list; otherwise the product itself (404 or the fallback).
      const rows = await recs.neighbourCardsBySlug(slug, limit, userId);
      if (rows.length === 0) return neighbourList(await catalog.getProduct(slug), limit, userId);
      const products = await toProducts(rows);
      return { items: rows.map((r, i) => ({ product: products[i]!, reason: `${PAIR_TEXT[r.reason]} ${r.source_title}`, score: round(r.score) })), strategy: 'item-item' };
    },

    /** "Recommended for you" from a user's views, cart and purchases; trending for guests and new accounts. */
    async forUser(userId: number | undefined, limit: number): Promise<RecommendationList> {
      if (userId === undefined) return trending(limit, undefined);
      const rows = await recs.userSignals(userId);
      const exclude = new Set(rows.filter((r) => r.kind === 'purchase' || r.kind === 'in_cart').map((r) => r.product_id));
      const signals = rows.flatMap((r) => (r.kind === 'in_cart' ? [] : [{ productId: r.product_id, kind: r.kind, at: new Date(r.at).getTime() }]));
      // The 30 most recent products are enough to rank by and keep the request to a few hundred rows.
      const history = historyFromSignals(signals, clock.now().getTime(), { ...settings.engine, historyCap: REQUEST_HISTORY });
      if (history.length === 0) return trending(limit, userId, exclude);
      return fromHistory(history, exclude, userId, limit, (h, _reason, title) => BECAUSE_TEXT[h.kind](title));
    },

    /** "Complete your collection": what goes with the cart (the saved cart when signed in, else the given ids). */
    async forCart(userId: number | undefined, productIds: number[], limit: number): Promise<RecommendationList> {
      let cartIds = productIds;
      let exclude = new Set(productIds);
      if (userId !== undefined) {
        const rows = await recs.userSignals(userId);
        cartIds = [...new Set(rows.filter((r) => r.kind === 'in_cart').map((r) => r.product_id))];
        exclude = new Set(rows.filter((r) => r.kind === 'purchase' || r.kind === 'in_cart').map((r) => r.product_id));
      }
      if (cartIds.length === 0) return { items: [], strategy: 'none' };
      const now = clock.now().getTime();
      const history = cartIds.map((productId) => ({ productId, weight: 1, kind: 'cart' as const, last: now }));
      return fromHistory(history, exclude, userId, limit, (_h, reason, title) => (reason === 'bought_together' ? `Bought together with ${title}` : `Goes well with ${title}`));
    },

    /** The home page's section: personal when signed in with a history, else trending. */
    async forHome(userId: number | undefined): Promise<RecommendationList & { heading: string }> {
      const list = await this.forUser(userId, 4);
      return { ...list, heading: list.strategy === 'personal' ? 'Recommended for you' : 'Trending now' };
    },
  };
}

export type RecommendationService = ReturnType<typeof createRecommendationService>;
