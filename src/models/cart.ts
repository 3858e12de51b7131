import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export interface CartLineRow {
  product_id: number;
  quantity: number;
  added_at: Date;
}

export type CartAction = 'add' | 'remove' | 'merge';

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
     * Sets a line's quantity (adding the cart and the line if needed) and records the event, in
     * one statement: atomic without a transaction's extra round trips, and safe when many adds
     * race (the unique keys turn them into updates). Repeating it changes nothing but the event log.
     */
    async setLine(userId: number, productId: number, quantity: number, at: Date, trx: Handle = db): Promise<void> {
      await trx.raw(
        `WITH cart AS (
           INSERT INTO carts (user_id) VALUES (?)
           ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
           RETURNING id
         ), line AS (
           INSERT INTO cart_items (cart_id, product_id, quantity) SELECT id, ?, ? FROM cart
           ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity
           RETURNING product_id
         )
         INSERT INTO cart_events (user_id, product_id, action, quantity, created_at)
         SELECT ?, product_id, 'add', ?, ? FROM line`,
        [userId, productId, quantity, userId, quantity, at],
      );
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

    async lines(userId: number, trx: Handle = db): Promise<CartLineRow[]> {
      return (await trx('cart_items as i')
        .join('carts as c', 'c.id', 'i.cart_id')
        .where('c.user_id', userId)
        .select('i.product_id', 'i.quantity', 'i.added_at')
        .orderBy([{ column: 'i.added_at' }, { column: 'i.id' }])) as CartLineRow[];
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
