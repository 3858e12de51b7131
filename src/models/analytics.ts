import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

/** The day totals the overview reads (dim ''). */
export const OVERVIEW_METRICS = ['orders_paid', 'revenue', 'refunds', 'new_customers', 'payments_failed', 'carts_started', 'checkouts', 'visitors'] as const;
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
    WHERE created_at >= :start AND created_at < :end`;

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
