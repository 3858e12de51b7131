import type { Clock } from '../lib/clock.js';
import { memoize } from '../lib/memo.js';
import { changePercent, type DateRange, type DaySpan } from '../lib/date-range.js';
import { addDays, istDayOf, istDayStart } from '../lib/india-time.js';
import { OVERVIEW_METRICS, type AnalyticsModel, type MetricRow } from '../models/analytics.js';

/**
 * The owner's figures. Closed India days come from the daily rollups (analytics_daily, kept by
 * the rollup-analytics job; a day nobody rolled up yet is rolled up when first asked for); today
 * is computed live from its raw rows, once per report. So a 90-day dashboard reads a few
 * hundred small rows whatever the size of the event tables.
 *
 * Definitions (../shared/docs/admin.md):
 * - Revenue is net of refunds: paid orders' totals, minus refunds on the day they were processed.
 * - Average order value: revenue before refunds ÷ paid orders.
 * - Conversion rate: paid orders ÷ visitors (a visitor is a shopper, signed in or not, who viewed
 *   a product on a day; a shopper on two days counts twice, like a session).
 * - Abandoned-cart rate: abandoned carts ÷ carts whose outcome is known. A cart (a shopper's cart
 *   activity on an India day) is abandoned when no paid order follows its last change within
 *   ABANDONED_CART_HOURS (24 by default); carts still inside that window are "open" and left out
 *   of the rate until they are decided. This is Baymard's 1 − purchases ÷ carts, made exact per
 *   cart rather than per day, so a purchase at 00:10 for a cart filled at 23:50 still counts.
 * - Distinct users over a range are counted over the whole range (not summed per day).
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
const abandonRate = (days: Day[]) => ratio(sum(days, 'carts_abandoned'), sum(days, 'carts_abandoned') + sum(days, 'carts_converted')) * 100;

interface FigureDef {
  key: string;
  label: string;
  kind: FigureKind;
  higherIsBetter: boolean;
  of: (days: Day[]) => number;
}

const total = (metric: string) => (days: Day[]) => sum(days, metric);

const OVERVIEW: FigureDef[] = [
  { key: 'revenue', label: 'Revenue (net of refunds)', kind: 'money', higherIsBetter: true, of: (d) => sum(d, 'revenue') - sum(d, 'refunds') },
  { key: 'orders', label: 'Paid orders', kind: 'count', higherIsBetter: true, of: total('orders_paid') },
  { key: 'aov', label: 'Average order value', kind: 'money', higherIsBetter: true, of: (d) => Math.round(ratio(sum(d, 'revenue'), sum(d, 'orders_paid'))) },
  { key: 'newCustomers', label: 'New customers', kind: 'count', higherIsBetter: true, of: total('new_customers') },
  { key: 'conversion', label: 'Conversion rate', kind: 'percent', higherIsBetter: true, of: (d) => ratio(sum(d, 'orders_paid'), sum(d, 'visitors')) * 100 },
  { key: 'abandonment', label: 'Abandoned-cart rate', kind: 'percent', higherIsBetter: false, of: abandonRate },
  { key: 'failedPayments', label: 'Failed payments', kind: 'count', higherIsBetter: false, of: total('payments_failed') },
];

const PURCHASES: FigureDef[] = [
  OVERVIEW[0]!,
  OVERVIEW[1]!,
  { key: 'refunds', label: 'Refunded', kind: 'money', higherIsBetter: false, of: total('refunds') },
  { key: 'refundCount', label: 'Refunds', kind: 'count', higherIsBetter: false, of: total('refund_count') },
  OVERVIEW[6]!,
];

/** signinUsers is replaced by the range's true distinct count (see logins()). */
const LOGINS: FigureDef[] = [
  { key: 'signins', label: 'Sign-ins', kind: 'count', higherIsBetter: true, of: total('signins') },
  { key: 'signinUsers', label: 'Distinct users', kind: 'count', higherIsBetter: true, of: total('signin_users') },
  { key: 'failures', label: 'Failed sign-ins', kind: 'count', higherIsBetter: false, of: total('signin_failures') },
  { key: 'lockouts', label: 'Locked-out accounts', kind: 'count', higherIsBetter: false, of: total('lockouts') },
  { key: 'newDevices', label: 'Sign-ins from a new device', kind: 'count', higherIsBetter: false, of: total('new_device_signins') },
];

const ABANDONMENT: FigureDef[] = [
  { key: 'rate', label: 'Abandoned-cart rate', kind: 'percent', higherIsBetter: false, of: abandonRate },
  { key: 'abandoned', label: 'Abandoned carts', kind: 'count', higherIsBetter: false, of: total('carts_abandoned') },
  { key: 'abandonedValue', label: 'Value left in abandoned carts', kind: 'money', higherIsBetter: false, of: total('abandoned_value') },
  { key: 'converted', label: 'Carts that became orders', kind: 'count', higherIsBetter: true, of: total('carts_converted') },
];

/** The funnel's steps, each a count of shopper-days (see models/analytics.ts). */
const FUNNEL = [
  { key: 'visitors', label: 'Viewed a product' },
  { key: 'carts', label: 'Added to cart' },
  { key: 'checkouts', label: 'Started checkout' },
  { key: 'buyers', label: 'Paid' },
] as const;

function compare(defs: FigureDef[], current: Day[], previous: Day[]): Figure[] {
  return defs.map((f) => {
    const value = f.of(current);
    const before = f.of(previous);
    return { key: f.key, label: f.label, kind: f.kind, higherIsBetter: f.higherIsBetter, value, previous: before, change: changePercent(value, before), series: current.map((d) => f.of([d])) };
  });
}

export function createAnalyticsService(deps: { analytics: AnalyticsModel; clock: Clock; abandonHours: number; liveTtlMs?: number }) {
  const { analytics, clock } = deps;
  // A cart's outcome can change until its window has passed: re-roll the days it may end in.
  const unsettledDays = Math.max(2, Math.ceil(deps.abandonHours / 24) + 1);

  /**
   * Today's rows from the raw tables: the one part of a dashboard that scans events. Reused for
   * liveTtlMs (a minute by default, ANALYTICS_LIVE_SECONDS) by every report and admin, so an
   * owner clicking between dashboards does not re-read the day each time; "today" is at most
   * that old. Closed days are always read from the rollups. Distinct signed-in accounts over a
   * range (a scan of its sign-ins) are reused the same way.
   */
  const reuse = { ttlMs: deps.liveTtlMs ?? 0, now: () => performance.now() };
  const todayRows = memoize((today: string) => analytics.computeDay(istDayStart(today), istDayStart(addDays(today, 1)), clock.now()), reuse);
  const distinct = memoize((span: string) => {
    const [start, end] = span.split('|').map((iso) => new Date(iso));
    return analytics.distinctSigninUsers(start!, end!);
  }, reuse);
  const distinctUsers = (start: Date, end: Date) => distinct.get(`${start.toISOString()}|${end.toISOString()}`);

  /** Rolls up one closed India day from the raw tables. */
  const rollup = (day: string) => analytics.rollupDay(day, istDayStart(day), istDayStart(addDays(day, 1)), clock.now());

  /**
   * The figures of [from, to]: closed days from the rollups (any missing one rolled up first),
   * today from its raw rows, computed at most once however many parts of a report read it.
   */
  async function span(from: string, to: string, shared?: { live: () => Promise<MetricRow[]> }) {
    const today = istDayOf(clock.now());
    const lastClosed = to < today ? to : addDays(today, -1);
    if (from <= lastClosed) {
      const done = await analytics.rolledDays(from, lastClosed);
      for (let d = from; d <= lastClosed; d = addDays(d, 1)) if (!done.has(d)) await rollup(d);
    }
    const closed = from <= lastClosed;
    let live: Promise<MetricRow[]> | undefined;
    const hasToday = from <= today && today <= to;
    const liveRows = () => (hasToday ? (live ??= shared ? shared.live() : todayRows.get(today)) : Promise.resolve([]));

    return {
      live: liveRows,
      /** Day totals (dim ''), by day. */
      async days(): Promise<Map<string, Day>> {
        const out = new Map<string, Day>();
        for (const r of closed ? await analytics.totals(OVERVIEW_METRICS, from, lastClosed) : []) {
          const day = out.get(r.day) ?? {};
          day[r.metric] = r.value;
          out.set(r.day, day);
        }
        const rows = await liveRows();
        if (rows.length) {
          const day: Day = {};
          for (const r of rows) if (r.dim === '') day[r.metric] = r.value;
          out.set(today, day);
        }
        return out;
      },

      /** A breakdown's largest entries. */
      async top(metric: string, limit: number): Promise<{ dim: string; value: number }[]> {
        const sums = new Map<string, number>();
        // Enough closed-day entries that today's rows cannot push a true top entry out.
        for (const r of closed ? await analytics.top(metric, from, lastClosed, limit * 5) : []) sums.set(r.dim, r.value);
        for (const r of await liveRows()) if (r.metric === metric && r.dim !== '') sums.set(r.dim, (sums.get(r.dim) ?? 0) + r.value);
        return [...sums].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([dim, value]) => ({ dim, value }));
      },

      /** A breakdown's sums for the given dims (the values beside a top list). */
      async of(metric: string, dims: string[]): Promise<Map<string, number>> {
        const sums = closed && dims.length ? await analytics.sums(metric, dims, from, lastClosed) : new Map<string, number>();
        for (const r of await liveRows()) if (r.metric === metric && dims.includes(r.dim)) sums.set(r.dim, (sums.get(r.dim) ?? 0) + r.value);
        return sums;
      },
    };
  }

  const daysIn = (days: Map<string, Day>, s: DaySpan) => s.days.map((d) => days.get(d) ?? {});

  /** Names for a breakdown's ids ("#12" for one deleted since). */
  async function named(rows: { dim: string; value: number }[], table: 'products' | 'categories' | 'offers') {
    const names = await analytics.names(table, rows.map((r) => Number(r.dim)).filter((n) => Number.isInteger(n) && n > 0));
    return rows.map((r) => ({ id: Number(r.dim), name: names.get(Number(r.dim)) ?? `#${r.dim}`, value: r.value }));
  }

  /** The range and the period before it, read as one span (rolled up once). */
  async function withPrevious(range: DateRange) {
    const both = await span(range.previous.from, range.to);
    const days = await both.days();
    return { s: await span(range.from, range.to, both), current: daysIn(days, range), previous: daysIn(days, range.previous) };
  }

  return {
    rollup,
    abandonHours: deps.abandonHours,

    /** The overview: each figure for the range, the previous period and its daily series. */
    async overview(range: DateRange) {
      const { current, previous } = await withPrevious(range);
      const figures = compare(OVERVIEW, current, previous);
      const per = (key: string, i: number) => figures.find((f) => f.key === key)!.series[i]!;
      return {
        range,
        figures,
        /** Per day, every figure: the table under the charts (sparklines included) and the CSV. */
        daily: range.days.map((day, i) => ({
          day,
          revenue: per('revenue', i),
          orders: per('orders', i),
          aov: per('aov', i),
          newCustomers: per('newCustomers', i),
          conversion: per('conversion', i),
          abandonment: per('abandonment', i),
          failedPayments: per('failedPayments', i),
        })),
      };
    },

    /** The purchases report: revenue and orders per day, what sold, refunds, failures and offers. */
    async purchases(range: DateRange) {
      const { s, current, previous } = await withPrevious(range);
      const [byRevenue, byUnits, categories, failures, offers] = await Promise.all([
        s.top('product_revenue', 10),
        s.top('product_units', 10),
        s.top('category_revenue', 10),
        s.top('payment_failure', 10),
        s.top('offer_orders', 10),
      ]);
      return {
        range,
        figures: compare(PURCHASES, current, previous),
        daily: range.days.map((day, i) => {
          const d = current[i]!;
          return { day, revenue: (d.revenue ?? 0) - (d.refunds ?? 0), orders: d.orders_paid ?? 0, refunds: d.refunds ?? 0, refundCount: d.refund_count ?? 0, failedPayments: d.payments_failed ?? 0 };
        }),
        refunds: { count: sum(current, 'refund_count'), paise: sum(current, 'refunds') },
        topByRevenue: await named(byRevenue, 'products'),
        topByUnits: await named(byUnits, 'products'),
        categories: await named(categories, 'categories'),
        failures: failures.map((f) => ({ reason: f.dim, count: f.value })),
        offers: await named(offers, 'offers'),
      };
    },

    /** Sign-ins: per day, distinct users over the range, failures, lockouts, devices, browsers and OSes. */
    async logins(range: DateRange) {
      const { s, current, previous } = await withPrevious(range);
      const [devices, browsers, systems, reasons, users, usersBefore, newDevices] = await Promise.all([
        s.top('signin_device', 10),
        s.top('signin_browser', 10),
        s.top('signin_os', 10),
        s.top('signin_failure', 10),
        distinctUsers(range.start, range.end),
        distinctUsers(range.previous.start, range.previous.end),
        analytics.recentNewDeviceSignins(range.start, range.end, 10),
      ]);
      const figures = compare(LOGINS, current, previous).map((f) => (f.key === 'signinUsers' ? { ...f, value: users, previous: usersBefore, change: changePercent(users, usersBefore) } : f));
      const share = (rows: { dim: string; value: number }[]) => {
        const all = sum(current, 'signins');
        return rows.map((r) => ({ name: r.dim, count: r.value, percent: ratio(r.value, all) * 100 }));
      };
      return {
        range,
        figures,
        daily: range.days.map((day, i) => {
          const d = current[i]!;
          return { day, signins: d.signins ?? 0, users: d.signin_users ?? 0, failures: d.signin_failures ?? 0, lockouts: d.lockouts ?? 0, newDevices: d.new_device_signins ?? 0 };
        }),
        devices: share(devices),
        browsers: share(browsers),
        systems: share(systems),
        failureReasons: reasons.map((r) => ({ reason: r.dim, count: r.value })),
        newDevices,
      };
    },

    /** Cart abandonment: rate, value left behind, the funnel, the most abandoned products. */
    async abandonment(range: DateRange) {
      const { s, current, previous } = await withPrevious(range);
      const top = await s.top('abandoned_product', 10);
      const values = await s.of('abandoned_product_value', top.map((r) => r.dim));
      const products = await named(top, 'products');
      const funnel = FUNNEL.map((step, i) => {
        const count = sum(current, step.key);
        const prev = i > 0 ? sum(current, FUNNEL[i - 1]!.key) : undefined;
        return { key: step.key, label: step.label, count, previous: sum(previous, step.key), dropOff: prev === undefined ? undefined : prev > 0 ? Math.max(0, 1 - count / prev) * 100 : 0 };
      });
      return {
        range,
        windowHours: deps.abandonHours,
        figures: compare(ABANDONMENT, current, previous),
        open: sum(current, 'carts_open'),
        funnel,
        daily: range.days.map((day, i) => {
          const d = current[i]!;
          return { day, carts: d.carts ?? 0, abandoned: d.carts_abandoned ?? 0, converted: d.carts_converted ?? 0, open: d.carts_open ?? 0, value: d.abandoned_value ?? 0, rate: abandonRate([d]) };
        }),
        products: products.map((p) => ({ ...p, valuePaise: values.get(String(p.id)) ?? 0 })),
        recovery: { sent: sum(current, 'reminders_sent'), recovered: sum(current, 'carts_recovered'), revenuePaise: sum(current, 'recovered_revenue') },
      };
    },

    /** One closed day's totals with two days to compare it with, for the admins' digest. */
    async dayTotals(days: string[]): Promise<Day[]> {
      const first = days.reduce((a, b) => (a < b ? a : b));
      const last = days.reduce((a, b) => (a > b ? a : b));
      const all = await (await span(first, last)).days();
      return days.map((d) => all.get(d) ?? {});
    },

    /** The largest entries of a breakdown over [from, to]. */
    async topNamed(metric: 'product_revenue' | 'abandoned_product', from: string, to: string, limit: number) {
      return named(await (await span(from, to)).top(metric, limit), 'products');
    },

    /**
     * Re-rolls the last closed days (late writes, and carts whose window is still running, land
     * there) and fills any gap in the last `backfillDays`, at most `batch` days a run.
     */
    async rollupRecent(opts: { recentDays?: number; backfillDays?: number; batch?: number } = {}): Promise<string[]> {
      const today = istDayOf(clock.now());
      const done: string[] = [];
      for (let i = 1; i <= (opts.recentDays ?? unsettledDays); i++) {
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
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
