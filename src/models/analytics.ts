import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

/** The day totals the overview reads (dim ''). */
export const OVERVIEW_METRICS = ['orders_paid', 'revenue', 'refunds', 'refund_count', 'new_customers', 'payments_failed', 'carts_started', 'checkouts', 'visitors'] as const;
export type OverviewMetric = (typeof OVERVIEW_METRICS)[number];

export interface MetricRow {
  metric: string;
  dim: string;
  value: number;
}

/**
 * One India day's figures from the raw tables, each read by an index on its time column:
 * - orders_paid / revenue: orders paid that day (paid_at), refunded ones included: a refund is
 *   counted on the day it is processed (refunds), so revenue net of refunds is revenue - refunds.
 * - new_customers: buyers whose first paid order is that day.
 * - payments_failed: failed payment attempts (payments).
 * - carts_started: shoppers (account or browser) who added to a cart that day.
 * - checkouts: shoppers who started a checkout (an order was created).
 * - visitors: shoppers who viewed a product (product_views).
 */
const DAY_SQL = `
  WITH paid AS (SELECT user_id, total_paise FROM orders WHERE paid_at >= :start AND paid_at < :end)
  SELECT 'orders_paid' AS metric, '' AS dim, count(*)::bigint AS value FROM paid
  UNION ALL SELECT 'revenue', '', COALESCE(sum(total_paise), 0)::bigint FROM paid
  UNION ALL SELECT 'refunds', '', COALESCE(sum(amount_paise), 0)::bigint FROM refunds WHERE status = 'processed' AND processed_at >= :start AND processed_at < :end
  UNION ALL SELECT 'new_customers', '', count(DISTINCT p.user_id)::bigint FROM orders p
    WHERE p.paid_at >= :start AND p.paid_at < :end AND NOT EXISTS (SELECT 1 FROM orders e WHERE e.user_id = p.user_id AND e.paid_at < :start)
  UNION ALL SELECT 'payments_failed', '', count(*)::bigint FROM payments WHERE status = 'failed' AND created_at >= :start AND created_at < :end
  UNION ALL SELECT 'carts_started', '', count(DISTINCT COALESCE('u' || user_id, 'a' || anonymous_id))::bigint FROM cart_events
    WHERE action IN ('add', 'merge') AND created_at >= :start AND created_at < :end
  UNION ALL SELECT 'checkouts', '', count(DISTINCT user_id)::bigint FROM orders WHERE created_at >= :start AND created_at < :end
  UNION ALL SELECT 'visitors', '', count(DISTINCT COALESCE('u' || user_id, 'a' || anonymous_id))::bigint FROM product_views
    WHERE created_at >= :start AND created_at < :end
  UNION ALL SELECT 'refund_count', '', count(*)::bigint FROM refunds WHERE status = 'processed' AND processed_at >= :start AND processed_at < :end
  -- Breakdowns for the purchases report: what sold (after the coupon's share), by product and category.
  UNION ALL SELECT 'product_revenue', i.product_id::text, sum(i.line_total_paise - i.coupon_discount_paise)::bigint
    FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.paid_at >= :start AND o.paid_at < :end GROUP BY i.product_id
  UNION ALL SELECT 'product_units', i.product_id::text, sum(i.quantity)::bigint
    FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.paid_at >= :start AND o.paid_at < :end GROUP BY i.product_id
  UNION ALL SELECT 'category_revenue', p.category_id::text, sum(i.line_total_paise - i.coupon_discount_paise)::bigint
    FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id WHERE o.paid_at >= :start AND o.paid_at < :end GROUP BY p.category_id
  UNION ALL SELECT 'payment_failure', COALESCE(NULLIF(error_code, ''), 'unknown'), count(*)::bigint FROM payments
    WHERE status = 'failed' AND created_at >= :start AND created_at < :end GROUP BY 2
  UNION ALL SELECT 'offer_orders', x.offer_id::text, count(DISTINCT x.order_id)::bigint FROM (
      SELECT o.coupon_offer_id AS offer_id, o.id AS order_id FROM orders o WHERE o.coupon_offer_id IS NOT NULL AND o.paid_at >= :start AND o.paid_at < :end
      UNION ALL SELECT i.offer_id, o.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.offer_id IS NOT NULL AND o.paid_at >= :start AND o.paid_at < :end
    ) x GROUP BY x.offer_id`;

export function createAnalyticsModel(db: Db) {
  async function computeDay(start: Date, end: Date, trx: Handle = db): Promise<MetricRow[]> {
    const { rows } = await trx.raw(DAY_SQL, { start, end });
    return (rows as { metric: string; dim: string; value: string }[]).map((r) => ({ metric: r.metric, dim: r.dim, value: Number(r.value) }));
  }

  return {
    computeDay,

    /** Replaces one day's rows with freshly computed ones, in one transaction. */
    async rollupDay(day: string, start: Date, end: Date, at: Date): Promise<void> {
      await db.transaction(async (trx) => {
        // One roll-up of a day at a time (the job, and dashboards filling a gap, may race).
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`analytics_daily:${day}`]);
        const rows = await computeDay(start, end, trx);
        await trx('analytics_daily').where({ day }).delete();
        await trx('analytics_daily').insert(rows.map((r) => ({ day, ...r })));
        await trx('analytics_rollup_days').insert({ day, rolled_at: at }).onConflict('day').merge();
      });
    },

    /** Which of these days have been rolled up. */
    async rolledDays(from: string, to: string, trx: Handle = db): Promise<Set<string>> {
      const rows = (await trx('analytics_rollup_days').whereBetween('day', [from, to]).select(trx.raw("to_char(day, 'YYYY-MM-DD') AS day"))) as { day: string }[];
      return new Set(rows.map((r) => r.day));
    },

    /** A breakdown summed over [from, to]: the largest `limit` dims of a metric. */
    async top(metric: string, from: string, to: string, limit: number, trx: Handle = db): Promise<{ dim: string; value: number }[]> {
      const rows = (await trx('analytics_daily')
        .where({ metric })
        .whereNot('dim', '')
        .whereBetween('day', [from, to])
        .groupBy('dim')
        .orderByRaw('sum(value) DESC, dim')
        .limit(limit)
        .select('dim', trx.raw('sum(value)::bigint AS value'))) as { dim: string; value: string }[];
      return rows.map((r) => ({ dim: r.dim, value: Number(r.value) }));
    },

    /** Names for breakdown ids: products, categories and offers. */
    async names(table: 'products' | 'categories' | 'offers', ids: number[], trx: Handle = db): Promise<Map<number, string>> {
      if (!ids.length) return new Map();
      const column = table === 'products' ? 'title' : 'name';
      const rows = (await trx(table).whereIn('id', ids).select('id', `${column} as name`)) as { id: number; name: string }[];
      return new Map(rows.map((r) => [r.id, r.name]));
    },

    /** Day totals of these metrics over [from, to], by the primary key. */
    async totals(metrics: readonly string[], from: string, to: string, trx: Handle = db): Promise<{ day: string; metric: string; value: number }[]> {
      const rows = (await trx('analytics_daily')
        .whereIn('metric', metrics)
        .where('dim', '')
        .whereBetween('day', [from, to])
        .select(trx.raw("to_char(day, 'YYYY-MM-DD') AS day"), 'metric', 'value')) as { day: string; metric: string; value: string }[];
      return rows.map((r) => ({ day: r.day, metric: r.metric, value: Number(r.value) }));
    },
  };
}

export type AnalyticsModel = ReturnType<typeof createAnalyticsModel>;
