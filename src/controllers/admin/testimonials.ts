import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { lineText, pathId } from '../../lib/fields.js';
import { fieldErrors, parseInput } from '../../lib/validate.js';
import { TESTIMONIAL_STATUSES, type TestimonialRow } from '../../models/testimonials.js';
import { uploadsOf } from '../../routes/admin/uploads.js';
import type { TestimonialInput, TestimonialService } from '../../services/testimonial-service.js';
import { nameField, quoteField, ratingField, roleField } from '../testimonials.js';
import { actorOf, done, flash, renderAdmin } from './shared.js';

const PAGE_SIZE = 30;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const checkbox = z.preprocess((v) => v === '1' || v === 'on' || v === 'true' || v === true, z.boolean());
const positionMessage = 'Display order is a whole number from 0 to 9999.';
const position = z.preprocess(
  blank,
  z.union([z.number(), z.string().trim().regex(/^-?\d+$/, positionMessage)], { error: positionMessage }).transform(Number).pipe(z.number().int(positionMessage).min(0, positionMessage).max(9999, positionMessage)).default(0),
);
/** A product's address; a full link (…/products/some-guide) pasted in works too. */
const productSlug = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim().replace(/^.*\/products\//, '').replace(/[?#].*$/, '').toLowerCase()) : v),
  lineText('Product', 120).pipe(z.string().regex(SLUG, 'Use the product’s address, like monsoon-field-notes.')).optional(),
);

/** The form as the page posts it (multipart: text fields and an optional photo named `image`). */
const testimonialForm = z.object({
  name: nameField,
  roleOrCity: roleField,
  quote: quoteField('Quote'),
  rating: ratingField,
  product: productSlug,
  featured: checkbox,
  published: checkbox,
  position,
  removePhoto: checkbox,
  _csrf: z.string().optional(),
});

/** The same as scripts send it to /api/admin/testimonials (JSON; photos go through the form). */
const testimonialJson = z
  .object({
    name: nameField,
    roleOrCity: roleField,
    quote: quoteField('quote'),
    rating: ratingField,
    productSlug: productSlug,
    featured: z.boolean().default(false),
    published: z.boolean().default(false),
    position,
  })
  .strict();

const listQuery = z.object({
  q: z.preprocess(blank, lineText('Search', 100).optional()),
  status: z.preprocess(blank, z.enum(TESTIMONIAL_STATUSES, { error: 'Status is pending, published or hidden.' }).optional()),
  page: z.preprocess(blank, z.coerce.number({ error: 'Page must be a number.' }).int().min(1).max(10_000, 'Page is too large.').default(1)),
});
const statusForm = z.object({ status: z.enum(TESTIMONIAL_STATUSES, { error: 'Choose publish, hide or pending.' }), back: z.string().optional(), _csrf: z.string().optional() });

const toInput = (f: { name: string; roleOrCity: string; quote: string; rating: number; featured: boolean; published: boolean; position: number }, slug: string | undefined): TestimonialInput => ({
  name: f.name,
  role: f.roleOrCity,
  quote: f.quote,
  rating: f.rating,
  productSlug: slug,
  featured: f.featured,
  published: f.published,
  position: f.position,
});

const toJson = (t: TestimonialRow) => ({
  id: t.id,
  name: t.name,
  roleOrCity: t.role,
  quote: t.quote,
  rating: t.rating,
  status: t.status,
  featured: t.is_featured,
  position: t.position,
  productId: t.product_id,
  orderId: t.order_id,
  userId: t.user_id,
  hasPhoto: t.photo_key !== null,
  publishedAt: t.published_at,
  createdAt: t.created_at,
});

export function createTestimonialAdminController(deps: { testimonials: TestimonialService }) {
  const { testimonials } = deps;
  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no testimonial with that number.');
    return id;
  };

  type Detail = Awaited<ReturnType<TestimonialService['get']>>;
  function valuesOf(d?: Detail): Record<string, unknown> {
    if (!d) return { name: '', roleOrCity: '', quote: '', rating: '5', product: '', featured: false, published: true, position: '0' };
    const t = d.testimonial;
    return { name: t.name, roleOrCity: t.role, quote: t.quote, rating: String(t.rating), product: d.product?.slug ?? '', featured: t.is_featured, published: t.status === 'published', position: String(t.position) };
  }

  function renderForm(res: Response, detail: Detail | undefined, extra: { values?: Record<string, unknown>; errors?: Record<string, string>; error?: string } = {}) {
    const label = detail ? `From ${detail.testimonial.name}` : 'Add a testimonial';
    renderAdmin(res, 'testimonials/form', {
      title: detail ? `Testimonial from “${detail.testimonial.name}”` : 'Add a testimonial',
      crumbs: [{ label: 'Testimonials', href: '/admin/testimonials' }, { label }],
      detail,
      testimonial: detail?.testimonial,
      audit: detail?.history ?? [],
      values: extra.values ?? valuesOf(detail),
      errors: extra.errors ?? {},
      error: extra.error,
    });
  }

  /** The form again with each problem beside its field, what was typed kept, and the photo asked for again. */
  function formAgain(req: Request, res: Response, err: unknown, detail?: Detail) {
    if (!(err instanceof ValidationError) || err.fields === undefined) throw err;
    const fields = { ...err.fields };
    if (uploadsOf(req).image && !fields.image) fields.image = 'Choose the photo again (files are not kept when the form has a problem).';
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.status(400);
    renderForm(res, detail, { values: { ...valuesOf(detail), ...body, featured: body.featured === '1', published: body.published === '1' }, errors: fields, error: err.message });
  }

  /** Parses the multipart form; a second file (only a photo belongs here) is refused. */
  function parseForm(req: Request) {
    const parsed = testimonialForm.safeParse(req.body ?? {});
    const fields = parsed.success ? {} : fieldErrors(parsed.error);
    if (uploadsOf(req).file) fields.image = 'Only a photo can be uploaded here.';
    if (!parsed.success || Object.keys(fields).length) throw new ValidationError('Please check the highlighted fields.', fields);
    return parsed.data;
  }

  return {
    /** GET /admin/testimonials: by status, searched by name, newest first, in pages. */
    async list(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query, 'Please check the filters.');
      const result = await testimonials.list({ q: q.q, status: q.status, page: q.page, pageSize: PAGE_SIZE });
      if (q.page > result.pageCount) {
        const params = new URLSearchParams(Object.entries({ ...req.query, page: String(result.pageCount) }) as [string, string][]);
        return res.redirect(302, `/admin/testimonials?${params}`);
      }
      renderAdmin(res, 'testimonials/list', { title: 'Testimonials', crumbs: [{ label: 'Testimonials' }], query: q, result, back: req.originalUrl });
    },

    /** GET /admin/testimonials/new */
    newForm(_req: Request, res: Response) {
      renderForm(res, undefined);
    },

    /** POST /admin/testimonials (multipart, optional photo) */
    async create(req: Request, res: Response) {
      try {
        const form = parseForm(req);
        const created = await testimonials.create(toInput(form, form.product), uploadsOf(req).image?.buffer, actorOf(req));
        flash(req, 'success', `Added the testimonial from “${created.name}”${created.status === 'published' ? '; it is on the shop' : ' (hidden)'}.`);
        res.redirect(303, `/admin/testimonials/${created.id}`);
      } catch (err) {
        formAgain(req, res, err);
      }
    },

    /** GET /admin/testimonials/:id: the edit form, status actions and history. */
    async editForm(req: Request, res: Response) {
      renderForm(res, await testimonials.get(idOf(req)));
    },

    /** POST /admin/testimonials/:id (multipart): save; a new photo replaces the old. */
    async update(req: Request, res: Response) {
      const detail = await testimonials.get(idOf(req));
      try {
        const form = parseForm(req);
        const updated = await testimonials.update(detail.testimonial.id, toInput(form, form.product), uploadsOf(req).image?.buffer, form.removePhoto, actorOf(req));
        flash(req, 'success', `Saved the testimonial from “${updated.name}”.`);
        res.redirect(303, `/admin/testimonials/${updated.id}`);
      } catch (err) {
        formAgain(req, res, err, detail);
      }
    },

    /** POST /admin/testimonials/:id/status {status}: publish, hide, or back to pending. */
    async setStatus(req: Request, res: Response) {
      const form = parseInput(statusForm, req.body);
      const updated = await testimonials.setStatus(idOf(req), form.status, actorOf(req));
      const back = form.back?.startsWith('/admin/testimonials') ? form.back : `/admin/testimonials/${updated.id}`;
      const said = updated.status === 'published' ? 'is on the shop' : updated.status === 'hidden' ? 'is hidden' : 'is pending again';
      done(req, res, { redirect: back, message: `The testimonial from “${updated.name}” ${said}.`, json: { testimonial: toJson(updated) } });
    },

    /** POST /admin/testimonials/:id/delete (DELETE under /api/admin) */
    async remove(req: Request, res: Response) {
      const removed = await testimonials.remove(idOf(req), actorOf(req));
      done(req, res, { redirect: '/admin/testimonials', message: `Deleted the testimonial from “${removed.name}”.` });
    },

    // JSON for scripts, under /api/admin/testimonials.

    /** GET /api/admin/testimonials */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listQuery.strict(), req.query, 'Please check the query parameters.');
      const result = await testimonials.list({ q: q.q, status: q.status, page: q.page, pageSize: PAGE_SIZE });
      res.json({ items: result.rows.map((r) => ({ ...toJson({ ...r, updated_at: r.created_at }), productTitle: r.product_title })), total: result.total, totalCapped: result.totalCapped, page: result.page, pageCount: result.pageCount });
    },

    /** GET /api/admin/testimonials/:id */
    async apiGet(req: Request, res: Response) {
      const d = await testimonials.get(idOf(req));
      res.json({ testimonial: toJson(d.testimonial) });
    },

    /** POST /api/admin/testimonials (JSON) */
    async apiCreate(req: Request, res: Response) {
      const body = parseInput(testimonialJson, req.body);
      const created = await testimonials.create(toInput(body, body.productSlug), undefined, actorOf(req));
      res.status(201).json({ testimonial: toJson(created) });
    },

    /** PUT /api/admin/testimonials/:id (JSON: the whole testimonial; its photo is kept) */
    async apiUpdate(req: Request, res: Response) {
      const body = parseInput(testimonialJson, req.body);
      const updated = await testimonials.update(idOf(req), toInput(body, body.productSlug), undefined, false, actorOf(req));
      res.json({ testimonial: toJson(updated) });
    },
  };
}
