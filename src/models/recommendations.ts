import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { ProductCardRow } from './products.js';

type Handle = Knex | Knex.Transaction;

export type RecommendationReason = 'bought_together' | 'viewed_together' | 'similar';
export type SignalKindRow = 'view' | 'cart' | 'purchase';

export interface NeighbourRow {
  product_id: number;
  rank: number;
  neighbor_id: number;
  score: number;
  behaviour_score: number;
  content_score: number;
  reason: RecommendationReason;
}

/** A product's neighbour as a page shows it: the neighbour's card and why. */
export interface NeighbourCardRow extends ProductCardRow {
  rank: number;
  score: number;
  content_score: number;
  reason: RecommendationReason;
}

/** What the engine reads of a product. */
export interface ProductFactsRow {
  id: number;
  category_id: number;
  tags: string[];
  title: string;
}

/** One behaviour signal streamed to the recompute. */
export interface SignalRow {
  product_id: number;
  user_id: number | null;
  anonymous_id: string | null;
  at: Date;
}

const CARD = ['id', 'slug', 'title', 'summary', 'image_url', 'image_key', 'price_paise', 'discount_percent', 'rating', 'rating_count', 'tags', 'license_type', 'is_featured', 'category_id', 'created_at'];
const cardColumns = (alias: string) => CARD.map((c) => `${alias}.${c}`).join(', ');
/** Shown in the shop: visible and not archived (archiving hides too, but say both). */
const SHOWN = (alias: string) => `${alias}.is_visible AND ${alias}.archived_at IS NULL`;
/** "This user has a paid order holding the product" (the rule orders.ownedProductIds uses). */
const NOT_OWNED = (alias: string) =>
  `NOT EXISTS (SELECT 1 FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.user_id = CAST(? AS integer) AND o.status = 'paid' AND oi.product_id = ${alias}.id)`;

/** Rows streamed in large batches (pg-query-stream): the recompute never holds a whole table. */
const STREAM = { batchSize: 5000, highWaterMark: 5000 };

/**
 * product_recommendations, recommendation_trending and recommendation_runs, and the reads of
 * the behaviour tables the recompute streams (product_views, cart_events, paid order_items).
 */
export function createRecommendationModel(db: Db) {
  return {
    /** Products that may be recommended (visible, not archived), streamed. */
    eligibleProducts(trx: Handle = db): AsyncIterable<ProductFactsRow> {
      return trx.raw(`SELECT id, category_id, tags, title FROM products WHERE ${SHOWN('products')}`).stream(STREAM) as unknown as AsyncIterable<ProductFactsRow>;
    },

    /** Product views since `since`, streamed. */
    views(since: Date, trx: Handle = db): AsyncIterable<SignalRow> {
      return trx.raw('SELECT product_id, user_id, anonymous_id, created_at AS at FROM product_views WHERE created_at >= ?', [since]).stream(STREAM) as unknown as AsyncIterable<SignalRow>;
    },

    /** Cart adds since `since` (guests' from the browser, users' from the saved cart), streamed. */
    cartAdds(since: Date, trx: Handle = db): AsyncIterable<SignalRow> {
      return trx
        .raw("SELECT product_id, user_id, anonymous_id, created_at AS at FROM cart_events WHERE action = 'add' AND product_id IS NOT NULL AND created_at >= ?", [since])
        .stream(STREAM) as unknown as AsyncIterable<SignalRow>;
    },

    /** Products of paid orders since `since`, streamed. */
    purchases(since: Date, trx: Handle = db): AsyncIterable<SignalRow> {
      return trx
        .raw(
          `SELECT oi.product_id, o.user_id, NULL::varchar AS anonymous_id, coalesce(o.paid_at, o.updated_at) AS at
           FROM orders o JOIN order_items oi ON oi.order_id = o.id
           WHERE o.status = 'paid' AND coalesce(o.paid_at, o.updated_at) >= ?`,
          [since],
        )
        .stream(STREAM) as unknown as AsyncIterable<SignalRow>;
    },

    /**
     * Browsers that have been signed in: the beacon sends the anonymous id with the session, so a
     * view row holding both links them, and that browser's guest signals count as the user's.
     */
    async anonymousLinks(since: Date, trx: Handle = db): Promise<Map<string, number>> {
      const rows = (
        await trx.raw<{ rows: { anonymous_id: string; user_id: number }[] }>(
          `SELECT DISTINCT ON (anonymous_id) anonymous_id, user_id FROM product_views
           WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL AND created_at >= ?
           ORDER BY anonymous_id, created_at DESC`,
          [since],
        )
      ).rows;
      return new Map(rows.map((r) => [r.anonymous_id, r.user_id]));
    },

    /** Replaces the neighbour lists of these products (delete + insert, in the caller's transaction). */
    async replaceLists(runId: number, productIds: number[], rows: NeighbourRow[], trx: Handle): Promise<void> {
      if (productIds.length === 0) return;
      await trx.raw('DELETE FROM product_recommendations WHERE product_id = ANY(?::int[])', [productIds]);
      if (rows.length === 0) return;
      await trx.raw(
        `INSERT INTO product_recommendations (product_id, rank, neighbor_id, score, behaviour_score, content_score, reason, run_id)
         SELECT u.*, CAST(? AS integer) FROM unnest(?::int[], ?::smallint[], ?::int[], ?::real[], ?::real[], ?::real[], ?::varchar[]) AS u`,
        [
          runId,
          rows.map((r) => r.product_id),
          rows.map((r) => r.rank),
          rows.map((r) => r.neighbor_id),
          rows.map((r) => r.score),
          rows.map((r) => r.behaviour_score),
          rows.map((r) => r.content_score),
          rows.map((r) => r.reason),
        ],
      );
    },

    /** Drops the lists a run did not write (products hidden, archived or deleted since). */
    async sweep(runId: number, trx: Handle = db): Promise<number> {
      return trx('product_recommendations').whereNot('run_id', runId).delete();
    },

    /**
     * Trending now: views (1), cart adds (3) and purchases (5) of the last `days`, each decayed
     * by its age (half-life `halfLifeDays`), over shown products; the top `limit`.
     */
    async computeTrending(now: Date, days: number, halfLifeDays: number, limit: number, trx: Handle = db): Promise<{ product_id: number; score: number }[]> {
      const since = new Date(now.getTime() - days * 86_400_000);
      const decay = `power(0.5::float8, (greatest(0, extract(epoch FROM (CAST(:now AS timestamptz) - at))) / (86400.0 * :half))::float8)`;
      const res = await trx.raw<{ rows: { product_id: number; score: number }[] }>(
        `WITH s AS (
           SELECT product_id, created_at AS at, 1.0 AS w FROM product_views WHERE created_at >= :since AND created_at <= :now
           UNION ALL
           SELECT product_id, created_at, 3.0 FROM cart_events WHERE action = 'add' AND product_id IS NOT NULL AND created_at >= :since AND created_at <= :now
           UNION ALL
           SELECT oi.product_id, o.paid_at, 5.0 FROM orders o JOIN order_items oi ON oi.order_id = o.id
           WHERE o.status = 'paid' AND o.paid_at >= :since AND o.paid_at <= :now
         ), t AS (
           SELECT product_id, sum(w * ${decay}) AS score FROM s GROUP BY product_id
         )
         SELECT t.product_id, t.score::real AS score FROM t JOIN products p ON p.id = t.product_id
         WHERE ${SHOWN('p')} ORDER BY t.score DESC, t.product_id LIMIT :limit`,
        { since, now, half: halfLifeDays, limit },
      );
      return res.rows;
    },

    async replaceTrending(rows: { product_id: number; score: number }[], trx: Handle): Promise<void> {
      await trx('recommendation_trending').delete();
      if (rows.length) await trx('recommendation_trending').insert(rows.map((r, i) => ({ rank: i + 1, product_id: r.product_id, score: r.score })));
    },

    async startRun(at: Date, trx: Handle = db): Promise<number> {
      const [row] = (await trx('recommendation_runs').insert({ started_at: at }).returning('id')) as { id: number }[];
      return row!.id;
    },

    async finishRun(id: number, r: { at: Date; products: number; neighbours: number; signals: number; durationMs: number; peakRssMb: number }, trx: Handle = db): Promise<void> {
      await trx('recommendation_runs').where({ id }).update({ finished_at: r.at, products: r.products, neighbours: r.neighbours, signals: r.signals, duration_ms: r.durationMs, peak_rss_mb: r.peakRssMb });
    },

    /** One product's neighbours that are shown now (and not owned by `userId`), best first, with their cards. */
    async neighbourCards(productId: number, limit: number, userId: number | undefined, trx: Handle = db): Promise<NeighbourCardRow[]> {
      const owned = userId === undefined ? '' : `AND ${NOT_OWNED('p')}`;
      const res = await trx.raw<{ rows: NeighbourCardRow[] }>(
        `SELECT r.rank, r.score, r.content_score, r.reason, ${cardColumns('p')}
         FROM product_recommendations r JOIN products p ON p.id = r.neighbor_id
         WHERE r.product_id = CAST(? AS integer) AND ${SHOWN('p')} ${owned}
         ORDER BY r.rank LIMIT CAST(? AS integer)`,
        userId === undefined ? [productId, limit] : [productId, userId, limit],
      );
      return res.rows;
    },

    /** A product's neighbours by the product's slug, in one statement; `source_title` names the product. */
    async neighbourCardsBySlug(slug: string, limit: number, userId: number | undefined, trx: Handle = db): Promise<(NeighbourCardRow & { source_title: string })[]> {
      const owned = userId === undefined ? '' : `AND ${NOT_OWNED('p')}`;
      const res = await trx.raw<{ rows: (NeighbourCardRow & { source_title: string })[] }>(
        `SELECT r.rank, r.score, r.content_score, r.reason, s.title AS source_title, ${cardColumns('p')}
         FROM products s
         JOIN product_recommendations r ON r.product_id = s.id
         JOIN products p ON p.id = r.neighbor_id
         WHERE s.slug = CAST(? AS varchar) AND ${SHOWN('s')} AND ${SHOWN('p')} ${owned}
         ORDER BY r.rank LIMIT CAST(? AS integer)`,
        userId === undefined ? [slug, limit] : [slug, userId, limit],
      );
      return res.rows;
    },

    /** The neighbour lists of several products at once (their first `maxRank` entries), by primary key alone. */
    async neighboursOf(productIds: number[], maxRank: number, trx: Handle = db): Promise<Pick<NeighbourRow, 'product_id' | 'neighbor_id' | 'score' | 'reason'>[]> {
      if (productIds.length === 0) return [];
      const res = await trx.raw<{ rows: Pick<NeighbourRow, 'product_id' | 'neighbor_id' | 'score' | 'reason'>[] }>(
        'SELECT product_id, neighbor_id, score, reason FROM product_recommendations WHERE product_id = ANY(?::int[]) AND rank <= CAST(? AS integer)',
        [productIds, maxRank],
      );
      return res.rows;
    },

    /**
     * In one statement: cards of `ids` that are shown and not owned by `userId` (in the order
     * given), and the titles of `titleIds` (the "because" of each reason), shown or not.
     */
    async cardsWithTitles(ids: number[], titleIds: number[], userId: number, trx: Handle = db): Promise<{ cards: ProductCardRow[]; titles: Map<number, string> }> {
      const all = [...new Set([...ids, ...titleIds])];
      if (all.length === 0) return { cards: [], titles: new Map() };
      const res = await trx.raw<{ rows: (ProductCardRow & { ok: boolean })[] }>(
        `SELECT ${cardColumns('p')}, (${SHOWN('p')} AND ${NOT_OWNED('p')}) AS ok FROM products p WHERE p.id = ANY(?::int[])`,
        [userId, all],
      );
      const byId = new Map(res.rows.filter((r) => r.ok).map((r) => [r.id, r]));
      return { cards: ids.flatMap((id) => byId.get(id) ?? []), titles: new Map(res.rows.map((r) => [r.id, r.title])) };
    },

    /** Titles of a few products (the "because" of each reason), shown or not. */
    async titles(ids: number[], trx: Handle = db): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map();
      const rows = (await trx.raw<{ rows: { id: number; title: string }[] }>('SELECT id, title FROM products WHERE id = ANY(?::int[])', [ids])).rows;
      return new Map(rows.map((r) => [r.id, r.title]));
    },

    /** Cards of these products that are shown now and not owned by `userId`, in the order given. */
    async cards(ids: number[], userId: number | undefined, trx: Handle = db): Promise<ProductCardRow[]> {
      if (ids.length === 0) return [];
      const owned = userId === undefined ? '' : `AND ${NOT_OWNED('p')}`;
      const res = await trx.raw<{ rows: ProductCardRow[] }>(
        `SELECT ${cardColumns('p')} FROM products p WHERE p.id = ANY(?::int[]) AND ${SHOWN('p')} ${owned}`,
        userId === undefined ? [ids] : [ids, userId],
      );
      const byId = new Map(res.rows.map((r) => [r.id, r]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },

    async trendingIds(limit: number, trx: Handle = db): Promise<number[]> {
      return (await trx('recommendation_trending').orderBy('rank').limit(limit).pluck('product_id')) as number[];
    },

    /**
     * A user's recent signals (their newest views, cart adds and purchases, 100 of each) and what
     * is in their cart now: one statement over the per-user indexes.
     */
    async userSignals(userId: number, trx: Handle = db): Promise<{ product_id: number; kind: SignalKindRow | 'in_cart'; at: Date }[]> {
      const res = await trx.raw<{ rows: { product_id: number; kind: SignalKindRow | 'in_cart'; at: Date }[] }>(
        `(SELECT product_id, 'view' AS kind, created_at AS at FROM product_views WHERE user_id = :u ORDER BY created_at DESC LIMIT 100)
         UNION ALL
         (SELECT product_id, 'cart', created_at FROM cart_events WHERE user_id = :u AND action = 'add' AND product_id IS NOT NULL ORDER BY created_at DESC LIMIT 100)
         UNION ALL
         (SELECT oi.product_id, 'purchase', coalesce(o.paid_at, o.created_at) FROM orders o JOIN order_items oi ON oi.order_id = o.id
          WHERE o.user_id = :u AND o.status = 'paid' ORDER BY o.created_at DESC LIMIT 100)
         UNION ALL
         (SELECT ci.product_id, 'in_cart', ci.added_at FROM carts c JOIN cart_items ci ON ci.cart_id = c.id WHERE c.user_id = :u LIMIT 100)`,
        { u: userId },
      );
      return res.rows;
    },
  };
}

export type RecommendationModel = ReturnType<typeof createRecommendationModel>;
