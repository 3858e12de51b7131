import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { idField, idNumber, lineText, multilineText, pathId } from '../../lib/fields.js';
import { formatINR } from '../../lib/money.js';
import { fieldErrors, parseInput } from '../../lib/validate.js';
import { LICENSE_TYPES, type ProductRow } from '../../models/products.js';
import type { CategoryModel } from '../../models/categories.js';
import { imageSrcset } from '../../services/image-service.js';
import { slugify, type ProductAdminService, type ProductInput } from '../../services/product-admin-service.js';
import { uploadsOf } from '../../routes/admin/uploads.js';
import { actorOf, done, flash, renderAdmin } from './shared.js';

const PAGE_SIZE = 50;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TAG = /^[\p{L}\p{N}][\p{L}\p{N} -]{0,39}$/u;

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const checkbox = z.preprocess((v) => v === '1' || v === 'on' || v === 'true' || v === true, z.boolean());

/** "1,499" or "₹1499.50" → 149950 paise. */
const rupees = z
  .string({ error: 'Enter the price in rupees.' })
  .transform((s) => s.replace(/[₹,\s]/g, ''))
  .pipe(z.string().regex(/^\d{1,7}(?:\.\d{1,2})?$/, 'Enter the price in rupees, like 499 or 1,499.50.'))
  .transform((s) => Math.round(Number(s) * 100))
  .pipe(z.number().min(100, 'The price must be at least ₹1 (Razorpay takes nothing less).').max(1_000_000_00, 'The price can be at most ₹10,00,000.'));

const tagList = z
  .string()
  .default('')
  .transform((s) => [...new Set(s.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))])
  .pipe(z.array(z.string().regex(TAG, 'Tags are words of letters, digits, spaces or hyphens, each at most 40 characters, separated by commas.')).max(12, 'At most 12 tags.'));

/** The product form as an HTML form posts it (text fields, rupees, comma-separated tags). */
const productForm = z.object({
  title: lineText('Title', 160).pipe(z.string().min(1, 'Give the product a title.')),
  slug: z.preprocess(blank, lineText('Address', 120).pipe(z.string().regex(SLUG, 'Use lower-case letters, digits and hyphens, like my-product.')).optional()),
  summary: lineText('Summary', 300).default(''),
  description: multilineText('Description', 20_000).default(''),
  categoryId: idField('Category'),
  price: rupees,
  discount: z.preprocess(blank, z.coerce.number({ error: 'Discount must be a number.' }).int('Discount is a whole percent.').min(0, 'Discount is 0 to 90%.').max(90, 'Discount is 0 to 90%.').default(0)),
  rating: z.preprocess(blank, z.coerce.number({ error: 'Rating must be a number.' }).min(0, 'Rating is 0 to 5.').max(5, 'Rating is 0 to 5.').multipleOf(0.1, 'Rating has one decimal at most.').default(0)),
  tags: tagList,
  licenseType: z.enum(LICENSE_TYPES, { error: 'Choose personal, commercial or extended.' }),
  visible: checkbox,
  featured: checkbox,
  _csrf: z.string().optional(),
});

/** The same product as scripts send it to /api/admin/products (JSON, paise, a tag array). */
const productJson = z
  .object({
    title: lineText('title', 160).pipe(z.string().min(1, 'title is required.')),
    slug: lineText('slug', 120).pipe(z.string().regex(SLUG, 'slug: lower-case letters, digits and hyphens.')).optional(),
    summary: lineText('summary', 300).default(''),
    description: multilineText('description', 20_000).default(''),
    categoryId: idNumber('categoryId'),
    pricePaise: z.number().int('pricePaise is whole paise.').min(100, 'pricePaise is at least 100.').max(1_000_000_00, 'pricePaise is at most 100000000.'),
    discountPercent: z.number().int().min(0).max(90).default(0),
    rating: z.number().min(0).max(5).default(0),
    tags: z.array(z.string().trim().toLowerCase().regex(TAG, 'tags: words of at most 40 characters.')).max(12).default([]),
    licenseType: z.enum(LICENSE_TYPES),
    visible: z.boolean().default(false),
    featured: z.boolean().default(false),
  })
  .strict();

const listQuery = z.object({
  q: z.preprocess(blank, lineText('Search', 100).optional()),
  category: z.preprocess(blank, idField('Category').optional()),
  status: z.preprocess(blank, z.enum(['visible', 'hidden', 'archived'], { error: 'Status is visible, hidden or archived.' }).optional()),
  sort: z.preprocess(blank, z.enum(['newest', 'updated', 'title', 'price-asc', 'price-desc'], { error: 'Unknown sort.' }).default('newest')),
  page: z.preprocess(blank, z.coerce.number({ error: 'Page must be a number.' }).int().min(1).max(10_000, 'Page is too large.').default(1)),
});

const bulkForm = z.object({
  ids: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(idField('Product')).min(1, 'Tick at least one product.').max(200, 'At most 200 products at once.')),
  action: z.enum(['show', 'hide'], { error: 'Choose Show or Hide.' }),
  _csrf: z.string().optional(),
  back: z.string().optional(),
});

/** The form's values as the page shows them again (what was typed, or the product's). */
function formValues(p?: ProductRow): Record<string, string | boolean> {
  if (!p) return { title: '', slug: '', summary: '', description: '', categoryId: '', price: '', discount: '0', rating: '0', tags: '', licenseType: 'personal', visible: true, featured: false };
  return {
    title: p.title,
    slug: p.slug,
    summary: p.summary,
    description: p.description,
    categoryId: String(p.category_id),
    price: (p.price_paise / 100).toFixed(p.price_paise % 100 ? 2 : 0),
    discount: String(p.discount_percent),
    rating: String(Number(p.rating)),
    tags: p.tags.join(', '),
    licenseType: p.license_type,
    visible: p.is_visible,
    featured: p.is_featured,
  };
}

function toInput(form: z.output<typeof productForm>): ProductInput {
  return {
    title: form.title,
    slug: form.slug ?? (slugify(form.title) || `product-${Date.now().toString(36)}`),
    summary: form.summary,
    description: form.description,
    categoryId: form.categoryId,
    pricePaise: form.price,
    discountPercent: form.discount,
    rating: form.rating,
    tags: form.tags,
    licenseType: form.licenseType,
    visible: form.visible,
    featured: form.featured,
  };
}

/** A product as JSON for scripts. */
const toJson = (p: ProductRow) => ({
  id: p.id,
  slug: p.slug,
  title: p.title,
  summary: p.summary,
  description: p.description,
  categoryId: p.category_id,
  pricePaise: p.price_paise,
  discountPercent: p.discount_percent,
  salePricePaise: p.sale_price_paise,
  rating: Number(p.rating),
  tags: p.tags,
  licenseType: p.license_type,
  visible: p.is_visible,
  featured: p.is_featured,
  archived: p.archived_at !== null,
  image: p.image_url,
  file: p.file_key ? { name: p.file_name, size: p.file_size } : null,
  updatedAt: p.updated_at,
});

export function createProductAdminController(deps: { products: ProductAdminService; categories: CategoryModel }) {
  const { products } = deps;

  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no product with that number.');
    return id;
  };

  /** Shows the form again with each problem beside its field and what was typed kept. */
  async function formAgain(req: Request, res: Response, err: unknown, product?: ProductRow) {
    if (!(err instanceof ValidationError) || err.fields === undefined) throw err;
    const uploads = uploadsOf(req);
    const fields = { ...err.fields };
    // Files are not kept after a refusal: say so where they were chosen.
    if (uploads.image && !fields.image) fields.image = 'Choose the image again (files are not kept when the form has a problem).';
    if (uploads.file && !fields.file) fields.file = 'Choose the file again (files are not kept when the form has a problem).';
    res.status(400);
    await renderForm(req, res, product, { values: { ...formValues(product), ...(req.body as Record<string, string>), visible: req.body?.visible === '1', featured: req.body?.featured === '1' }, errors: fields, error: err.message });
  }

  async function renderForm(_req: Request, res: Response, product: ProductRow | undefined, extra: { values?: Record<string, unknown>; errors?: Record<string, string>; error?: string } = {}) {
    const categories = await deps.categories.listWithCounts();
    const detail = product ? await products.get(product.id) : undefined;
    renderAdmin(res, 'products/form', {
      title: product ? `Edit “${product.title}”` : 'Add a product',
      crumbs: [{ label: 'Products', href: '/admin/products' }, { label: product ? product.title : 'Add a product' }],
      product,
      inOrders: detail?.inOrders ?? false,
      audit: detail?.history ?? [],
      categories,
      licenseTypes: LICENSE_TYPES,
      values: extra.values ?? formValues(product),
      errors: extra.errors ?? {},
      error: extra.error,
      imageSrcset: product?.image_key ? imageSrcset(product.image_key) : undefined,
      formatINR,
    });
  }

  return {
    /** GET /admin/products: search, filters, sort, pages, bulk show/hide. */
    async list(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query, 'Please check the filters.');
      const result = await products.list({ q: q.q, categoryId: q.category, status: q.status, sort: q.sort, page: q.page, pageSize: PAGE_SIZE });
      if (q.page > result.pageCount) {
        const params = new URLSearchParams(Object.entries({ ...req.query, page: String(result.pageCount) }) as [string, string][]);
        return res.redirect(302, `/admin/products?${params}`);
      }
      renderAdmin(res, 'products/list', { title: 'Products', crumbs: [{ label: 'Products' }], query: q, result, formatINR, back: req.originalUrl });
    },

    /** GET /admin/products/new */
    async newForm(req: Request, res: Response) {
      await renderForm(req, res, undefined);
    },

    /** POST /admin/products (multipart): add a product with its image and file. */
    async create(req: Request, res: Response) {
      const parsed = productForm.safeParse(req.body ?? {});
      if (!parsed.success) return formAgain(req, res, new ValidationError('Please check the highlighted fields.', fieldErrors(parsed.error)));
      try {
        const created = await products.create(toInput(parsed.data), uploadsOf(req), actorOf(req));
        res.locals.keepUploads = true;
        flash(req, 'success', `“${created.title}” was added${created.is_visible ? ' and is on the shop' : ' (hidden)'}.`);
        res.redirect(303, `/admin/products/${created.id}`);
      } catch (err) {
        await formAgain(req, res, err);
      }
    },

    /** GET /admin/products/:id: the edit form, with its history. */
    async editForm(req: Request, res: Response) {
      const { product } = await products.get(idOf(req));
      await renderForm(req, res, product);
    },

    /** POST /admin/products/:id (multipart): save changes; a new image or file replaces the old. */
    async update(req: Request, res: Response) {
      const { product } = await products.get(idOf(req));
      const parsed = productForm.safeParse(req.body ?? {});
      if (!parsed.success) return formAgain(req, res, new ValidationError('Please check the highlighted fields.', fieldErrors(parsed.error)), product);
      try {
        const updated = await products.update(product.id, toInput(parsed.data), uploadsOf(req), actorOf(req));
        res.locals.keepUploads = true;
        flash(req, 'success', `Saved “${updated.title}”.`);
        res.redirect(303, `/admin/products/${updated.id}`);
      } catch (err) {
        await formAgain(req, res, err, product);
      }
    },

    /** POST /admin/products/bulk: show or hide the ticked products. */
    async bulk(req: Request, res: Response) {
      const form = parseInput(bulkForm, req.body, 'Please choose products and an action.');
      const n = await products.setVisibility(form.ids, form.action === 'show', actorOf(req));
      const back = form.back?.startsWith('/admin/products') ? form.back : '/admin/products';
      done(req, res, { redirect: back, message: `${n} ${n === 1 ? 'product is' : 'products are'} now ${form.action === 'show' ? 'on the shop' : 'hidden'}.` });
    },

    /** GET /admin/products/:id/delete: what deleting would do, before it is done. */
    async confirmDelete(req: Request, res: Response) {
      const { product, inOrders } = await products.get(idOf(req));
      renderAdmin(res, 'confirm', {
        title: inOrders ? 'Archive this product?' : 'Delete this product?',
        crumbs: [{ label: 'Products', href: '/admin/products' }, { label: product.title, href: `/admin/products/${product.id}` }, { label: inOrders ? 'Archive' : 'Delete' }],
        question: inOrders ? `“${product.title}” has buyers, so it cannot be deleted. Archive it instead?` : `Delete “${product.title}” and its files for good?`,
        detail: inOrders ? 'It leaves the shop for good, and its buyers can still download it. You can restore it later.' : 'Nobody has ordered it. This cannot be undone.',
        action: `/admin/products/${product.id}/delete`,
        confirmLabel: inOrders ? 'Archive it' : 'Delete it',
        cancelHref: `/admin/products/${product.id}`,
      });
    },

    /** POST /admin/products/:id/delete */
    async remove(req: Request, res: Response) {
      const id = idOf(req);
      const { product } = await products.get(id);
      const outcome = await products.remove(id, actorOf(req));
      done(req, res, {
        redirect: outcome === 'archived' ? `/admin/products/${id}` : '/admin/products',
        message: outcome === 'archived' ? `“${product.title}” has buyers, so it was archived: off the shop, still downloadable by them.` : `“${product.title}” was deleted.`,
        json: { outcome },
      });
    },

    /** POST /admin/products/:id/restore */
    async restore(req: Request, res: Response) {
      const restored = await products.restore(idOf(req), actorOf(req));
      done(req, res, { redirect: `/admin/products/${restored.id}`, message: `“${restored.title}” is back from the archive, hidden. Tick “On the shop” to sell it again.` });
    },

    // JSON for scripts, under /api/admin/products.

    /** GET /api/admin/products */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listQuery.strict(), req.query, 'Please check the query parameters.');
      const result = await products.list({ q: q.q, categoryId: q.category, status: q.status, sort: q.sort, page: q.page, pageSize: PAGE_SIZE });
      res.json({ items: result.rows.map((r) => ({ id: r.id, slug: r.slug, title: r.title, categoryId: r.category_id, pricePaise: r.price_paise, salePricePaise: r.sale_price_paise, visible: r.is_visible, archived: r.archived_at !== null, updatedAt: r.updated_at })), total: result.total, totalCapped: result.totalCapped, page: result.page, pageCount: result.pageCount });
    },

    /** GET /api/admin/products/:id */
    async apiGet(req: Request, res: Response) {
      const { product, inOrders } = await products.get(idOf(req));
      res.json({ product: { ...toJson(product), inOrders } });
    },

    /** POST /api/admin/products (JSON; files go through the form) */
    async apiCreate(req: Request, res: Response) {
      const body = parseInput(productJson, req.body);
      const created = await products.create({ ...body, slug: body.slug ?? slugify(body.title) }, {}, actorOf(req));
      res.status(201).json({ product: toJson(created) });
    },

    /** PUT /api/admin/products/:id (JSON: the whole product; slug optional, kept when left out) */
    async apiUpdate(req: Request, res: Response) {
      const { product } = await products.get(idOf(req));
      const body = parseInput(productJson, req.body);
      // Without a slug the product keeps its address (its links stay valid).
      const updated = await products.update(product.id, { ...body, slug: body.slug ?? product.slug }, {}, actorOf(req));
      res.json({ product: toJson(updated) });
    },
  };
}
