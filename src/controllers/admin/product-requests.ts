import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { idField, lineText, multilineText, pathId } from '../../lib/fields.js';
import { parseInput } from '../../lib/validate.js';
import { REQUEST_STATUSES, type RequestStatus } from '../../models/product-requests.js';
import { STATUS_LABELS, type ProductRequestService } from '../../services/product-request-service.js';
import { requestJson } from '../product-requests.js';
import { actorOf, done, renderAdmin } from './shared.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const status = z.enum(REQUEST_STATUSES as [RequestStatus, ...RequestStatus[]], { error: 'Choose a status.' });

const listQuery = z.object({
  q: z.preprocess(blank, lineText('Search', 100).optional()),
  status: z.preprocess(blank, status.optional()),
  visibility: z.preprocess(blank, z.enum(['shown', 'hidden', 'merged', 'all'], { error: 'Choose which requests to show.' }).default('shown')),
  sort: z.preprocess(blank, z.enum(['newest', 'votes'], { error: 'Sort by newest or votes.' }).default('newest')),
  after: z.preprocess(blank, z.string().regex(/^(?:\d{1,10}_)?\d{1,10}$/, 'That page link is not valid.').optional()),
});

const updateForm = z.object({
  status,
  product: z.preprocess((v) => v ?? '', lineText('Product', 200)),
  reply: z.preprocess((v) => v ?? '', multilineText('The reply', 2000)),
});
const mergeForm = z.object({ into: idField('Request number') });
const csrfOnly = z.object({ _csrf: z.string().optional() });

const crumbsFor = (id: number) => [{ label: 'Requests', href: '/admin/requests' }, { label: `Request #${id}` }];

/** The admin's product requests: triage list, a request's page with status, reply, product link, hide and merge. */
export function createProductRequestAdminController(deps: { requests: ProductRequestService }) {
  const { requests } = deps;
  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no such request.');
    return id;
  };

  async function detailPage(res: Response, id: number, extra: { values?: Record<string, unknown>; errors?: Record<string, string>; error?: string } = {}) {
    const d = await requests.adminGet(id);
    renderAdmin(res, 'product-requests/detail', {
      title: `Request #${id}`,
      crumbs: crumbsFor(id),
      ...d,
      audit: d.history,
      statusLabels: STATUS_LABELS,
      values: extra.values ?? { status: d.request.status, product: d.product ? d.product.slug : '', reply: d.request.admin_reply ?? '', into: '' },
      errors: extra.errors ?? {},
      error: extra.error,
    });
  }

  return {
    /** GET /admin/requests: filter by status and visibility, search titles, newest or most voted first; 50 a page (keyset). */
    async list(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query, 'Please check the filters.');
      const result = await requests.adminList(q);
      renderAdmin(res, 'product-requests/list', { title: 'Product requests', crumbs: [{ label: 'Requests' }], query: q, result, statusLabels: STATUS_LABELS });
    },

    /** GET /admin/requests/:id */
    async detail(req: Request, res: Response) {
      await detailPage(res, idOf(req));
    },

    /** POST /admin/requests/:id: status, linked product and reply in one save. */
    async update(req: Request, res: Response) {
      const id = idOf(req);
      try {
        const form = parseInput(updateForm.strip(), req.body ?? {}, 'Please check the highlighted fields.');
        const { request, emailsQueued } = await requests.update(id, form, actorOf(req));
        const mailNote = emailsQueued ? ` ${emailsQueued} ${emailsQueued === 1 ? 'email is' : 'emails are'} on the way.` : '';
        done(req, res, { redirect: `/admin/requests/${id}`, message: `Saved request #${id} (${STATUS_LABELS[request.status]}).${mailNote}`, json: { request: requestJson(request), emailsQueued } });
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        res.status(400);
        await detailPage(res, id, { values: { ...(req.body as Record<string, unknown>), into: '' }, errors: err.fields, error: err.message });
      }
    },

    /** GET /admin/requests/:id/merge?into=N: both requests side by side before the merge. */
    async mergeConfirm(req: Request, res: Response) {
      const id = idOf(req);
      let into: number;
      try {
        into = parseInput(mergeForm.strip(), req.query, 'Please check the highlighted fields.').into;
        if (into === id) throw new ValidationError('Please check the highlighted fields.', { into: 'Choose another request: one cannot be merged into itself.' });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        return detailPage(res, id, { errors: err.fields, error: err.message, values: undefined });
      }
      const [source, target] = await Promise.all([requests.adminGet(id), requests.adminGet(into).catch(() => undefined)]);
      if (!target) {
        res.status(400);
        return detailPage(res, id, { errors: { into: `There is no request #${into}.` }, error: 'Please check the highlighted fields.' });
      }
      renderAdmin(res, 'product-requests/merge', { title: `Merge #${id} into #${into}?`, crumbs: [...crumbsFor(id).slice(0, 1), { label: `Request #${id}`, href: `/admin/requests/${id}` }, { label: 'Merge' }], source: source.request, target: target.request, statusLabels: STATUS_LABELS });
    },

    /** POST /admin/requests/:id/merge (into): its votes move to the other request, once per person. */
    async merge(req: Request, res: Response) {
      const id = idOf(req);
      try {
        const form = parseInput(mergeForm.strip(), req.body ?? {}, 'Please check the highlighted fields.');
        const r = await requests.merge(id, form.into, actorOf(req));
        done(req, res, { redirect: `/admin/requests/${r.target.id}`, message: `Merged #${id} into this request: ${r.moved} ${r.moved === 1 ? 'vote' : 'votes'} carried over, ${r.target.vote_count} in all.`, json: { source: requestJson(r.source), target: requestJson(r.target), moved: r.moved } });
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        res.status(400);
        await detailPage(res, id, { errors: err.fields, error: err.message });
      }
    },

    /** POST /admin/requests/:id/hide and /unhide: spam off the board, or back on it. */
    visibility: (hidden: boolean) => async (req: Request, res: Response) => {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      const r = await requests.setHidden(id, hidden, actorOf(req));
      done(req, res, { redirect: `/admin/requests/${id}`, message: hidden ? `“${r.title}” is hidden from the board.` : `“${r.title}” is on the board again.`, json: { request: { ...requestJson(r), hidden: r.hidden_at !== null } } });
    },

    /** GET /api/admin/requests */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listQuery.strict(), req.query, 'Please check the query parameters.');
      const result = await requests.adminList(q);
      res.json({ items: result.items.map((r) => ({ ...requestJson(r), hidden: r.hidden_at !== null, mergedInto: r.merged_into_id, requester: r.requester_email, maxPricePaise: r.max_price_paise })), next: result.next ?? null });
    },

    /** GET /api/admin/requests/:id */
    async apiGet(req: Request, res: Response) {
      const d = await requests.adminGet(idOf(req));
      res.json({
        request: { ...requestJson(d.request), hidden: d.request.hidden_at !== null, mergedInto: d.request.merged_into_id, requester: d.request.requester_email, maxPricePaise: d.request.max_price_paise },
        product: d.product ? { id: d.product.id, slug: d.product.slug, title: d.product.title } : null,
        voters: d.voters.map((v) => ({ userId: v.user_id, email: v.email, at: v.created_at })),
        merged: d.merged.map((m) => ({ id: m.id, title: m.title })),
        audit: d.history.map((a) => ({ action: a.action, summary: a.summary, actor: a.actor_email, at: a.created_at, changes: a.changes })),
      });
    },
  };
}
