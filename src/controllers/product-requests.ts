import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError } from '../lib/errors.js';
import { idField, lineText, multilineText, pathId } from '../lib/fields.js';
import { safeNext } from '../lib/safe-redirect.js';
import { parseInput } from '../lib/validate.js';
import { wantsJson } from '../middleware/errors.js';
import type { ProductRequestRow } from '../models/product-requests.js';
import { STATUS_LABELS, isClosed, type ProductRequestService } from '../services/product-request-service.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const TITLE_MAX = 120;
export const DETAILS_MAX = 2000;

/** "1,499" or "₹1499.50" (or a number from a script) → paise, up to ₹10,00,000. */
const rupees = z
  .union([z.number(), z.string()], { error: 'Enter an amount in rupees, like 499.' })
  .transform((v) => String(v).replace(/[₹,\s]/g, ''))
  .pipe(z.string().regex(/^\d{1,7}(?:\.\d{1,2})?$/, 'Enter an amount in rupees, like 499 or 1,499.'))
  .transform((s) => Math.round(Number(s) * 100))
  .pipe(z.number().min(100, 'Enter at least ₹1, or leave it empty.').max(1_000_000_00, 'Enter at most ₹10,00,000.'));

const requestForm = z.object({
  title: lineText('The title', TITLE_MAX).pipe(z.string().min(4, 'Say in a few words what you are looking for (at least 4 characters).')),
  details: z.preprocess((v) => v ?? '', multilineText('The details', DETAILS_MAX)),
  categoryId: z.preprocess(blank, idField('Category').optional()),
  maxPrice: z.preprocess(blank, rupees.optional()),
});

const boardQuery = z
  .object({
    sort: z.preprocess(blank, z.enum(['votes', 'newest'], { error: 'Sort by votes or newest.' }).default('votes')),
    q: z.preprocess(blank, lineText('Search', 100).optional()),
    after: z.preprocess(blank, z.string().regex(/^(?:\d{1,10}_)?\d{1,10}$/, 'That page link is not valid.').optional()),
  })
  .strict();

const voteForm = z.object({
  on: z.preprocess((v) => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : v), z.boolean({ error: 'on is 1 (vote) or 0 (take back).' }).optional()),
  back: z.string().max(512).optional(),
});

const FORM_FIELDS = ['title', 'details', 'categoryId', 'maxPrice'] as const;

/** A request as scripts see it. */
export function requestJson(r: ProductRequestRow & { category_name?: string | null }) {
  return {
    id: r.id,
    title: r.title,
    details: r.details,
    categoryId: r.category_id,
    status: r.status,
    statusLabel: STATUS_LABELS[r.status],
    votes: r.vote_count,
    productId: r.product_id,
    reply: r.admin_reply,
    createdAt: r.created_at,
    url: `/requests/${r.id}`,
  };
}

/**
 * The shopper side of product requests: the public board, the request form (signed in), a
 * request's page and the vote button. Forms work without JavaScript; the same routes answer
 * JSON to scripts (Accept: application/json), as public/js/product-requests.js uses for votes.
 */
export function createProductRequestController(deps: { requests: ProductRequestService }) {
  const { requests } = deps;
  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no such request, or it was removed.');
    return id;
  };

  async function formPage(res: Response, extra: { values?: Record<string, string>; errors?: Record<string, string>; error?: string } = {}) {
    res.set('Cache-Control', 'no-store').render('shop/requests/new', {
      title: 'Request a product',
      styles: ['/css/product-requests.css'],
      categories: await requests.categories(),
      values: extra.values ?? { title: '', details: '', categoryId: '', maxPrice: '' },
      errors: extra.errors ?? {},
      error: extra.error,
      limits: { title: TITLE_MAX, details: DETAILS_MAX },
    });
  }

  return {
    /** GET /requests: the board, most voted or newest first, with a title search; 20 a page (keyset). */
    async board(req: Request, res: Response) {
      const q = parseInput(boardQuery, req.query, 'Please check the search.');
      const result = await requests.board({ ...q, userId: req.user?.id });
      if (wantsJson(req)) {
        return res.json({ items: result.items.map((r) => ({ ...requestJson(r), voted: result.voted.has(r.id) })), next: result.next ?? null });
      }
      res.render('shop/requests/board', { title: 'Product requests', styles: ['/css/product-requests.css'], scripts: ['/js/product-requests.js'], query: q, result, statusLabels: STATUS_LABELS, isClosed });
    },

    /** GET /requests/new (signed in) */
    async newForm(_req: Request, res: Response) {
      await formPage(res);
    },

    /** POST /requests (signed in): a new request with the requester's own vote; 400 with field messages, 429 when throttled. */
    async create(req: Request, res: Response) {
      const raw = (req.body ?? {}) as Record<string, unknown>;
      try {
        const form = parseInput(requestForm.strip(), raw, 'Please check the highlighted fields.');
        const created = await requests.create(req.user!.id, { title: form.title, details: form.details, categoryId: form.categoryId, maxPricePaise: form.maxPrice });
        if (wantsJson(req)) return res.status(201).json({ request: requestJson(created) });
        if (req.session) req.session.flash = { type: 'success', message: 'Thank you: your request is on the board, with your vote. We email you when it is done.' };
        res.redirect(303, `/requests/${created.id}`);
      } catch (err) {
        if (!(err instanceof AppError) || wantsJson(req)) throw err;
        if (err.status === 429) res.set('Retry-After', String((err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 3600));
        res.status(err.status);
        const values = Object.fromEntries(FORM_FIELDS.map((k) => [k, typeof raw[k] === 'string' ? (raw[k] as string).slice(0, 4000) : '']));
        await formPage(res, { values, errors: err.fields ?? {}, error: err.message });
      }
    },

    /** GET /requests/:id: status, votes, the store's reply and the product that answers it; a merged one redirects. */
    async show(req: Request, res: Response) {
      const id = idOf(req);
      const found = await requests.get(id, req.user?.id);
      if ('mergedInto' in found) return res.redirect(301, `/requests/${found.mergedInto}`);
      if (wantsJson(req)) return res.json({ request: { ...requestJson(found.request), voted: found.voted }, product: found.product ? { slug: found.product.slug, title: found.product.title, url: `/products/${found.product.slug}` } : null });
      res.render('shop/requests/show', { title: found.request.title, styles: ['/css/product-requests.css'], scripts: ['/js/product-requests.js'], ...found, statusLabels: STATUS_LABELS, isClosed });
    },

    /** POST /requests/:id/vote (signed in): on=1 votes, on=0 takes it back, neither toggles. */
    async vote(req: Request, res: Response) {
      const id = idOf(req);
      const form = parseInput(voteForm.strip(), req.body ?? {}, 'Please check the vote.');
      const result = await requests.vote(id, req.user!.id, form.on);
      if (wantsJson(req)) return res.json(result);
      // Back to the page the button was on (the board keeps its sort, search and page), never elsewhere.
      const back = safeNext(form.back, '');
      const to = /^\/requests(?:[/?#]|$)/.test(back) ? back.split('#')[0]! : `/requests/${result.requestId}`;
      res.redirect(303, `${to}#request-${result.requestId}`);
    },
  };
}
