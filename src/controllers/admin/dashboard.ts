import type { Request, Response } from 'express';
import type { Clock } from '../../lib/clock.js';
import { DateRangeError, RANGE_LABELS, RANGE_PRESETS, resolveRange, type DateRange } from '../../lib/date-range.js';
import { ValidationError } from '../../lib/errors.js';
import type { AnalyticsService } from '../../services/analytics-service.js';
import { csvCell } from '../../lib/csv.js';
import { renderAdmin } from './shared.js';

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

/** The admin home: the owner's overview of the chosen range against the period before it. */
export function createDashboardController(deps: { analytics: AnalyticsService; clock: Clock }) {
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
        csvHref: `/admin/overview.csv?${new URLSearchParams(range.preset === 'custom' ? { range: 'custom', from: range.from, to: range.to } : { range: range.preset })}`,
      });
    },

    /** GET /admin/overview.csv: the chart's numbers, one row per India day. */
    async csv(req: Request, res: Response) {
      const overview = await deps.analytics.overview(rangeOf(req, deps.clock));
      const lines = [['day', 'revenue_net_inr', 'paid_orders', 'failed_payments'].join(',')];
      // Rupees with two decimals: written by us, so a net loss stays a plain negative number.
      for (const d of overview.daily) lines.push([csvCell(d.day), (d.revenue / 100).toFixed(2), csvCell(d.orders), csvCell(d.failedPayments)].join(','));
      res
        .set('Content-Type', 'text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="overview-${overview.range.from}-to-${overview.range.to}.csv"`)
        .send(`${lines.join('\r\n')}\r\n`);
    },

    /** GET /admin/analytics/purchases: what sold, refunds, payment failures and offers used. */
    async purchases(req: Request, res: Response) {
      const page = pageRange(req, res);
      renderAdmin(res, 'analytics/purchases', { title: 'Purchases', crumbs: [{ label: 'Purchases' }], report: await deps.analytics.purchases(page.range), ...page.locals });
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
