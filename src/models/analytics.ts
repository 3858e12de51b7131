import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

/** The day totals the overview reads (dim ''). */
export const OVERVIEW_METRICS = [
  'orders_paid', 'revenue', 'refunds', 'refund_count', 'new_customers', 'payments_failed', 'carts_started', 'checkouts', 'visitors', 'buyers',
  'signins', 'signin_users', 'signin_failures', 'lockouts', 'new_device_signins',
  'carts', 'carts_converted', 'carts_abandoned', 'carts_open', 'abandoned_value',
  'reminders_sent', 'carts_recovered', 'recovered_revenue',
] as const;
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
 * - visitors: shoppers who viewed a product (product_views); buyers: accounts that paid.
 * - signins, signin_users (distinct that day), new_device_signins, signin_failures, lockouts
 *   (distinct addresses refused because of too many failures); by device type, browser and OS
 *   family (versions cut off, as user_devices does) and by failure reason.
 * - carts: a shopper's cart activity on the day (an account, or a guest's browser id; a guest
 *   whose cart was merged at sign-in counts as that account, once). It is converted when the
 *   account paid an order within :hours after the day's last cart change, abandoned when that
 *   window passed without one, and still open otherwise. abandoned_value and the per-product
 *   rows price what was left in abandoned carts (the product's current sale price).
 */
const DAY_SQL = `
  WITH paid AS (SELECT user_id, total_paise FROM orders WHERE paid_at >= :start AND paid_at < :end),
  signins AS (
    SELECT user_id, device_type, new_device,
           COALESCE(NULLIF(regexp_replace(COALESCE(browser, ''), ' [0-9][0-9.]*$', ''), ''), 'Unknown') AS browser,
           CASE WHEN os ~ '^Windows( |$)' THEN 'Windows' ELSE COALESCE(NULLIF(regexp_replace(COALESCE(os, ''), ' [0-9][0-9._]*$', ''), ''), 'Unknown') END AS os
    FROM login_events WHERE created_at >= :start AND created_at < :end),
  failures AS (SELECT email, reason FROM login_failures WHERE created_at >= :start AND created_at < :end),
  day_events AS (SELECT user_id, anonymous_id, product_id, action, created_at FROM cart_events WHERE created_at >= :start AND created_at < :end),
  linked AS (
    SELECT DISTINCT ON (m.anonymous_id) m.anonymous_id, m.user_id FROM cart_events m
    WHERE m.action = 'merge' AND m.user_id IS NOT NULL AND m.created_at >= :start
      AND m.anonymous_id IN (SELECT anonymous_id FROM day_events WHERE user_id IS NULL)
    ORDER BY m.anonymous_id, m.created_at),
  ev AS (
    -- shopper: one key per cart, 'u<account>' or 'a<browser id>' (a plain equality, so joins hash).
    SELECT COALESCE('u' || COALESCE(e.user_id, l.user_id), 'a' || e.anonymous_id) AS shopper, COALESCE(e.user_id, l.user_id) AS account,
           e.product_id, e.action, e.created_at
    FROM day_events e LEFT JOIN linked l ON e.user_id IS NULL AND l.anonymous_id = e.anonymous_id),
  carts AS (
    SELECT c.shopper, c.last_at,
           CASE WHEN c.account IS NOT NULL AND EXISTS (
                  SELECT 1 FROM orders o WHERE o.user_id = c.account AND o.paid_at >= c.last_at AND o.paid_at < c.last_at + :hours * interval '1 hour') THEN 'converted'
                WHEN c.last_at + :hours * interval '1 hour' <= :now THEN 'abandoned' ELSE 'open' END AS state
    FROM (SELECT shopper, max(account) AS account, max(created_at) AS last_at FROM ev GROUP BY shopper HAVING bool_or(action IN ('add', 'merge'))) c),
  left_behind AS (
    SELECT x.product_id, COALESCE(p.sale_price_paise, 0) AS price FROM (
      SELECT DISTINCT ON (e.shopper, e.product_id) e.product_id, e.action
      FROM ev e JOIN carts c ON c.shopper = e.shopper AND c.state = 'abandoned'
      WHERE e.product_id IS NOT NULL ORDER BY e.shopper, e.product_id, e.created_at DESC) x
    JOIN products p ON p.id = x.product_id WHERE x.action <> 'remove')
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
  UNION ALL SELECT 'buyers', '', count(DISTINCT user_id)::bigint FROM paid
  UNION ALL SELECT 'signins', '', count(*)::bigint FROM signins
  UNION ALL SELECT 'signin_users', '', count(DISTINCT user_id)::bigint FROM signins
  UNION ALL SELECT 'new_device_signins', '', count(*)::bigint FROM signins WHERE new_device
  UNION ALL SELECT 'signin_failures', '', count(*)::bigint FROM failures
  UNION ALL SELECT 'lockouts', '', count(DISTINCT lower(email))::bigint FROM failures WHERE reason = 'locked_out'
  UNION ALL SELECT 'signin_device', device_type, count(*)::bigint FROM signins GROUP BY 2
  UNION ALL SELECT 'signin_browser', browser, count(*)::bigint FROM signins GROUP BY 2
  UNION ALL SELECT 'signin_os', os, count(*)::bigint FROM signins GROUP BY 2
  UNION ALL SELECT 'signin_failure', reason, count(*)::bigint FROM failures GROUP BY 2
  UNION ALL SELECT 'carts', '', count(*)::bigint FROM carts
  UNION ALL SELECT 'carts_converted', '', count(*) FILTER (WHERE state = 'converted')::bigint FROM carts
  UNION ALL SELECT 'carts_abandoned', '', count(*) FILTER (WHERE state = 'abandoned')::bigint FROM carts
  UNION ALL SELECT 'carts_open', '', count(*) FILTER (WHERE state = 'open')::bigint FROM carts
  UNION ALL SELECT 'abandoned_value', '', COALESCE(sum(price), 0)::bigint FROM left_behind
  -- Recovery (the cart-reminders workflow): reminders sent, and carts paid within 7 days of one,
  -- counted once per order (both reminders of a cart point to the same order) on the day paid.
  UNION ALL SELECT 'reminders_sent', '', count(*)::bigint FROM cart_reminders WHERE sent_at >= :start AND sent_at < :end
  UNION ALL SELECT 'carts_recovered', '', count(DISTINCT recovered_order_id)::bigint FROM cart_reminders WHERE recovered_at >= :start AND recovered_at < :end
  UNION ALL SELECT 'recovered_revenue', '', COALESCE(sum(total), 0)::bigint FROM (
      SELECT DISTINCT recovered_order_id, recovered_total_paise AS total FROM cart_reminders
      WHERE recovered_at >= :start AND recovered_at < :end AND recovered_order_id IS NOT NULL) r
  UNION ALL SELECT 'abandoned_product', product_id::text, count(*)::bigint FROM left_behind GROUP BY product_id
  UNION ALL SELECT 'abandoned_product_value', product_id::text, sum(price)::bigint FROM left_behind GROUP BY product_id
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

/** How many of a day's largest rows per breakdown the top-list index keeps (see top()). */
export const TOP_PER_DAY = 200;

/** Numbers each breakdown's rows of a day 1, 2, … from the largest (ties by dim). */
function rankRows(rows: MetricRow[]): (MetricRow & { rank: number | null })[] {
  const byMetric = new Map<string, MetricRow[]>();
  for (const r of rows) if (r.dim !== '') byMetric.set(r.metric, [...(byMetric.get(r.metric) ?? []), r]);
  const rank = new Map<MetricRow, number>();
  for (const list of byMetric.values()) list.sort((a, b) => b.value - a.value || (a.dim < b.dim ? -1 : 1)).forEach((r, i) => rank.set(r, i + 1));
  return rows.map((r) => ({ ...r, rank: rank.get(r) ?? null }));
}

export function createAnalyticsModel(db: Db, opts: { abandonHours: number }) {
  /** A day's rows; `now` decides which carts' windows have passed (abandoned) and which are still open. */
  async function computeDay(start: Date, end: Date, now: Date, trx: Handle = db): Promise<MetricRow[]> {
    const { rows } = await trx.raw(DAY_SQL, { start, end, now, hours: opts.abandonHours });
    return (rows as { metric: string; dim: string; value: string }[]).map((r) => ({ metric: r.metric, dim: r.dim, value: Number(r.value) }));
  }

  /** A breakdown's sums over [from, to] for the given dims. */
  async function sums(metric: string, dims: string[], from: string, to: string, trx: Handle = db): Promise<Map<string, number>> {
    const rows = (await trx('analytics_daily').where({ metric }).whereIn('dim', dims).whereBetween('day', [from, to]).groupBy('dim').select('dim', trx.raw('sum(value)::bigint AS value'))) as {
      dim: string;
      value: string;
    }[];
    return new Map(rows.map((r) => [r.dim, Number(r.value)]));
  }

  return {
    computeDay,

    /** Replaces one day's rows with freshly computed ones, in one transaction. */
    async rollupDay(day: string, start: Date, end: Date, at: Date): Promise<void> {
      await db.transaction(async (trx) => {
        // One roll-up of a day at a time (the job, and dashboards filling a gap, may race).
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`analytics_daily:${day}`]);
        const rows = await computeDay(start, end, at, trx);
        await trx('analytics_daily').where({ day }).delete();
        // In chunks: a busy day has thousands of breakdown rows (a statement takes 65,535 parameters).
        const ranked = rankRows(rows);
        for (let i = 0; i < ranked.length; i += 5000) await trx('analytics_daily').insert(ranked.slice(i, i + 5000).map((r) => ({ day, ...r })));
        await trx('analytics_rollup_days').insert({ day, rolled_at: at }).onConflict('day').merge();
      });
    },

    /** Which of these days have been rolled up. */
    async rolledDays(from: string, to: string, trx: Handle = db): Promise<Set<string>> {
      const rows = (await trx('analytics_rollup_days').whereBetween('day', [from, to]).select(trx.raw("to_char(day, 'YYYY-MM-DD') AS day"))) as { day: string }[];
      return new Set(rows.map((r) => r.day));
    },

    /**
     * A breakdown summed over [from, to]: the largest `limit` dims of a metric, with exact sums.
     * Candidates are the dims that made some day's top TOP_PER_DAY (a few thousand index rows
     * instead of every product of every day); their exact sums are then read by dim. A dim that
     * never ranked in any day's top 200 cannot be listed: that takes a long, flat tail much
     * larger than the ten-line lists shown.
     */
    async top(metric: string, from: string, to: string, limit: number, trx: Handle = db): Promise<{ dim: string; value: number }[]> {
      const candidates = (await trx('analytics_daily')
        .where({ metric })
        .whereNot('dim', '')
        .andWhere('rank', '<=', TOP_PER_DAY)
        .whereBetween('day', [from, to])
        .groupBy('dim')
        .orderByRaw('sum(value) DESC, dim')
        .limit(limit * 4)
        .pluck('dim')) as string[];
      if (!candidates.length) return [];
      const exact = await sums(metric, candidates, from, to, trx);
      return [...exact].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit).map(([dim, value]) => ({ dim, value }));
    },

    sums,

    /** Accounts that signed in at least once in [start, end): an index-only scan of the covering index. */
    async distinctSigninUsers(start: Date, end: Date, trx: Handle = db): Promise<number> {
      // DISTINCT in a subquery can be hashed; count(DISTINCT …) always sorts the whole range.
      const { rows } = await trx.raw('SELECT count(*) AS n FROM (SELECT DISTINCT user_id FROM login_events WHERE created_at >= ? AND created_at < ?) u', [start, end]);
      return Number((rows as { n: string }[])[0]?.n ?? 0);
    },

    /** The latest sign-ins from a device the account had not used before, newest first. */
    async recentNewDeviceSignins(start: Date, end: Date, limit: number, trx: Handle = db) {
      return (await trx('login_events as e')
        .join('users as u', 'u.id', 'e.user_id')
        .where('e.new_device', true)
        .andWhere('e.created_at', '>=', start)
        .andWhere('e.created_at', '<', end)
        .orderBy('e.created_at', 'desc')
        .limit(limit)
        .select('e.user_id as userId', 'u.email', 'e.device_type as deviceType', 'e.browser', 'e.os', 'e.ip', 'e.created_at as at')) as {
        userId: number;
        email: string;
        deviceType: string;
        browser: string | null;
        os: string | null;
        ip: string;
        at: Date;
      }[];
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
