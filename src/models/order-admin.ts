import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { OrderRow, OrderStatus } from './orders.js';
import type { PaymentRecord } from './payments.js';

type Handle = Knex | Knex.Transaction;

/** What an admin search box can mean, decided by the service (order number, Razorpay ids, email). */
export type OrderSearch =
  | { kind: 'id'; id: number }
  | { kind: 'razorpay_order'; value: string }
  | { kind: 'payment'; value: string }
  | { kind: 'email'; value: string; exact: boolean }
  /** Buyers already looked up (an email prefix that matched few accounts). */
  | { kind: 'buyers'; ids: number[] };

export interface AdminOrderFilter {
  status?: OrderStatus | 'attention';
  search?: OrderSearch;
  /** Created at or after (inclusive). */
  from?: Date;
  /** Created before (exclusive). */
  to?: Date;
}

export interface AdminOrderListRow {
  id: number;
  user_id: number;
  status: OrderStatus;
  currency: string;
  total_paise: number;
  refunded_paise: number;
  razorpay_order_id: string | null;
  attention_at: Date | null;
  created_at: Date;
  paid_at: Date | null;
  buyer_email: string;
  buyer_name: string;
}

export type AdminPaymentRow = Omit<PaymentRecord, 'order_id'> & { id: number; created_at: Date; updated_at: Date };

export interface AdminWebhookEventRow {
  id: number;
  event_id: string;
  event: string;
  outcome: string | null;
  error: string | null;
  received_at: Date;
  processed_at: Date | null;
}

export interface AdminEntitlementRow {
  id: number;
  product_id: number;
  title: string;
  max_downloads: number;
  download_count: number;
  revoked_at: Date | null;
  created_at: Date;
}

export interface AdminDownloadRow {
  id: number;
  entitlement_id: number;
  title: string;
  kind: string;
  ip: string;
  browser: string | null;
  os: string | null;
  device_type: string;
  created_at: Date;
}

/** `%` and `_` typed into a search box mean themselves. */
const likePrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Accounts whose email begins with the text, in any case. Written as lower(email::text) LIKE so
 * that an index on (lower(email::text) text_pattern_ops) serves it where one exists.
 */
const emailPrefix = (trx: Handle, prefix: string) => trx('users').whereRaw("lower(email::text) LIKE ? ESCAPE '\\'", [likePrefix(prefix)]);

/**
 * The admin's queries over orders and what hangs off them. Every list query walks an index in
 * its sort order (orders_created_idx, orders_status_created_idx) and stops at a LIMIT; buyers come
 * by join, item counts by one grouped query for the page's ids.
 */
export function createOrderAdminQueries(db: Db) {
  function matching(trx: Handle, f: AdminOrderFilter) {
    const q = trx('orders as o');
    if (f.status === 'attention') q.whereNotNull('o.attention_at');
    else if (f.status) q.where('o.status', f.status);
    if (f.from) q.where('o.created_at', '>=', f.from);
    if (f.to) q.where('o.created_at', '<', f.to);
    const s = f.search;
    if (s?.kind === 'id') q.where('o.id', s.id);
    else if (s?.kind === 'razorpay_order') q.where('o.razorpay_order_id', s.value);
    else if (s?.kind === 'payment') q.whereIn('o.id', trx('payments').where('razorpay_payment_id', s.value).select('order_id'));
    else if (s?.kind === 'buyers') q.whereIn('o.user_id', s.ids);
    else if (s?.kind === 'email') {
      // users.email is citext: = is case-insensitive through its unique index.
      const users = s.exact ? trx('users').where('email', s.value) : emailPrefix(trx, s.value);
      q.whereIn('o.user_id', users.select('id'));
    }
    return q;
  }

  return {
    async list(f: AdminOrderFilter, limit: number, offset: number, trx: Handle = db): Promise<AdminOrderListRow[]> {
      return (await matching(trx, f)
        .join('users as u', 'u.id', 'o.user_id')
        .select('o.id', 'o.user_id', 'o.status', 'o.currency', 'o.total_paise', 'o.refunded_paise', 'o.razorpay_order_id', 'o.attention_at', 'o.created_at', 'o.paid_at', 'u.email as buyer_email', 'u.name as buyer_name')
        .orderBy([
          { column: 'o.created_at', order: 'desc' },
          { column: 'o.id', order: 'desc' },
        ])
        .limit(limit)
        .offset(offset)) as AdminOrderListRow[];
    },

    /** How many orders match, counting at most `cap` (an exact count of 100,000 rows is a scan). */
    async count(f: AdminOrderFilter, cap: number, trx: Handle = db): Promise<number> {
      const res = await trx.raw('SELECT count(*)::int AS n FROM (?) AS capped', [matching(trx, f).select(trx.raw('1')).limit(cap)]);
      return (res.rows as { n: number }[])[0]!.n;
    },

    /**
     * The first `limit` accounts whose email begins with the text. Looked up before the orders,
     * so a narrow prefix finds its buyers' orders through the (user_id, created_at) index instead
     * of walking every order for a match.
     */
    async buyerIdsByEmailPrefix(prefix: string, limit: number, trx: Handle = db): Promise<number[]> {
      return (await emailPrefix(trx, prefix).limit(limit).pluck('id')) as number[];
    },

    /** Lines and licences per order, for one page of orders. */
    async itemCounts(orderIds: number[], trx: Handle = db): Promise<Map<number, { lines: number; quantity: number }>> {
      if (!orderIds.length) return new Map();
      const rows = (await trx('order_items').whereIn('order_id', orderIds).groupBy('order_id').select('order_id', trx.raw('count(*)::int AS lines'), trx.raw('sum(quantity)::int AS quantity'))) as { order_id: number; lines: number; quantity: number }[];
      return new Map(rows.map((r) => [r.order_id, { lines: r.lines, quantity: r.quantity }]));
    },

    async lock(id: number, trx: Knex.Transaction): Promise<OrderRow | undefined> {
      return (await trx('orders').where({ id }).forUpdate().first()) as OrderRow | undefined;
    },

    async payments(orderId: number, trx: Handle = db): Promise<AdminPaymentRow[]> {
      return (await trx('payments').where({ order_id: orderId }).orderBy('id').select('id', 'razorpay_payment_id', 'status', 'amount_paise', 'currency', 'method', 'error_code', 'error_description', 'created_at', 'updated_at')) as AdminPaymentRow[];
    },

    /**
     * The webhook events about an order, oldest first, through the generated-column indexes:
     * those naming its Razorpay order and those naming one of its payments (refund events name
     * only the payment).
     */
    async webhookEvents(razorpayOrderId: string | null, paymentIds: string[], limit = 200, trx: Handle = db): Promise<AdminWebhookEventRow[]> {
      if (!razorpayOrderId && !paymentIds.length) return [];
      return (await trx('webhook_events')
        .where((q) => {
          if (razorpayOrderId) q.where('razorpay_order_id', razorpayOrderId);
          if (paymentIds.length) q.orWhereRaw('razorpay_payment_id = ANY(?)', [paymentIds]);
        })
        .orderBy([
          { column: 'received_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ])
        .limit(limit)
        .select('id', 'event_id', 'event', 'outcome', 'error', 'received_at', 'processed_at')) as AdminWebhookEventRow[];
    },

    async entitlements(orderId: number, trx: Handle = db): Promise<AdminEntitlementRow[]> {
      return (await trx('entitlements as e')
        .join('products as p', 'p.id', 'e.product_id')
        .where('e.order_id', orderId)
        .orderBy('e.id')
        .select('e.id', 'e.product_id', 'p.title', 'e.max_downloads', 'e.download_count', 'e.revoked_at', 'e.created_at')) as AdminEntitlementRow[];
    },

    /** The newest download log rows of these purchases (index on entitlement_id, created_at). */
    async downloads(entitlementIds: number[], limit = 30, trx: Handle = db): Promise<AdminDownloadRow[]> {
      if (!entitlementIds.length) return [];
      return (await trx('downloads as d')
        .join('products as p', 'p.id', 'd.product_id')
        .whereIn('d.entitlement_id', entitlementIds)
        .orderBy([
          { column: 'd.created_at', order: 'desc' },
          { column: 'd.id', order: 'desc' },
        ])
        .limit(limit)
        .select('d.id', 'd.entitlement_id', 'p.title', 'd.kind', 'd.ip', 'd.browser', 'd.os', 'd.device_type', 'd.created_at')) as AdminDownloadRow[];
    },

    /** Paise refunded or on the way (pending): what can no longer be refunded. */
    async refundsNotFailed(orderId: number, trx: Handle = db): Promise<number> {
      const row = (await trx('refunds').where({ order_id: orderId }).whereNot({ status: 'failed' }).sum({ total: 'amount_paise' }).first()) as { total: string | number | null } | undefined;
      return Number(row?.total ?? 0);
    },

    /**
     * The refund an admin already made with this form (its idempotency key, kept in the audit
     * entry), so a second submit of the same form is recognised without asking Razorpay again.
     */
    async refundByKey(orderId: number, key: string, trx: Handle = db): Promise<{ changes: Record<string, [unknown, unknown]>; created_at: Date } | undefined> {
      return (await trx('audit_log')
        .where({ entity_type: 'order', entity_id: orderId, action: 'order.refund' })
        .whereRaw("changes -> 'idempotency_key' ->> 1 = ?", [key])
        .first('changes', 'created_at')) as { changes: Record<string, [unknown, unknown]>; created_at: Date } | undefined;
    },

    async lockEntitlement(orderId: number, entitlementId: number, trx: Knex.Transaction): Promise<(AdminEntitlementRow & { user_id: number }) | undefined> {
      return (await trx('entitlements as e')
        .join('products as p', 'p.id', 'e.product_id')
        .where({ 'e.id': entitlementId, 'e.order_id': orderId })
        .forUpdate('e')
        .first('e.id', 'e.user_id', 'e.product_id', 'p.title', 'e.max_downloads', 'e.download_count', 'e.revoked_at', 'e.created_at')) as (AdminEntitlementRow & { user_id: number }) | undefined;
    },

    async resetDownloadCount(entitlementId: number, trx: Knex.Transaction): Promise<void> {
      await trx('entitlements').where({ id: entitlementId }).update({ download_count: 0 });
    },
  };
}

export type OrderAdminQueries = ReturnType<typeof createOrderAdminQueries>;
