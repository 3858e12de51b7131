import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../lib/errors.js';
import { lineText, pathId } from '../../lib/fields.js';
import { parseInput } from '../../lib/validate.js';
import type { CustomerAction, CustomerAdminService } from '../../services/customer-admin-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const PAGE_SIZE = 50;

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const listFields = z.object({
  q: z.preprocess(blank, lineText('Search', 100).optional()),
  page: z.preprocess(blank, z.coerce.number({ error: 'Page must be a number.' }).int().min(1).max(10_000, 'Page is too large.').default(1)),
});

const csrfOnly = z.object({ _csrf: z.string().optional() });

/** Each action's confirmation page, and what it says once done. */
const ACTIONS: Record<CustomerAction, { question: string; detail: string; label: string; danger: boolean }> = {
  'sign-out': { question: 'Sign this customer out everywhere?', detail: 'Every browser and device signed in to this account must sign in again. Their account is not changed.', label: 'Sign out everywhere', danger: false },
  disable: { question: 'Disable this account?', detail: 'They are signed out everywhere at once and cannot sign in until an admin enables the account again. Orders and purchases are kept.', label: 'Disable the account', danger: true },
  enable: { question: 'Enable this account again?', detail: 'They can sign in again with their password (and second factor, if set).', label: 'Enable the account', danger: false },
  'make-admin': { question: 'Make this customer an admin?', detail: 'They can then see every order and customer, refund payments and change the catalog.', label: 'Make admin', danger: true },
  'remove-admin': { question: 'Remove this admin?', detail: 'They keep their account and purchases, and lose the admin area from their next request.', label: 'Remove admin', danger: true },
};


export function createCustomerAdminController(deps: { customers: CustomerAdminService }) {
  const { customers } = deps;

  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no customer with that number.');
    return id;
  };

  return {
    /** GET /admin/customers: search by email or name (beginning), newest first, 50 a page. */
    async list(req: Request, res: Response) {
      const q = parseInput(listFields, req.query, 'Please check the search.');
      const result = await customers.list({ q: q.q, page: q.page, pageSize: PAGE_SIZE });
      if (q.page > result.pageCount) {
        const params = new URLSearchParams(Object.entries({ ...req.query, page: String(result.pageCount) }) as [string, string][]);
        return res.redirect(302, `/admin/customers?${params}`);
      }
      renderAdmin(res, 'customers/list', { title: 'Customers', crumbs: [{ label: 'Customers' }], query: q, result });
    },

    /** GET /admin/customers/:id: profile, orders, sign-ins, downloads, history and actions. */
    async detail(req: Request, res: Response) {
      const d = await customers.get(idOf(req));
      renderAdmin(res, 'customers/detail', { title: d.profile.email, crumbs: [{ label: 'Customers', href: '/admin/customers' }, { label: `Customer #${d.profile.id}` }], ...d, audit: d.history, isSelf: req.user!.id === d.profile.id });
    },

    /** GET /admin/customers/:id/<action>: what the action does, before it is done. */
    confirm: (action: CustomerAction) => async (req: Request, res: Response) => {
      const id = idOf(req);
      const { profile } = await customers.get(id);
      const a = ACTIONS[action];
      renderAdmin(res, 'customers/confirm', {
        title: a.question,
        crumbs: [{ label: 'Customers', href: '/admin/customers' }, { label: `Customer #${id}`, href: `/admin/customers/${id}` }, { label: a.label }],
        profile,
        detail: a.detail,
        action: `/admin/customers/${id}/${action}`,
        confirmLabel: a.label,
        danger: a.danger,
        cancelHref: `/admin/customers/${id}`,
      });
    },

    /** POST /admin/customers/:id/<action> (and /api/admin/…): sign out everywhere, disable, enable, make or remove admin. */
    act: (action: CustomerAction) => async (req: Request, res: Response) => {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      const actor = actorOf(req);
      const back = `/admin/customers/${id}`;
      switch (action) {
        case 'sign-out': {
          const n = await customers.signOutEverywhere(id, actor);
          return done(req, res, { redirect: back, message: `Signed out everywhere: ${n} ${n === 1 ? 'session' : 'sessions'} ended.`, json: { ok: true, sessionsEnded: n } });
        }
        case 'disable': {
          const r = await customers.disable(id, actor);
          return done(req, res, { redirect: back, message: `${r.profile.email} is disabled and was signed out everywhere (${r.sessionsEnded} ${r.sessionsEnded === 1 ? 'session' : 'sessions'} ended).`, json: { ok: true, customer: r.profile, sessionsEnded: r.sessionsEnded } });
        }
        case 'enable': {
          const p = await customers.enable(id, actor);
          return done(req, res, { redirect: back, message: `${p.email} can sign in again.`, json: { ok: true, customer: p } });
        }
        case 'make-admin': {
          const p = await customers.makeAdmin(id, actor);
          return done(req, res, { redirect: back, message: `${p.email} is now an admin.`, json: { ok: true, customer: p } });
        }
        case 'remove-admin': {
          const p = await customers.removeAdmin(id, actor);
          return done(req, res, { redirect: back, message: `${p.email} is no longer an admin.`, json: { ok: true, customer: p } });
        }
      }
    },

    // JSON for scripts, under /api/admin/customers.

    /** GET /api/admin/customers */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listFields.strict(), req.query, 'Please check the query parameters.');
      const result = await customers.list({ q: q.q, page: q.page, pageSize: PAGE_SIZE });
      res.json({
        items: result.rows.map((r) => ({ id: r.id, email: r.email, name: r.name, role: r.role, verified: r.email_verified_at !== null, twoFactor: r.twoFactor, disabled: r.disabled_at !== null, paidOrders: r.paidOrders, orders: r.allOrders, createdAt: r.created_at })),
        total: result.total,
        totalCapped: result.totalCapped,
        page: result.page,
        pageCount: result.pageCount,
      });
    },

    /** GET /api/admin/customers/:id */
    async apiGet(req: Request, res: Response) {
      const d = await customers.get(idOf(req));
      res.json({
        customer: d.profile,
        sessions: d.sessions,
        orders: d.orders.map((o) => ({ id: o.id, status: o.status, totalPaise: o.total_paise, refundedPaise: o.refunded_paise, createdAt: o.created_at, paidAt: o.paid_at })),
        signIns: d.signIns.map((s) => ({ at: s.created_at, ip: s.ip, browser: s.browser, os: s.os, deviceType: s.device_type, method: s.method, newDevice: s.new_device })),
        failedSignIns: d.failures.map((f) => ({ at: f.created_at, ip: f.ip, reason: f.reason })),
        downloads: d.entitlements.map((e) => ({ id: e.id, orderId: e.order_id, productId: e.product_id, title: e.title, downloadCount: e.download_count, maxDownloads: e.max_downloads, revokedAt: e.revoked_at })),
        audit: d.history.map((a) => ({ action: a.action, summary: a.summary, actor: a.actor_email, at: a.created_at, changes: a.changes })),
      });
    },
  };
}
