import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export interface EntitlementRow {
  id: number;
  user_id: number;
  order_id: number;
  product_id: number;
  max_downloads: number;
  download_count: number;
  revoked_at: Date | null;
  created_at: Date;
}

/** The right to download a bought product; created once per order item at fulfilment. */
export function createEntitlementModel(db: Db) {
  return {
    async createForOrder(rows: { user_id: number; order_id: number; product_id: number; max_downloads: number }[], trx: Handle = db): Promise<number> {
      if (!rows.length) return 0;
      const res = await trx('entitlements').insert(rows).onConflict(['order_id', 'product_id']).ignore().returning('id');
      return res.length;
    },
    async revokeForOrder(orderId: number, at: Date, trx: Handle = db): Promise<number> {
      return trx('entitlements').where({ order_id: orderId }).whereNull('revoked_at').update({ revoked_at: at });
    },
    /** Downloads of a user, newest first, with the product and the device. */
    async history(userId: number, limit = 100, trx: Handle = db) {
      return (await trx('downloads as d')
        .join('products as p', 'p.id', 'd.product_id')
        .where('d.user_id', userId)
        .orderBy('d.created_at', 'desc')
        .limit(limit)
        .select('d.id', 'd.created_at', 'd.ip', 'd.browser', 'd.os', 'd.device_type', 'p.title', 'p.slug')) as {
        id: number;
        created_at: Date;
        ip: string;
        browser: string | null;
        os: string | null;
        device_type: string;
        title: string;
        slug: string;
      }[];
    },

    async forOrder(orderId: number, trx: Handle = db): Promise<EntitlementRow[]> {
      return (await trx('entitlements').where({ order_id: orderId }).orderBy('id')) as EntitlementRow[];
    },
  };
}

export type EntitlementModel = ReturnType<typeof createEntitlementModel>;
