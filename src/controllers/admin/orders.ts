import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { lineText, pathId } from '../../lib/fields.js';
import { formatINR } from '../../lib/money.js';
import { parseInput } from '../../lib/validate.js';
import { ORDER_STATUSES, RefundGatewayError, type OrderAdminService, type RefundResult } from '../../services/order-admin-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const PAGE_SIZE = 50;

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** A calendar date as <input type="date"> sends it, read as a day in India. */
const isoDate = (label: string) =>
  z
    .string({ error: `${label} must be a date.` })
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${label} must be a date like 2026-11-24.`)
    .refine((s) => {
      const [y, m, d] = s.split('-').map(Number) as [number, number, number];
      const t = new Date(Date.UTC(y, m - 1, d));
      return y >= 2000 && y <= 2100 && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
    }, `${label} is not a real date.`);

const listFields = z.object({
  q: z.preprocess(blank, lineText('Search', 100).optional()),
  status: z.preprocess(blank, z.enum([...ORDER_STATUSES, 'attention'], { error: 'Status is pending, paid, failed, refunded, expired or attention.' }).optional()),
  from: z.preprocess(blank, isoDate('From').optional()),
  to: z.preprocess(blank, isoDate('To').optional()),
  page: z.preprocess(blank, z.coerce.number({ error: 'Page must be a number.' }).int().min(1).max(10_000, 'Page is too large.').default(1)),
});
const dateOrder = (f: { from?: string; to?: string }) => !f.from || !f.to || f.from <= f.to;
const DATE_ORDER = { message: '“From” must be on or before “To”.', path: ['to'] };
const listQuery = listFields.refine(dateOrder, DATE_ORDER);
/** Scripts get told about a misspelt parameter instead of an unfiltered list. */
const apiListQuery = listFields.strict().refine(dateOrder, DATE_ORDER);

/** "1,499" or "₹1499.50" → 149950 paise; empty means "all that is left". */
const rupees = z.preprocess(
  blank,
  z
    .string({ error: 'Enter the amount in rupees.' })
    .transform((s) => s.replace(/[₹,\s]/g, ''))
    .pipe(z.string().regex(/^\d{1,7}(?:\.\d{1,2})?$/, 'Enter the amount in rupees, like 499 or 1,499.50.'))
    .transform((s) => Math.round(Number(s) * 100))
    .optional(),
);

const refundForm = z.object({
  amount: rupees,
  reason: lineText('Reason', 200).default(''),
  idempotencyKey: z.uuid({ error: 'This form is out of date. Open the refund page again.' }),
  _csrf: z.string().optional(),
});

const refundJson = z
  .object({
    amountPaise: z.number().int('amountPaise is whole paise.').positive('amountPaise must be positive.').max(1_000_000_000).optional(),
    reason: lineText('reason', 200).default(''),
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/, 'idempotencyKey: 10 to 64 letters, digits, - or _ (one per refund you mean to make).'),
  })
  .strict();

const csrfOnly = z.object({ _csrf: z.string().optional() });

const STATUS_LABELS: Record<string, string> = { pending: 'Pending', paid: 'Paid', failed: 'Failed', refunded: 'Refunded', expired: 'Expired', attention: 'Needs attention' };

function refundMessage(r: RefundResult, orderId: number): string {
  if (r.duplicate) return `This refund form was already sent: ${formatINR(r.amountPaise)} was refunded once (${r.refundId}). Nothing more was refunded.`;
  if (r.outcome === 'full') return `Refunded ${formatINR(r.amountPaise)}. Order #${orderId} is now refunded in full and its downloads have ended.`;
  if (r.outcome === 'partial') return `Refunded ${formatINR(r.amountPaise)} (partial). Order #${orderId} stays paid and the buyer keeps the downloads.`;
  return `Razorpay accepted the refund of ${formatINR(r.amountPaise)} (${r.refundStatus}). The order updates when Razorpay reports it processed.`;
}

export function createOrderAdminController(deps: { orders: OrderAdminService }) {
  const { orders } = deps;

  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no order with that number.');
    return id;
  };
  const entitlementOf = (req: Request) => {
    const id = pathId(req.params.entitlementId);
    if (id === undefined) throw new NotFoundError('That order has no such item to download.');
    return id;
  };
  const isApi = (req: Request) => req.originalUrl.startsWith('/api/');

  async function refundPage(res: Response, id: number, extra: { values?: Record<string, string>; errors?: Record<string, string>; error?: string; key?: string } = {}) {
    const quote = await orders.refundQuote(id);
    renderAdmin(res, 'orders/refund', {
      title: `Refund order #${id}`,
      crumbs: [{ label: 'Orders', href: '/admin/orders' }, { label: `Order #${id}`, href: `/admin/orders/${id}` }, { label: 'Refund' }],
      order: quote.order,
      payment: quote.payment,
      remainingPaise: quote.remainingPaise,
      values: extra.values ?? { amount: (quote.remainingPaise / 100).toFixed(quote.remainingPaise % 100 ? 2 : 0), reason: '' },
      errors: extra.errors ?? {},
      error: extra.error,
      idempotencyKey: extra.key ?? randomUUID(),
    });
  }

  return {
    /** GET /admin/orders: filters by status, search, India-time date range; newest first, 50 a page. */
    async list(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query, 'Please check the filters.');
      const result = await orders.list({ ...q, pageSize: PAGE_SIZE });
      if (q.page > result.pageCount) {
        const params = new URLSearchParams(Object.entries({ ...req.query, page: String(result.pageCount) }) as [string, string][]);
        return res.redirect(302, `/admin/orders?${params}`);
      }
      renderAdmin(res, 'orders/list', { title: 'Orders', crumbs: [{ label: 'Orders' }], query: q, result, statuses: STATUS_LABELS });
    },

    /** GET /admin/orders/:id: the order's whole story and its actions. */
    async detail(req: Request, res: Response) {
      const d = await orders.get(idOf(req));
      renderAdmin(res, 'orders/detail', { title: `Order #${d.order.id}`, crumbs: [{ label: 'Orders', href: '/admin/orders' }, { label: `Order #${d.order.id}` }], ...d, audit: d.history, statuses: STATUS_LABELS });
    },

    /** GET /admin/orders/:id/refund: the refund form, which is also its confirmation (or why there is none). */
    async refundForm(req: Request, res: Response) {
      const id = idOf(req);
      try {
        await refundPage(res, id);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        renderAdmin(res, 'orders/refund', { title: `Refund order #${id}`, crumbs: [{ label: 'Orders', href: '/admin/orders' }, { label: `Order #${id}`, href: `/admin/orders/${id}` }, { label: 'Refund' }], order: { id }, blocked: err.message });
      }
    },

    /** POST /admin/orders/:id/refund (and the JSON twin): refund through Razorpay once per form. */
    async refund(req: Request, res: Response) {
      const id = idOf(req);
      if (isApi(req)) {
        const body = parseInput(refundJson, req.body);
        const r = await orders.refund(id, body, actorOf(req));
        res.json({ outcome: r.outcome, duplicate: r.duplicate, amountPaise: r.amountPaise, refundId: r.refundId, refundStatus: r.refundStatus, order: { id: r.order.id, status: r.order.status, refundedPaise: r.order.refunded_paise }, message: refundMessage(r, id) });
        return;
      }
      const raw = (req.body ?? {}) as Record<string, string>;
      const values = { amount: String(raw.amount ?? ''), reason: String(raw.reason ?? '') };
      const sentKey = typeof raw.idempotencyKey === 'string' && z.uuid().safeParse(raw.idempotencyKey).success ? raw.idempotencyKey : undefined;
      try {
        const form = parseInput(refundForm, raw, 'Please check the highlighted fields.');
        const r = await orders.refund(id, { amountPaise: form.amount, reason: form.reason, idempotencyKey: form.idempotencyKey }, actorOf(req));
        done(req, res, { redirect: `/admin/orders/${id}`, message: refundMessage(r, id) });
      } catch (err) {
        // The form again with the problem: the same key where a repeat is harmless or needed.
        if (err instanceof ValidationError) {
          res.status(400);
          return refundPage(res, id, { values, errors: err.fields, error: err.fields?.idempotencyKey ?? err.message, key: sentKey });
        }
        if (err instanceof RefundGatewayError) {
          res.status(err.status);
          return refundPage(res, id, { values, error: err.message, key: err.sameKeyIsSafe ? sentKey : undefined });
        }
        throw err;
      }
    },

    /** POST /admin/orders/:id/resend-confirmation: the confirmation email again, fresh links. */
    async resend(req: Request, res: Response) {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      const { to } = await orders.resendConfirmation(id, actorOf(req));
      done(req, res, { redirect: `/admin/orders/${id}`, message: `The confirmation of order #${id} is on its way to ${to}, with fresh download links.`, json: { ok: true, to } });
    },

    /** POST /admin/orders/:id/entitlements/:entitlementId/reset: the buyer's downloads of one item back to 0. */
    async resetDownloads(req: Request, res: Response) {
      const id = idOf(req);
      const entitlementId = entitlementOf(req);
      parseInput(csrfOnly, req.body ?? {});
      const r = await orders.resetDownloads(id, entitlementId, actorOf(req));
      done(req, res, {
        redirect: `/admin/orders/${id}#downloads`,
        message: `Reset the downloads of “${r.title}” from ${r.was} to 0.${r.revoked ? ' It stays revoked (the order was refunded), so the buyer still cannot download it.' : ''}`,
        json: { ok: true, was: r.was, revoked: r.revoked },
      });
    },

    // JSON for scripts, under /api/admin/orders.

    /** GET /api/admin/orders */
    async apiList(req: Request, res: Response) {
      const q = parseInput(apiListQuery, req.query, 'Please check the query parameters.');
      const result = await orders.list({ ...q, pageSize: PAGE_SIZE });
      res.json({
        items: result.rows.map((r) => ({ id: r.id, status: r.status, needsAttention: r.attention_at !== null, totalPaise: r.total_paise, refundedPaise: r.refunded_paise, currency: r.currency, razorpayOrderId: r.razorpay_order_id, buyer: { id: r.user_id, email: r.buyer_email }, lines: r.lines, createdAt: r.created_at, paidAt: r.paid_at })),
        total: result.total,
        totalCapped: result.totalCapped,
        page: result.page,
        pageCount: result.pageCount,
      });
    },

    /** GET /api/admin/orders/:id */
    async apiGet(req: Request, res: Response) {
      const d = await orders.get(idOf(req));
      const o = d.order;
      res.json({
        order: { id: o.id, status: o.status, currency: o.currency, subtotalPaise: o.subtotal_paise, discountPaise: o.discount_paise, totalPaise: o.total_paise, refundedPaise: o.refunded_paise, refundablePaise: d.refundablePaise, razorpayOrderId: o.razorpay_order_id, attention: o.attention_at ? { at: o.attention_at, reason: o.attention_reason } : null, createdAt: o.created_at, paidAt: o.paid_at, refundedAt: o.refunded_at },
        buyer: d.buyer ?? null,
        items: d.items.map((i) => ({ productId: i.product_id, title: i.title, quantity: i.quantity, licenseType: i.license_type, salePricePaise: i.sale_price_paise, lineTotalPaise: i.line_total_paise })),
        payments: d.payments.map((p) => ({ id: p.razorpay_payment_id, status: p.status, amountPaise: p.amount_paise, method: p.method, errorCode: p.error_code, errorDescription: p.error_description, createdAt: p.created_at })),
        refunds: d.refunds.map((r) => ({ id: r.razorpay_refund_id, paymentId: r.razorpay_payment_id, amountPaise: r.amount_paise, status: r.status, processedAt: r.processed_at, createdAt: r.created_at })),
        events: d.events.map((e) => ({ eventId: e.event_id, event: e.event, outcome: e.outcome, error: e.error, receivedAt: e.received_at, processedAt: e.processed_at })),
        entitlements: d.entitlements.map((e) => ({ id: e.id, productId: e.product_id, title: e.title, downloadCount: e.download_count, maxDownloads: e.max_downloads, revokedAt: e.revoked_at })),
        downloads: d.downloads.map((x) => ({ entitlementId: x.entitlement_id, title: x.title, kind: x.kind, ip: x.ip, browser: x.browser, os: x.os, deviceType: x.device_type, at: x.created_at })),
        audit: d.history.map((a) => ({ action: a.action, summary: a.summary, actor: a.actor_email, at: a.created_at, changes: a.changes })),
      });
    },
  };
}
