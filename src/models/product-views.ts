import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export interface ProductViewRow {
  id: number;
  product_id: number;
  user_id: number | null;
  anonymous_id: string | null;
  created_at: Date;
}

/** Who viewed: a signed-in user (their id) or a browser (its anonymous id); a user may carry both. */
export interface NewProductView {
  productId: number;
  userId: number | null;
  anonymousId: string | null;
  at: Date;
  /** A view by the same viewer of the same product after this instant makes this one a repeat. */
  repeatSince: Date;
}

/** `found`: the product exists and is visible; `inserted`: a row was added (false for a repeat). */
export interface RecordResult {
  found: boolean;
  inserted: boolean;
}

/**
 * product_views: insert-only. A view is recorded in ONE statement that checks the product is
 * visible, that the viewer has no view of it since `repeatSince` (through the viewer's
 * (user_id | anonymous_id, created_at) index: only their last half hour is read), and inserts:
 * one round trip, no counter row to update, no lock held. Two views racing in the same
 * millisecond from one viewer may both land; that costs one extra row in an estimate, which a
 * lock per view would cost every view to prevent.
 */
export function createProductViewModel(db: Db) {
  return {
    async recordUnlessRepeat(v: NewProductView, trx: Handle = db): Promise<RecordResult> {
      // The viewer is the user when signed in, else the browser.
      const viewer = v.userId !== null ? 'v.user_id = CAST(? AS integer)' : 'v.anonymous_id = CAST(? AS varchar)';
      const viewerValue = v.userId ?? v.anonymousId;
      const res = await trx.raw<{ rows: RecordResult[] }>(
        `WITH product AS (
           SELECT id FROM products WHERE id = CAST(? AS integer) AND is_visible
         ), inserted AS (
           INSERT INTO product_views (product_id, user_id, anonymous_id, created_at)
           SELECT product.id, CAST(? AS integer), CAST(? AS varchar), CAST(? AS timestamptz) FROM product
           WHERE NOT EXISTS (
             SELECT 1 FROM product_views v
             WHERE ${viewer} AND v.product_id = product.id AND v.created_at > CAST(? AS timestamptz)
           )
           RETURNING id
         )
         SELECT EXISTS (SELECT 1 FROM product) AS found, EXISTS (SELECT 1 FROM inserted) AS inserted`,
        [v.productId, v.userId, v.anonymousId, v.at, viewerValue, v.repeatSince],
      );
      return res.rows[0]!;
    },

    /** A product's views, newest first (tests and, later, the analytics pages). */
    async listForProduct(productId: number, limit = 100, trx: Handle = db): Promise<ProductViewRow[]> {
      return (await trx('product_views').where({ product_id: productId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)) as ProductViewRow[];
    },
  };
}

export type ProductViewModel = ReturnType<typeof createProductViewModel>;
