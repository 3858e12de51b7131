import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type OrderStatus = 'pending' | 'paid' | 'failed' | 'refunded' | 'expired';

export interface OrderRow {
  id: number;
  user_id: number;
  status: OrderStatus;
  currency: string;
  subtotal_paise: number;
  discount_paise: number;
  total_paise: number;
  razorpay_order_id: string | null;
  cart_fingerprint: string | null;
  receipt: string | null;
  failure_reason: string | null;
  paid_at: Date | null;
  fulfilled_at: Date | null;
  refunded_at: Date | null;
  /** Paise refunded so far (partial refunds keep the order paid). */
  refunded_paise: number;
  /** Set when a person must look (an amount mismatch); automatic handling then stops. */
  attention_reason: string | null;
  attention_at: Date | null;
  /** The coupon that priced the order (deals), its code and name as applied, and its saving. */
  coupon_offer_id: number | null;
  coupon_code: string | null;
  coupon_name: string | null;
  coupon_discount_paise: number;
  created_at: Date;
  updated_at: Date;
}

export interface OrderItemRow {
  id: number;
  order_id: number;
  product_id: number;
  title: string;
  unit_price_paise: number;
  discount_percent: number;
  sale_price_paise: number;
  quantity: number;
  line_total_paise: number;
  license_type: string;
  /** The automatic offer that priced the line (its name copied for the receipt). */
  offer_id: number | null;
  offer_name: string | null;
  /** The order's coupon's share of this line, paise (line_total_paise is before it). */
  coupon_discount_paise: number;
}

export type NewOrderItem = Omit<OrderItemRow, 'id' | 'order_id'>;

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

    /** The newest paid order of this user that holds the product (for "You own this"). */
    async paidOrderWith(userId: number, productId: number, trx: Handle = db): Promise<number | undefined> {
      const row = (await trx('order_items as i')
        .join('orders as o', 'o.id', 'i.order_id')
        .where({ 'o.user_id': userId, 'o.status': 'paid', 'i.product_id': productId })
        .orderBy('o.id', 'desc')
        .first('o.id')) as { id: number } | undefined;
      return row?.id;
    },

    /**
     * Inserts a pending order unless the user already has one (the partial unique index makes
     * this race-free). Returns the new row, or undefined when another pending order exists.
     */
    async insertPendingIfNone(
      row: Pick<
        OrderRow,
        'user_id' | 'currency' | 'subtotal_paise' | 'discount_paise' | 'total_paise' | 'cart_fingerprint' | 'coupon_offer_id' | 'coupon_code' | 'coupon_name' | 'coupon_discount_paise'
      >,
      trx: Handle = db,
    ): Promise<OrderRow | undefined> {
      const res = await trx.raw(
        `INSERT INTO orders (user_id, status, currency, subtotal_paise, discount_paise, total_paise, cart_fingerprint, coupon_offer_id, coupon_code, coupon_name, coupon_discount_paise)
         VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
         RETURNING *`,
        [row.user_id, row.currency, row.subtotal_paise, row.discount_paise, row.total_paise, row.cart_fingerprint, row.coupon_offer_id, row.coupon_code, row.coupon_name, row.coupon_discount_paise],
      );
      return (res.rows as OrderRow[])[0];
    },

    async insertItems(orderId: number, items: NewOrderItem[], trx: Handle = db): Promise<void> {
      await trx('order_items').insert(items.map((i) => ({ ...i, order_id: orderId })));
    },

    async findPendingForUser(userId: number, trx: Handle = db): Promise<OrderRow | undefined> {
      return (await trx('orders').where({ user_id: userId, status: 'pending' }).first()) as OrderRow | undefined;
    },

    async findById(id: number, trx: Handle = db): Promise<OrderRow | undefined> {
      return (await trx('orders').where({ id }).first()) as OrderRow | undefined;
    },

    async findByRazorpayOrderIdForUpdate(razorpayOrderId: string, trx: Knex.Transaction): Promise<OrderRow | undefined> {
      return (await trx('orders').where({ razorpay_order_id: razorpayOrderId }).forUpdate().first()) as OrderRow | undefined;
    },

    async findByRazorpayOrderId(razorpayOrderId: string, trx: Handle = db): Promise<OrderRow | undefined> {
      return (await trx('orders').where({ razorpay_order_id: razorpayOrderId }).first()) as OrderRow | undefined;
    },

    /** A user's orders, newest first (pending ones older than a day are left out as noise). */
    async listForUser(userId: number, trx: Handle = db): Promise<OrderRow[]> {
      return (await trx('orders').where({ user_id: userId }).whereIn('status', ['paid', 'refunded', 'pending']).orderBy('created_at', 'desc').limit(100)) as OrderRow[];
    },

    async itemsForOrders(orderIds: number[], trx: Handle = db): Promise<OrderItemRow[]> {
      if (!orderIds.length) return [];
      return (await trx('order_items').whereIn('order_id', orderIds).orderBy('id')) as OrderItemRow[];
    },

    async items(orderId: number, trx: Handle = db): Promise<OrderItemRow[]> {
      return (await trx('order_items').where({ order_id: orderId }).orderBy('id')) as OrderItemRow[];
    },

    async update(id: number, changes: Partial<Omit<OrderRow, 'id' | 'user_id' | 'created_at'>>, trx: Handle = db): Promise<void> {
      await trx('orders').where({ id }).update({ ...changes, updated_at: trx.fn.now() });
    },

    /**
     * Closes a pending order that never got its Razorpay order id within `staleSeconds` of being
     * made (its request died). Measured on the database clock, which stamped created_at.
     */
    async closeIfUnsent(id: number, staleSeconds: number, trx: Handle = db): Promise<boolean> {
      const n = await trx('orders')
        .where({ id, status: 'pending' })
        .whereNull('razorpay_order_id')
        .andWhereRaw('created_at < now() - make_interval(secs => ?)', [staleSeconds])
        .update({ status: 'failed', failure_reason: 'Checkout was interrupted before payment', updated_at: trx.fn.now() });
      return n === 1;
    },

    /** Closes every such order at once (the reconciler's sweep); returns how many. */
    async closeAllUnsent(staleSeconds: number, trx: Handle = db): Promise<number> {
      return trx('orders')
        .where({ status: 'pending' })
        .whereNull('razorpay_order_id')
        .andWhereRaw('created_at < now() - make_interval(secs => ?)', [staleSeconds])
        .update({ status: 'failed', failure_reason: 'Checkout was interrupted before payment', updated_at: trx.fn.now() });
    },

    /** Flags an order for a person; returns false if it was already flagged (so alerts go once). */
    async flagAttention(id: number, reason: string, at: Date, trx: Handle = db): Promise<boolean> {
      const n = await trx('orders').where({ id }).whereNull('attention_at').update({ attention_reason: reason.slice(0, 300), attention_at: at, updated_at: trx.fn.now() });
      return n === 1;
    },

    /** Moves a still-pending order to another state; returns whether it was pending. */
    async leavePending(id: number, status: 'expired' | 'failed', reason: string | null, trx: Handle = db): Promise<boolean> {
      const n = await trx('orders').where({ id, status: 'pending' }).update({ status, failure_reason: reason, updated_at: trx.fn.now() });
      return n === 1;
    },
  };
}

export type OrderModel = ReturnType<typeof createOrderModel>;
