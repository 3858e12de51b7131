import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { lineText, MAX_DB_ID, pathId } from '../../lib/fields.js';
import { parseIstLocal, toIstLocal } from '../../lib/india-time.js';
import { parseInput } from '../../lib/validate.js';
import type { CatalogService } from '../../services/catalog-service.js';
import type { DealAdminService, OfferInput } from '../../services/deal-admin-service.js';
import { actorOf, done, renderAdmin } from './shared.js';
import type { OfferRow } from '../../models/offers.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const whole = (label: string, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.replace(/[,\s₹]/g, '') : v),
    z.coerce.number({ error: `${label} must be a number.` }).int(`${label} must be a whole number.`).min(1, `${label} must be at least 1.`).max(max, `${label} is too large.`),
  );
const rupees = (label: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.replace(/[,\s₹]/g, '') : v),
    z.coerce
      .number({ error: `${label} must be an amount in rupees.` })
      .positive(`${label} must be more than ₹0.`)
      .max(10_00_000, `${label} can be at most ₹10,00,000.`)
      .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, `${label} can have at most two decimals.`)
      .transform((n) => Math.round(n * 100)),
  );
const istTime = (label: string) =>
  z.string({ error: `Choose the ${label}.` }).transform((v, ctx) => {
    const at = parseIstLocal(v);
    if (!at) {
      ctx.addIssue({ code: 'custom', message: `Choose the ${label} (date and time, India time).` });
      return z.NEVER;
    }
    return at;
  });

const offerForm = z.object({
  name: lineText('Name', 80).pipe(z.string().min(1, 'Give the offer a name.')),
  kind: z.enum(['automatic', 'coupon'], { error: 'Choose automatic or coupon.' }),
  code: z.preprocess(blank, z.string().trim().max(40, 'Codes are at most 40 characters.').regex(/^[A-Za-z0-9_-]+$/, 'Codes are letters, digits, - and _ only.').optional()),
  discountType: z.enum(['percent', 'fixed'], { error: 'Choose percent or amount off.' }),
  amount: z.string({ error: 'Enter how much off.' }),
  scope: z.enum(['all', 'categories', 'products'], { error: 'Choose what it applies to.' }),
  categoryIds: z.preprocess(list, z.array(z.coerce.number({ error: 'Choose categories from the list.' }).int('Choose categories from the list.').positive('Choose categories from the list.').max(MAX_DB_ID, 'Choose categories from the list.')).max(200, 'At most 200 categories.')),
  products: z.preprocess((v) => (v === undefined ? '' : v), z.string().max(20_000, 'Too many products listed.')),
  startsAt: istTime('start'),
  endsAt: istTime('end'),
  minCart: z.preprocess(blank, rupees('The minimum cart').optional()),
  maxUses: z.preprocess(blank, whole('Total uses', 10_000_000).optional()),
  maxUsesPerCustomer: z.preprocess(blank, whole('Uses per customer', 1000).optional()),
  bannerText: z.preprocess(blank, lineText('Banner text', 140).optional()),
  isActive: z.preprocess((v) => v === 'on' || v === '1' || v === 'true' || v === true, z.boolean()),
  _csrf: z.string().optional(),
});

const activeForm = z.object({ isActive: z.enum(['1', '0'], { error: 'On or off?' }), _csrf: z.string().optional() });

/** A form as it is shown again: strings as typed. */
type Values = Record<string, unknown>;

function valuesOf(o: OfferRow, products: string): Values {
  return {
    name: o.name,
    kind: o.kind,
    code: o.code ?? '',
    discountType: o.discount_type,
    amount: o.discount_type === 'percent' ? String(o.amount) : String(o.amount / 100),
    scope: o.scope,
    categoryIds: o.category_ids.map(String),
    products,
    startsAt: toIstLocal(new Date(o.starts_at)),
    endsAt: toIstLocal(new Date(o.ends_at)),
    minCart: o.min_cart_paise === null ? '' : String(o.min_cart_paise / 100),
    maxUses: o.max_uses ?? '',
    maxUsesPerCustomer: o.max_uses_per_customer ?? '',
    bannerText: o.banner_text ?? '',
    isActive: o.is_active,
  };
}

export function createDealAdminController(deps: { deals: DealAdminService; catalog: CatalogService; clock: { now(): Date } }) {
  const { deals } = deps;
  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no such offer.');
    return id;
  };

  /** The form's fields into what the service takes; field messages for what cannot be read. */
  async function inputOf(body: unknown): Promise<OfferInput> {
    let f: z.output<typeof offerForm>;
    try {
      f = parseInput(offerForm, body, 'Please check the highlighted fields.');
    } catch (err) {
      // "categoryIds.0" is the category boxes' one message.
      if (err instanceof ValidationError && err.fields) throw new ValidationError(err.message, Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k.split('.')[0]!, v])));
      throw err;
    }
    const errors: Record<string, string> = {};
    let amount = 0;
    if (f.discountType === 'percent') {
      const pct = whole('The percentage', 90).safeParse(f.amount);
      if (pct.success) amount = pct.data;
      else errors.amount = 'A percentage is a whole number from 1 to 90.';
    } else {
      const paise = rupees('The amount off').safeParse(f.amount);
      if (paise.success) amount = paise.data;
      else errors.amount = paise.error.issues[0]?.message ?? 'Enter the amount off in rupees.';
    }
    let productIds: number[] = [];
    if (f.scope === 'categories') {
      const missing = await deals.missingCategories(f.categoryIds);
      if (missing.length) errors.categoryIds = 'Choose categories from the list (one of them no longer exists).';
    }
    if (f.scope === 'products') {
      const found = await deals.resolveProducts(f.products);
      productIds = found.ids;
      if (found.tooMany) errors.products = `Name at most ${found.tooMany} products; for more, use categories.`;
      else if (found.unknown.length) errors.products = `No product with the id or address: ${found.unknown.slice(0, 5).join(', ')}${found.unknown.length > 5 ? '…' : ''}`;
      else if (!productIds.length) errors.products = 'Name at least one product (its id or address, one per line).';
    }
    if (Object.keys(errors).length) throw new ValidationError('Please check the highlighted fields.', errors);
    return {
      name: f.name,
      kind: f.kind,
      code: f.code,
      discountType: f.discountType,
      amount,
      scope: f.scope,
      categoryIds: f.categoryIds,
      productIds,
      startsAt: f.startsAt,
      endsAt: f.endsAt,
      minCartPaise: f.minCart,
      maxUses: f.maxUses,
      maxUsesPerCustomer: f.maxUsesPerCustomer,
      bannerText: f.bannerText,
      isActive: f.isActive,
    };
  }

  async function formPage(res: Response, page: { title: string; offer?: OfferRow; values: Values; errors?: Record<string, string>; error?: string; extra?: Record<string, unknown> }) {
    const categories = await deps.catalog.categories();
    renderAdmin(res, 'deals/form', {
      title: page.title,
      crumbs: [{ label: 'Deals', href: '/admin/deals' }, { label: page.offer ? page.offer.name : 'New offer' }],
      offer: page.offer,
      categories,
      values: page.values,
      errors: page.errors ?? {},
      error: page.error,
      audit: [],
      ...page.extra,
    });
  }

  const BLANK: Values = { name: '', kind: 'automatic', code: '', discountType: 'percent', amount: '', scope: 'all', categoryIds: [], products: '', startsAt: '', endsAt: '', minCart: '', maxUses: '', maxUsesPerCustomer: '', bannerText: '', isActive: true };
  const asValues = (body: unknown): Values => {
    const b = (body ?? {}) as Record<string, unknown>;
    return { ...BLANK, ...b, categoryIds: list(b.categoryIds).map(String), isActive: b.isActive === 'on' || b.isActive === '1' };
  };

  return {
    /** GET /admin/deals: every offer with its window, status, uses and revenue. */
    async list(req: Request, res: Response) {
      const page = Math.max(1, Math.min(1000, Number(req.query.page) || 1));
      const { rows, hasMore } = await deals.list(page);
      renderAdmin(res, 'deals/list', { title: 'Deals', crumbs: [{ label: 'Deals' }], offers: rows, page, hasMore });
    },

    /** GET /admin/deals/new */
    async newForm(_req: Request, res: Response) {
      const now = deps.clock.now();
      await formPage(res, { title: 'New offer', values: { ...BLANK, startsAt: toIstLocal(now), endsAt: toIstLocal(new Date(now.getTime() + 7 * 86_400_000)) } });
    },

    /** POST /admin/deals */
    async create(req: Request, res: Response) {
      try {
        const created = await deals.create(await inputOf(req.body), actorOf(req));
        done(req, res, { redirect: `/admin/deals/${created.id}`, message: `Added “${created.name}”.`, json: { offer: created }, status: 201 });
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        res.status(400);
        await formPage(res, { title: 'New offer', values: asValues(req.body), errors: err.fields, error: err.message });
      }
    },

    /** GET /admin/deals/:id: the offer's form, its uses and revenue, and its history. */
    async editForm(req: Request, res: Response) {
      const { offer, status, stats, history } = await deals.get(idOf(req));
      await formPage(res, { title: `Edit “${offer.name}”`, offer, values: valuesOf(offer, await deals.productList(offer.product_ids)), extra: { status, stats, audit: history } });
    },

    /** POST /admin/deals/:id */
    async update(req: Request, res: Response) {
      const id = idOf(req);
      try {
        const updated = await deals.update(id, await inputOf(req.body), actorOf(req));
        done(req, res, { redirect: `/admin/deals/${id}`, message: `Saved “${updated.name}”.`, json: { offer: updated } });
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        const { offer, status, stats, history } = await deals.get(id);
        res.status(400);
        await formPage(res, { title: `Edit “${offer.name}”`, offer, values: asValues(req.body), errors: err.fields, error: err.message, extra: { status, stats, audit: history } });
      }
    },

    /** POST /admin/deals/:id/active {isActive: 1|0}: on or off at once. */
    async setActive(req: Request, res: Response) {
      const form = parseInput(activeForm, req.body);
      const offer = await deals.setActive(idOf(req), form.isActive === '1', actorOf(req));
      done(req, res, { redirect: '/admin/deals', message: `“${offer.name}” is ${offer.is_active ? 'on' : 'off'}.`, json: { offer } });
    },

    /** POST /admin/deals/:id/delete: only for an offer no order carried. */
    async remove(req: Request, res: Response) {
      await deals.remove(idOf(req), actorOf(req));
      done(req, res, { redirect: '/admin/deals', message: 'Offer deleted.' });
    },
  };
}
