import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export function createOrderModel(db: Db) {
  return {
    /** Which of these products the user has already bought (a paid order holds them). */
    async ownedProductIds(userId: number, productIds: number[], trx: Handle = db): Promise<Set<number>> {
      if (productIds.length === 0) return new Set();
      const ids = (await trx('order_items as i')
        .join('orders as o', 'o.id', 'i.order_id')
        .where({ 'o.user_id': userId, 'o.status': 'paid' })
        .whereIn('i.product_id', productIds)
        .distinct('i.product_id')
        .pluck('i.product_id')) as number[];
      return new Set(ids);
    },
  };
}

export type OrderModel = ReturnType<typeof createOrderModel>;
