import type { Clock } from '../lib/clock.js';
import { changePercent, type DateRange } from '../lib/date-range.js';
import { addDays, istDayOf, istDayStart } from '../lib/india-time.js';
import { OVERVIEW_METRICS, type AnalyticsModel } from '../models/analytics.js';

/**
 * The owner's figures. Closed India days come from the daily rollups (analytics_daily, kept by
 * the rollup-analytics job; a day nobody rolled up yet is rolled up when first asked for); today
 * is computed live from its raw rows. So a 90-day dashboard reads a few hundred small rows.
 *
 * Definitions (../shared/docs/admin.md):
 * - Revenue is net of refunds: paid orders' totals, minus refunds on the day they were processed.
 * - Average order value: revenue before refunds ÷ paid orders.
 * - Conversion rate: paid orders ÷ visitors (a visitor is a shopper, signed in or not, who viewed
 *   a product on a day; a shopper on two days counts twice, like a session).
 * - Abandoned-cart rate (Baymard): 1 − paid orders ÷ carts started (shoppers who added to a
 *   cart on a day).
 */

export type FigureKind = 'money' | 'count' | 'percent';

export interface Figure {
  key: string;
  label: string;
  kind: FigureKind;
  value: number;
  previous: number;
  /** Whole percent against the previous period; undefined when it had nothing. */
  change: number | undefined;
  /** Whether a rise is good news (for ▲ in green); false for failures and abandonment. */
  higherIsBetter: boolean;
  /** One value per day of the range (sparkline). */
  series: number[];
}

type Day = Record<string, number>;

const sum = (days: Day[], m: string) => days.reduce((n, d) => n + (d[m] ?? 0), 0);
const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** The overview's figures over a set of days. */
function figuresOf(days: Day[]) {
  const orders = sum(days, 'orders_paid');
  const gross = sum(days, 'revenue');
  return {
    revenue: gross - sum(days, 'refunds'),
    orders,
    aov: orders > 0 ? Math.round(gross / orders) : 0,
    newCustomers: sum(days, 'new_customers'),
    conversion: ratio(orders, sum(days, 'visitors')) * 100,
    abandonment: sum(days, 'carts_started') > 0 ? Math.max(0, 1 - ratio(orders, sum(days, 'carts_started'))) * 100 : 0,
    failedPayments: sum(days, 'payments_failed'),
  };
}

const FIGURES: { key: keyof ReturnType<typeof figuresOf>; label: string; kind: FigureKind; higherIsBetter: boolean }[] = [
  { key: 'revenue', label: 'Revenue (net of refunds)', kind: 'money', higherIsBetter: true },
  { key: 'orders', label: 'Paid orders', kind: 'count', higherIsBetter: true },
  { key: 'aov', label: 'Average order value', kind: 'money', higherIsBetter: true },
  { key: 'newCustomers', label: 'New customers', kind: 'count', higherIsBetter: true },
  { key: 'conversion', label: 'Conversion rate', kind: 'percent', higherIsBetter: true },
  { key: 'abandonment', label: 'Abandoned-cart rate', kind: 'percent', higherIsBetter: false },
  { key: 'failedPayments', label: 'Failed payments', kind: 'count', higherIsBetter: false },
];

export function createAnalyticsService(deps: { analytics: AnalyticsModel; clock: Clock }) {
  const { analytics, clock } = deps;

  /** Rolls up one closed India day from the raw tables. */
  const rollup = (day: string) => analytics.rollupDay(day, istDayStart(day), istDayStart(addDays(day, 1)), clock.now());

  /** Makes sure the closed days of [from, to] are rolled up; says which part is closed and whether today is in it. */
  async function rolled(from: string, to: string) {
    const today = istDayOf(clock.now());
    const lastClosed = to < today ? to : addDays(today, -1);
    if (from <= lastClosed) {
      const done = await analytics.rolledDays(from, lastClosed);
      for (let d = from; d <= lastClosed; d = addDays(d, 1)) if (!done.has(d)) await rollup(d);
    }
    return { today, lastClosed, hasToday: from <= today && today <= to };
  }

  const liveToday = (today: string) => analytics.computeDay(istDayStart(today), istDayStart(addDays(today, 1)));

  /** A breakdown's largest entries over [from, to], today's live rows included. */
  async function topOf(metric: string, from: string, to: string, limit: number) {
    const { today, lastClosed, hasToday } = await rolled(from, to);
    const sums = new Map<string, number>();
    // Enough closed-day entries that today's sales cannot push a true top entry out.
    for (const r of from <= lastClosed ? await analytics.top(metric, from, lastClosed, limit * 5) : []) sums.set(r.dim, r.value);
    if (hasToday) for (const r of await liveToday(today)) if (r.metric === metric && r.dim !== '') sums.set(r.dim, (sums.get(r.dim) ?? 0) + r.value);
    return [...sums].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([dim, value]) => ({ dim, value }));
  }

  /** Day totals for [from, to]: rollups for closed days (rolling up any missing), today live. */
  async function daysOf(from: string, to: string): Promise<Map<string, Day>> {
    const { today, lastClosed } = await rolled(from, to);
    const out = new Map<string, Day>();
    for (const r of from <= lastClosed ? await analytics.totals(OVERVIEW_METRICS, from, lastClosed) : []) {
      const day = out.get(r.day) ?? {};
      day[r.metric] = r.value;
      out.set(r.day, day);
    }
    if (from <= today && today <= to) {
      const live: Day = {};
      for (const r of await liveToday(today)) if (r.dim === '') live[r.metric] = r.value;
      out.set(today, live);
    }
    return out;
  }

  /** Names for a breakdown's ids ("#12" for one deleted since). */
  async function named(rows: { dim: string; value: number }[], table: 'products' | 'categories' | 'offers') {
    const names = await analytics.names(table, rows.map((r) => Number(r.dim)).filter((n) => Number.isInteger(n) && n > 0));
    return rows.map((r) => ({ id: Number(r.dim), name: names.get(Number(r.dim)) ?? `#${r.dim}`, value: r.value }));
  }

  return {
    rollup,

    /** The purchases report: revenue and orders per day, what sold, refunds, failures and offers. */
    async purchases(range: DateRange) {
      await rolled(range.from, range.to); // once, before the parts below read in parallel
      const [days, byRevenue, byUnits, categories, failures, offers] = await Promise.all([
        daysOf(range.from, range.to),
        topOf('product_revenue', range.from, range.to, 10),
        topOf('product_units', range.from, range.to, 10),
        topOf('category_revenue', range.from, range.to, 10),
        topOf('payment_failure', range.from, range.to, 10),
        topOf('offer_orders', range.from, range.to, 10),
      ]);
      const current = range.days.map((d) => days.get(d) ?? {});
      return {
        range,
        daily: range.days.map((day, i) => ({ day, revenue: (current[i]!.revenue ?? 0) - (current[i]!.refunds ?? 0), orders: current[i]!.orders_paid ?? 0, refunds: current[i]!.refunds ?? 0 })),
        refunds: { count: sum(current, 'refund_count'), paise: sum(current, 'refunds') },
        topByRevenue: await named(byRevenue, 'products'),
        topByUnits: await named(byUnits, 'products'),
        categories: await named(categories, 'categories'),
        failures: failures.map((f) => ({ reason: f.dim, count: f.value })),
        offers: await named(offers, 'offers'),
      };
    },

    /**
     * Re-rolls the last closed days (late writes land there) and fills any gap in the last
     * `backfillDays`, at most `batch` days a run. Returns the days rolled.
     */
    async rollupRecent(opts: { recentDays?: number; backfillDays?: number; batch?: number } = {}): Promise<string[]> {
      const today = istDayOf(clock.now());
      const done: string[] = [];
      for (let i = 1; i <= (opts.recentDays ?? 2); i++) {
        await rollup(addDays(today, -i));
        done.push(addDays(today, -i));
      }
      const first = addDays(today, -(opts.backfillDays ?? 400));
      const rolled = await analytics.rolledDays(first, addDays(today, -1));
      for (let d = addDays(today, -1); d >= first && done.length < (opts.batch ?? 62); d = addDays(d, -1)) {
        if (!rolled.has(d) && !done.includes(d)) {
          await rollup(d);
          done.push(d);
        }
      }
      return done;
    },

    /** The overview: each figure for the range, the previous period and its daily series. */
    async overview(range: DateRange) {
      await rolled(range.previous.from, range.to);
      const [now, before] = await Promise.all([daysOf(range.from, range.to), daysOf(range.previous.from, range.previous.to)]);
      const current = range.days.map((d) => now.get(d) ?? {});
      const previous = range.previous.days.map((d) => before.get(d) ?? {});
      const a = figuresOf(current);
      const b = figuresOf(previous);
      const perDay = current.map((d) => figuresOf([d]));
      const figures: Figure[] = FIGURES.map((f) => ({
        ...f,
        value: a[f.key],
        previous: b[f.key],
        change: changePercent(a[f.key], b[f.key]),
        series: perDay.map((d) => d[f.key]),
      }));
      return {
        range,
        figures,
        /** Per day: the table under the chart and the CSV. */
        daily: range.days.map((day, i) => ({ day, revenue: perDay[i]!.revenue, orders: perDay[i]!.orders, failedPayments: perDay[i]!.failedPayments })),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
