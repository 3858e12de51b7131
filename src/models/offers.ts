import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Offer } from '../services/pricing.js';

type Handle = Knex | Knex.Transaction;

export interface OfferRow {
  id: number;
  name: string;
  kind: 'automatic' | 'coupon';
  code: string | null;
  discount_type: 'percent' | 'fixed';
  amount: number;
  scope: 'all' | 'categories' | 'products';
  starts_at: Date;
  ends_at: Date;
  min_cart_paise: number | null;
  max_uses: number | null;
  max_uses_per_customer: number | null;
  banner_text: string | null;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
  category_ids: number[];
  product_ids: number[];
}

export type OfferFields = Omit<OfferRow, 'id' | 'created_at' | 'updated_at' | 'category_ids' | 'product_ids'>;


export function toOffer(r: OfferRow): Offer {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    code: r.code,
    discountType: r.discount_type,
    amount: r.amount,
    scope: r.scope,
    categoryIds: r.category_ids,
    productIds: r.product_ids,
    startsAt: new Date(r.starts_at),
    endsAt: new Date(r.ends_at),
    minCartPaise: r.min_cart_paise,
    bannerText: r.banner_text,
  };
}

/** Each offer's scope lists ride along as arrays (one query, no N+1). */
function withScopes(trx: Handle) {
  return trx('offers as o').select(
    'o.*',
    trx.raw('COALESCE((SELECT array_agg(category_id ORDER BY category_id) FROM offer_categories c WHERE c.offer_id = o.id), ARRAY[]::int[]) AS category_ids'),
    trx.raw('COALESCE((SELECT array_agg(product_id ORDER BY product_id) FROM offer_products p WHERE p.offer_id = o.id), ARRAY[]::int[]) AS product_ids'),
  );
}

export interface OfferStats {
  offer_id: number;
  /** Paid (or refunded) orders carrying the offer, as a coupon or on a line. */
  orders: number;
  /** Those orders' totals, paise. */
  revenue_paise: number;
  /** What the offer took off them, paise. */
  discount_paise: number;
  /** Coupon uses held by pending orders. */
  held: number;
}

export function createOfferModel(db: Db) {
  return {
    /** Active offers that have not ended yet (live or scheduled): few rows, by a partial index. */
    async current(now: Date, trx: Handle = db): Promise<OfferRow[]> {
      return (await withScopes(trx).where('o.is_active', true).where('o.ends_at', '>', now).orderBy('o.id')) as OfferRow[];
    },

    async findById(id: number, trx: Handle = db): Promise<OfferRow | undefined> {
      return (await withScopes(trx).where('o.id', id).first()) as OfferRow | undefined;
    },

    /** A coupon by its code, whatever the case it is typed in. */
    async findByCode(code: string, trx: Handle = db): Promise<OfferRow | undefined> {
      return (await withScopes(trx).whereRaw('lower(o.code) = lower(?)', [code]).first()) as OfferRow | undefined;
    },

    /**
     * Takes the offer's row lock: coupon uses of one offer are counted and added one at a time.
     * NO KEY UPDATE, because orders and redemptions reference the offer, and their foreign-key
     * checks take KEY SHARE on it: FOR UPDATE would deadlock two checkouts against each other.
     */
    async lock(id: number, trx: Knex.Transaction): Promise<void> {
      await trx('offers').where({ id }).forNoKeyUpdate().first('id');
    },

    /**
     * Uses that count: held by a pending order or used by a paid (or refunded) one. The asking
     * customer's own pending order is left out: they have at most one, and their next checkout
     * either reuses it (its use already held) or replaces it, so retrying a payment never
     * counts their code twice. `total` is only counted when the offer has a total limit.
     */
    async usesOf(offerId: number, userId: number | undefined, opts: { total: boolean; byUser: boolean }, trx: Handle = db): Promise<{ total: number; byUser: number }> {
      const counted = (q: Knex.QueryBuilder) =>
        q
          .from('offer_redemptions as r')
          .join('orders as o', 'o.id', 'r.order_id')
          .where('r.offer_id', offerId)
          .where((w) => {
            w.whereIn('o.status', ['paid', 'refunded']);
            w.orWhere((p) => {
              p.where('o.status', 'pending');
              if (userId !== undefined) p.whereNot('o.user_id', userId);
            });
          });
      const [total, byUser] = await Promise.all([
        opts.total ? counted(trx.queryBuilder()).count<{ n: string }[]>('* as n') : Promise.resolve([{ n: '0' }]),
        // Per customer: by the (offer_id, user_id) index, whatever the offer's size.
        opts.byUser && userId !== undefined ? counted(trx.queryBuilder()).where('r.user_id', userId).count<{ n: string }[]>('* as n') : Promise.resolve([{ n: '0' }]),
      ]);
      return { total: Number(total[0]?.n ?? 0), byUser: Number(byUser[0]?.n ?? 0) };
    },

    /** Whether these categories exist (an offer's scope may only name real ones). */
    async missingCategories(ids: number[], trx: Handle = db): Promise<number[]> {
      if (!ids.length) return [];
      const found = new Set((await trx('categories').whereIn('id', ids).pluck('id')) as number[]);
      return ids.filter((id) => !found.has(id));
    },

    async insertRedemption(row: { offer_id: number; order_id: number; user_id: number; code: string; created_at: Date }, trx: Handle = db): Promise<void> {
      await trx('offer_redemptions').insert(row);
    },

    // --- the admin's side ------------------------------------------------------------------
    async list(limit: number, offset: number, trx: Handle = db): Promise<OfferRow[]> {
      return (await withScopes(trx).orderBy([{ column: 'o.starts_at', order: 'desc' }, { column: 'o.id', order: 'desc' }]).limit(limit).offset(offset)) as OfferRow[];
    },

    /** Orders, revenue and discount per offer, for the given offers only (indexed lookups). */
    async stats(ids: number[], trx: Handle = db): Promise<Map<number, OfferStats>> {
      if (!ids.length) return new Map();
      const { rows } = await trx.raw(
        `WITH carried AS (
           SELECT o.coupon_offer_id AS offer_id, o.id AS order_id, o.status, o.total_paise, o.coupon_discount_paise AS discount
             FROM orders o WHERE o.coupon_offer_id = ANY(?)
           UNION ALL
           SELECT i.offer_id, i.order_id, o.status, NULL, (i.unit_price_paise - i.sale_price_paise) * i.quantity
             FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.offer_id = ANY(?)
         ), per_order AS (
           SELECT offer_id, order_id, status, sum(discount) AS discount FROM carried GROUP BY offer_id, order_id, status
         )
         SELECT p.offer_id,
                count(*) FILTER (WHERE p.status IN ('paid', 'refunded'))::int AS orders,
                COALESCE(sum(o.total_paise - o.refunded_paise) FILTER (WHERE p.status IN ('paid', 'refunded')), 0)::bigint AS revenue_paise,
                COALESCE(sum(p.discount) FILTER (WHERE p.status IN ('paid', 'refunded')), 0)::bigint AS discount_paise,
                count(*) FILTER (WHERE p.status = 'pending')::int AS held
           FROM per_order p JOIN orders o ON o.id = p.order_id
          GROUP BY p.offer_id`,
        [ids, ids],
      );
      return new Map(
        (rows as { offer_id: number; orders: number; revenue_paise: string; discount_paise: string; held: number }[]).map((r) => [
          r.offer_id,
          { offer_id: r.offer_id, orders: r.orders, revenue_paise: Number(r.revenue_paise), discount_paise: Number(r.discount_paise), held: r.held },
        ]),
      );
    },

    async insert(fields: OfferFields, trx: Handle = db): Promise<number> {
      const [row] = await trx('offers').insert(fields).returning('id');
      return (row as { id: number }).id;
    },

    async update(id: number, fields: Partial<OfferFields>, trx: Handle = db): Promise<boolean> {
      return (await trx('offers').where({ id }).update({ ...fields, updated_at: trx.fn.now() })) === 1;
    },

    async setScope(id: number, categoryIds: number[], productIds: number[], trx: Handle = db): Promise<void> {
      await trx('offer_categories').where({ offer_id: id }).delete();
      await trx('offer_products').where({ offer_id: id }).delete();
      if (categoryIds.length) await trx('offer_categories').insert(categoryIds.map((category_id) => ({ offer_id: id, category_id })));
      if (productIds.length) await trx('offer_products').insert(productIds.map((product_id) => ({ offer_id: id, product_id })));
    },

    /** Whether any order ever carried the offer (then it is switched off, never deleted). */
    async everUsed(id: number, trx: Handle = db): Promise<boolean> {
      const used = await trx.raw(
        'SELECT EXISTS (SELECT 1 FROM offer_redemptions WHERE offer_id = ?) OR EXISTS (SELECT 1 FROM order_items WHERE offer_id = ?) AS used',
        [id, id],
      );
      return Boolean((used.rows[0] as { used: boolean }).used);
    },

    /** Products named by id or address (slug) in an offer's scope, for the form. */
    async productsNamed(refs: { ids: number[]; slugs: string[] }, trx: Handle = db): Promise<{ id: number; slug: string; title: string }[]> {
      if (!refs.ids.length && !refs.slugs.length) return [];
      return (await trx('products')
        .where((q) => {
          if (refs.ids.length) q.orWhereIn('id', refs.ids);
          if (refs.slugs.length) q.orWhereIn('slug', refs.slugs);
        })
        .orderBy('id')
        .limit(500)
        .select('id', 'slug', 'title')) as { id: number; slug: string; title: string }[];
    },

    async remove(id: number, trx: Handle = db): Promise<boolean> {
      return (await trx('offers').where({ id }).delete()) === 1;
    },
  };
}

export type OfferModel = ReturnType<typeof createOfferModel>;
