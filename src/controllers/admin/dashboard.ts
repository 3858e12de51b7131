import type { Request, Response } from 'express';
import type { Clock } from '../../lib/clock.js';
import { DateRangeError, RANGE_LABELS, RANGE_PRESETS, resolveRange, type DateRange } from '../../lib/date-range.js';
import { ValidationError } from '../../lib/errors.js';
import type { AnalyticsService } from '../../services/analytics-service.js';
import type { AdminDigestService } from '../../services/admin-digest-service.js';
import { csvCell } from '../../lib/csv.js';
import { flash, renderAdmin } from './shared.js';

const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 20) : undefined);

/** The range asked for in the query (`range`, or `from`/`to` for a custom one); 400 with the field when it is not one. */
export function rangeOf(req: Request, clock: Clock): DateRange {
  try {
    return resolveRange({ range: text(req.query.range), from: text(req.query.from), to: text(req.query.to) }, clock.now());
  } catch (err) {
    if (err instanceof DateRangeError) throw new ValidationError(err.message, { [err.field]: err.message });
    throw err;
  }
}

/** Rupees with two decimals, written as a number (a net loss stays a plain negative number). */
const rupees = (paise: number) => ({ number: (paise / 100).toFixed(2) });
type Cell = string | number | { number: string };

/** Sends rows as a CSV file named after the report and its dates; text cells through csvCell. */
function sendCsv(res: Response, name: string, range: DateRange, header: string[], rows: Cell[][]) {
  const lines = [header.join(','), ...rows.map((r) => r.map((c) => (typeof c === 'object' ? c.number : csvCell(c))).join(','))];
  res
    .set('Content-Type', 'text/csv; charset=utf-8')
    .set('Content-Disposition', `attachment; filename="${name}-${range.from}-to-${range.to}.csv"`)
    .send(`${lines.join('\r\n')}\r\n`);
}

/** The query string that reproduces a range (for CSV links). */
const rangeQuery = (range: DateRange) => new URLSearchParams(range.preset === 'custom' ? { range: 'custom', from: range.from, to: range.to } : { range: range.preset }).toString();

/** The admin home: the owner's overview of the chosen range against the period before it. */
export function createDashboardController(deps: { analytics: AnalyticsService; digest: AdminDigestService; digestHour: string; clock: Clock }) {
  /**
   * A dashboard page's range and what its picker and charts need. A range that is not one is
   * answered 400 with the message by the picker, and the last 30 days shown meanwhile.
   */
  function pageRange(req: Request, res: Response) {
    let range: DateRange;
    let rangeError: string | undefined;
    try {
      range = rangeOf(req, deps.clock);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      rangeError = err.message;
      range = resolveRange({}, deps.clock.now());
      res.status(400);
    }
    return {
      range,
      locals: {
        presets: RANGE_PRESETS.map((p) => [p, RANGE_LABELS[p]]),
        query: { range: text(req.query.range) ?? range.preset, from: text(req.query.from) ?? range.from, to: text(req.query.to) ?? range.to },
        rangeError,
        scripts: [res.app.locals.chartJsUrl as string, '/js/admin-charts.js'],
      },
    };
  }

  return {
    /** GET /admin?range=30d (or range=custom&from=…&to=…) */
    async dashboard(req: Request, res: Response) {
      const page = pageRange(req, res);
      const overview = await deps.analytics.overview(page.range);
      const { range } = page;
      renderAdmin(res, 'dashboard', {
        title: 'Overview',
        overview,
        ...page.locals,
        csvHref: `/admin/overview.csv?${rangeQuery(range)}`,
        digestWanted: await deps.digest.wants(req.user!.id),
        digestHour: deps.digestHour,
      });
    },

    /** POST /admin/digest {wanted: on|off}: this admin's daily digest email. */
    async setDigest(req: Request, res: Response) {
      const wanted = (req.body as { wanted?: unknown } | undefined)?.wanted;
      if (wanted !== 'on' && wanted !== 'off') throw new ValidationError('Choose on or off.', { wanted: 'Choose on or off.' });
      await deps.digest.setWanted(req.user!.id, wanted === 'on');
      flash(req, 'success', wanted === 'on' ? 'You will get the daily digest email each morning.' : 'The daily digest email is off for you.');
      res.redirect(303, '/admin#digest');
    },

    /** GET /admin/overview.csv: the chart's numbers, one row per India day. */
    async csv(req: Request, res: Response) {
      const o = await deps.analytics.overview(rangeOf(req, deps.clock));
      // Rupees with two decimals, as numbers: a net loss stays a plain negative number.
      const pct = (v: number) => Number(v.toFixed(1));
      sendCsv(
        res,
        'overview',
        o.range,
        ['day', 'revenue_net_inr', 'paid_orders', 'average_order_value_inr', 'new_customers', 'conversion_percent', 'abandoned_cart_percent', 'failed_payments'],
        o.daily.map((d) => [d.day, rupees(d.revenue), d.orders, rupees(d.aov), d.newCustomers, pct(d.conversion), pct(d.abandonment), d.failedPayments]),
      );
    },

    /** GET /admin/analytics/purchases.csv: revenue, orders and refunds per day. */
    async purchasesCsv(req: Request, res: Response) {
      const r = await deps.analytics.purchases(rangeOf(req, deps.clock));
      sendCsv(
        res,
        'purchases',
        r.range,
        ['day', 'revenue_net_inr', 'paid_orders', 'refunded_inr', 'refunds', 'failed_payments'],
        r.daily.map((d) => [d.day, rupees(d.revenue), d.orders, rupees(d.refunds), d.refundCount, d.failedPayments]),
      );
    },

    /** GET /admin/analytics/logins: sign-ins, failures, lockouts, devices. */
    async logins(req: Request, res: Response) {
      const page = pageRange(req, res);
      const report = await deps.analytics.logins(page.range);
      renderAdmin(res, 'analytics/logins', { title: 'Sign-ins', crumbs: [{ label: 'Sign-ins' }], report, csvHref: `/admin/analytics/logins.csv?${rangeQuery(report.range)}`, ...page.locals });
    },

    async loginsApi(req: Request, res: Response) {
      res.json(await deps.analytics.logins(rangeOf(req, deps.clock)));
    },

    /** GET /admin/analytics/logins.csv: one row per India day. */
    async loginsCsv(req: Request, res: Response) {
      const r = await deps.analytics.logins(rangeOf(req, deps.clock));
      sendCsv(
        res,
        'sign-ins',
        r.range,
        ['day', 'sign_ins', 'distinct_users', 'failed_sign_ins', 'locked_out_accounts', 'new_device_sign_ins'],
        r.daily.map((d) => [d.day, d.signins, d.users, d.failures, d.lockouts, d.newDevices]),
      );
    },

    /** GET /admin/analytics/abandonment: abandoned carts, the funnel, what was left behind. */
    async abandonment(req: Request, res: Response) {
      const page = pageRange(req, res);
      const report = await deps.analytics.abandonment(page.range);
      const q = rangeQuery(report.range);
      renderAdmin(res, 'analytics/abandonment', {
        title: 'Cart abandonment',
        crumbs: [{ label: 'Cart abandonment' }],
        report,
        csvHref: `/admin/analytics/abandonment.csv?${q}`,
        funnelCsvHref: `/admin/analytics/abandonment.csv?${q}&part=funnel`,
        ...page.locals,
      });
    },

    async abandonmentApi(req: Request, res: Response) {
      res.json(await deps.analytics.abandonment(rangeOf(req, deps.clock)));
    },

    /** GET /admin/analytics/abandonment.csv (per day), or ?part=funnel (the funnel's steps). */
    async abandonmentCsv(req: Request, res: Response) {
      const r = await deps.analytics.abandonment(rangeOf(req, deps.clock));
      if (req.query.part === 'funnel') {
        sendCsv(res, 'funnel', r.range, ['step', 'shoppers', 'drop_off_percent'], r.funnel.map((f) => [f.label, f.count, f.dropOff === undefined ? '' : Number(f.dropOff.toFixed(1))]));
        return;
      }
      sendCsv(
        res,
        'abandonment',
        r.range,
        ['day', 'carts', 'converted', 'abandoned', 'open', 'abandoned_value_inr', 'abandonment_rate_percent'],
        r.daily.map((d) => [d.day, d.carts, d.converted, d.abandoned, d.open, rupees(d.value), Number(d.rate.toFixed(1))]),
      );
    },

    /** GET /admin/analytics/purchases: what sold, refunds, payment failures and offers used. */
    async purchases(req: Request, res: Response) {
      const page = pageRange(req, res);
      const report = await deps.analytics.purchases(page.range);
      renderAdmin(res, 'analytics/purchases', { title: 'Purchases', crumbs: [{ label: 'Purchases' }], report, csvHref: `/admin/analytics/purchases.csv?${rangeQuery(report.range)}`, ...page.locals });
    },

    /** GET /api/admin/analytics/purchases?range=… */
    async purchasesApi(req: Request, res: Response) {
      res.json(await deps.analytics.purchases(rangeOf(req, deps.clock)));
    },

    /** GET /api/admin/analytics/overview?range=…: the same figures as JSON. */
    async overviewApi(req: Request, res: Response) {
      res.json(await deps.analytics.overview(rangeOf(req, deps.clock)));
    },
  };
}
