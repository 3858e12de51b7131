import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type CartAction = 'add' | 'remove' | 'merge';

/** A cart line with what pricing it needs, and whether the user already owns the product. */
export interface CartLineWithProduct {
  product_id: number;
  quantity: number;
  category_id: number | null;
  slug: string | null;
  title: string | null;
  image_url: string | null;
  price_paise: number | null;
  discount_percent: number | null;
  license_type: string | null;
  is_visible: boolean | null;
  owned: boolean;
}

/** "This user has a paid order holding the product" (the same rule as orders.ownedProductIds). */
const OWNED_SQL = `EXISTS (SELECT 1 FROM order_items oi JOIN orders o ON o.id = oi.order_id
                           WHERE o.user_id = ? AND o.status = 'paid' AND oi.product_id = p.id)`;

/** One cart per signed-in user; one line per product (a unique key, so racing adds upsert). */
export function createCartModel(db: Db) {
  return {
    /** The user's cart id, creating the cart on first use (safe under concurrency). */
    async ensureCart(userId: number, trx: Handle = db): Promise<number> {
      const [row] = await trx('carts')
        .insert({ user_id: userId })
        .onConflict('user_id')
        .merge({ updated_at: trx.fn.now() })
        .returning('id');
      return (row as { id: number }).id;
    },

    /**
     * Sets a line's quantity (adding the cart and the line if needed) for a product the user
     * may add: visible and not already theirs. Racing adds upsert through the unique keys. The checks, the
     * cart, the line and the event are one statement (one round trip, atomic); says which check
     * failed when nothing was written.
     */
    async setLineIfAllowed(userId: number, productId: number, quantity: number, at: Date, trx: Handle = db): Promise<'set' | 'unavailable' | 'owned'> {
      const res = await trx.raw(
        `WITH product AS (
           SELECT p.id, ${OWNED_SQL} AS owned FROM products p WHERE p.id = ? AND p.is_visible
         ), cart AS (
           INSERT INTO carts (user_id) SELECT ? FROM product WHERE NOT owned
           ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
           RETURNING id
         ), line AS (
           INSERT INTO cart_items (cart_id, product_id, quantity) SELECT id, ?, ? FROM cart
           ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity
           RETURNING product_id
         ), event AS (
           INSERT INTO cart_events (user_id, product_id, action, quantity, created_at)
           SELECT ?, product_id, 'add', ?, ? FROM line
         )
         SELECT (SELECT owned FROM product) AS owned`,
        [userId, productId, userId, productId, quantity, userId, quantity, at],
      );
      const owned = (res.rows as { owned: boolean | null }[])[0]?.owned;
      return owned === null || owned === undefined ? 'unavailable' : owned ? 'owned' : 'set';
    },

    /** The user's lines in the order added, with their products (hidden or deleted ones too) and ownership, in one query. */
    async linesWithProducts(userId: number, trx: Handle = db): Promise<CartLineWithProduct[]> {
      const res = await trx.raw(
        `SELECT i.product_id, i.quantity, p.category_id, p.slug, p.title, p.image_url, p.price_paise, p.discount_percent, p.license_type, p.is_visible,
                (p.id IS NOT NULL AND ${OWNED_SQL}) AS owned
         FROM carts c JOIN cart_items i ON i.cart_id = c.id LEFT JOIN products p ON p.id = i.product_id
         WHERE c.user_id = ? ORDER BY i.added_at, i.id`,
        [userId, userId],
      );
      return res.rows as CartLineWithProduct[];
    },

    /** The coupon code the user's cart carries, if any. */
    async coupon(userId: number, trx: Handle = db): Promise<string | null> {
      const row = (await trx('carts').where({ user_id: userId }).first('coupon_code')) as { coupon_code: string | null } | undefined;
      return row?.coupon_code ?? null;
    },

    /** Puts a coupon code on the user's cart (creating the cart if needed), or takes it off (null). */
    async setCoupon(userId: number, code: string | null, trx: Handle = db): Promise<void> {
      await trx('carts').insert({ user_id: userId, coupon_code: code }).onConflict('user_id').merge({ coupon_code: code, updated_at: trx.fn.now() });
    },

    /** Takes this code off the user's cart (a code since put on in its place stays). */
    async clearCoupon(userId: number, code: string, trx: Handle = db): Promise<void> {
      await trx('carts').where({ user_id: userId }).whereRaw('lower(coupon_code) = lower(?)', [code]).update({ coupon_code: null });
    },

    /** Adds a line or keeps the larger quantity: merging the same guest cart twice is a no-op. */
    async mergeLine(cartId: number, productId: number, quantity: number, trx: Handle = db): Promise<void> {
      await trx.raw(
        `INSERT INTO cart_items (cart_id, product_id, quantity) VALUES (?, ?, ?)
         ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = GREATEST(cart_items.quantity, EXCLUDED.quantity)`,
        [cartId, productId, quantity],
      );
    },

    async removeLines(userId: number, productIds: number[], trx: Handle = db): Promise<number> {
      if (productIds.length === 0) return 0;
      return trx('cart_items')
        .whereIn('product_id', productIds)
        .whereIn('cart_id', trx('carts').select('id').where({ user_id: userId }))
        .delete();
    },

    async count(userId: number, trx: Handle = db): Promise<number> {
      const [row] = await trx('cart_items as i').join('carts as c', 'c.id', 'i.cart_id').where('c.user_id', userId).sum<{ sum: number | null }[]>('i.quantity as sum');
      return Number(row?.sum ?? 0);
    },

    async recordEvents(
      rows: { user_id?: number | null; anonymous_id?: string | null; product_id: number | null; action: CartAction; quantity?: number | null; created_at: Date }[],
      trx: Handle = db,
    ): Promise<void> {
      if (rows.length) await trx('cart_events').insert(rows);
    },
  };
}

export type CartModel = ReturnType<typeof createCartModel>;
