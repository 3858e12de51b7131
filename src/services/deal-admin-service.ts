import type { Db } from '../db/knex.js';
import { isUniqueViolation } from '../lib/db-errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { PageCache } from '../lib/page-cache.js';
import type { OfferFields, OfferModel, OfferRow, OfferStats } from '../models/offers.js';
import type { Actor, AuditService } from './audit-service.js';
import type { DealService } from './deal-service.js';
import { MAX_DB_ID } from '../lib/fields.js';

/** The most products an offer names one by one (more belong in a category). */
export const MAX_SCOPE_PRODUCTS = 500;

/**
 * The admin's deals: festive and anniversary offers (automatic, in a window) and coupon codes.
 * Rules kept here, whatever the form sends:
 * - A coupon has a code, unique whatever its case; an automatic offer has none.
 * - A minimum cart and use limits belong to coupons only. An automatic offer prices product
 *   cards and pages, where there is no cart and no customer yet, so its price must not depend on
 *   them (Shopify's automatic discounts have no usage limits for the same reason).
 * - An offer some order carried is never deleted (receipts and the per-offer report point at
 *   it): it is switched off instead.
 * Every change is audited in its transaction, and clears the page and price caches after it.
 */

export interface OfferInput {
  name: string;
  kind: 'automatic' | 'coupon';
  code?: string;
  discountType: 'percent' | 'fixed';
  amount: number;
  scope: 'all' | 'categories' | 'products';
  categoryIds: number[];
  productIds: number[];
  startsAt: Date;
  endsAt: Date;
  minCartPaise?: number;
  maxUses?: number;
  maxUsesPerCustomer?: number;
  bannerText?: string;
  isActive: boolean;
}

const audited = (r: Partial<OfferFields> & { category_ids?: number[]; product_ids?: number[] }) => ({
  name: r.name,
  kind: r.kind,
  code: r.code,
  discount_type: r.discount_type,
  amount: r.amount,
  scope: r.scope,
  category_ids: r.category_ids,
  product_ids: r.product_ids,
  starts_at: r.starts_at,
  ends_at: r.ends_at,
  min_cart_paise: r.min_cart_paise,
  max_uses: r.max_uses,
  max_uses_per_customer: r.max_uses_per_customer,
  banner_text: r.banner_text,
  is_active: r.is_active,
});

export type OfferStatus = 'live' | 'scheduled' | 'ended' | 'off';

export function statusOf(o: Pick<OfferRow, 'is_active' | 'starts_at' | 'ends_at'>, now: Date): OfferStatus {
  if (!o.is_active) return 'off';
  if (now < new Date(o.starts_at)) return 'scheduled';
  if (now >= new Date(o.ends_at)) return 'ended';
  return 'live';
}

export function createDealAdminService(deps: { db: Db; offers: OfferModel; deals: DealService; audit: AuditService; pageCache: PageCache; clock: { now(): Date } }) {
  const { db, offers, audit } = deps;
  const changed = () => {
    deps.deals.clearCache();
    deps.pageCache.clear();
  };

  function toFields(input: OfferInput): OfferFields {
    const errors: Record<string, string> = {};
    if (input.kind === 'coupon' && !input.code) errors.code = 'A coupon needs a code.';
    if (input.endsAt <= input.startsAt) errors.endsAt = 'The end must be after the start.';
    if (input.discountType === 'percent' && (input.amount < 1 || input.amount > 90)) errors.amount = 'A percentage is 1 to 90.';
    if (input.scope === 'categories' && input.categoryIds.length === 0) errors.categoryIds = 'Choose at least one category.';
    if (input.scope === 'products' && input.productIds.length === 0) errors.productIds = 'Name at least one product.';
    if (input.kind === 'automatic') {
      const onlyCoupons = 'Only coupons can have this: an automatic offer prices product pages, where there is no cart or customer yet.';
      if (input.minCartPaise !== undefined) errors.minCart = onlyCoupons;
      if (input.maxUses !== undefined) errors.maxUses = onlyCoupons;
      if (input.maxUsesPerCustomer !== undefined) errors.maxUsesPerCustomer = onlyCoupons;
    }
    if (Object.keys(errors).length) throw new ValidationError('Please check the highlighted fields.', errors);
    return {
      name: input.name,
      kind: input.kind,
      code: input.kind === 'coupon' ? input.code!.toUpperCase() : null,
      discount_type: input.discountType,
      amount: input.amount,
      scope: input.scope,
      starts_at: input.startsAt,
      ends_at: input.endsAt,
      min_cart_paise: input.minCartPaise ?? null,
      max_uses: input.maxUses ?? null,
      max_uses_per_customer: input.maxUsesPerCustomer ?? null,
      banner_text: input.bannerText || null,
      is_active: input.isActive,
    };
  }

  const scopeOf = (input: OfferInput) => ({
    categoryIds: input.scope === 'categories' ? [...new Set(input.categoryIds)] : [],
    productIds: input.scope === 'products' ? [...new Set(input.productIds)] : [],
  });

  const codeTaken = (err: unknown) => (isUniqueViolation(err, 'offers_code_unique') ? new ValidationError('Please check the highlighted fields.', { code: 'Another offer already has this code.' }) : err);

  return {
    /**
     * Turns what the admin typed for "some products" (ids or addresses, comma or line separated)
     * into ids; names the ones not found.
     */
    async resolveProducts(text: string): Promise<{ ids: number[]; unknown: string[]; tooMany?: number }> {
      const refs = [...new Set(text.split(/[\s,]+/).map((t) => t.trim().replace(/^\/?products\//, '')).filter(Boolean))];
      if (refs.length > MAX_SCOPE_PRODUCTS) return { ids: [], unknown: [], tooMany: MAX_SCOPE_PRODUCTS };
      const asId = (r: string) => (/^\d{1,10}$/.test(r) && Number(r) <= MAX_DB_ID ? Number(r) : undefined);
      const found = await offers.productsNamed({ ids: refs.map(asId).filter((n): n is number => n !== undefined), slugs: refs });
      // An address wins over an id: a product whose address is "2025" is that product, not #2025.
      const ids: number[] = [];
      const unknown: string[] = [];
      for (const r of refs) {
        const p = found.find((f) => f.slug === r) ?? found.find((f) => f.id === asId(r));
        if (p) ids.push(p.id);
        else unknown.push(r);
      }
      return { ids: [...new Set(ids)], unknown };
    },

    missingCategories: (ids: number[]) => offers.missingCategories(ids),

    /** The products of a scope, as the form shows them again ("slug" per line). */
    async productList(ids: number[]): Promise<string> {
      return (await offers.productsNamed({ ids, slugs: [] })).map((p) => p.slug).join('\n');
    },

    /** The offers, newest window first, with uses, revenue and status. */
    async list(page: number, pageSize = 50): Promise<{ rows: (OfferRow & { status: OfferStatus; stats?: OfferStats })[]; hasMore: boolean }> {
      const rows = await offers.list(pageSize + 1, (page - 1) * pageSize);
      const shown = rows.slice(0, pageSize);
      const stats = await offers.stats(shown.map((r) => r.id));
      const now = deps.clock.now();
      return { rows: shown.map((r) => ({ ...r, status: statusOf(r, now), stats: stats.get(r.id) })), hasMore: rows.length > pageSize };
    },

    async get(id: number) {
      const offer = await offers.findById(id);
      if (!offer) throw new NotFoundError('There is no such offer.');
      const [stats, history] = await Promise.all([offers.stats([id]), audit.forEntity('offer', id)]);
      return { offer, status: statusOf(offer, deps.clock.now()), stats: stats.get(id), history };
    },

    async create(input: OfferInput, actor: Actor): Promise<OfferRow> {
      const fields = toFields(input);
      const scope = scopeOf(input);
      try {
        const id = await db.transaction(async (trx) => {
          const newId = await offers.insert(fields, trx);
          await offers.setScope(newId, scope.categoryIds, scope.productIds, trx);
          await audit.record(trx, actor, { action: 'offer.create', entity: 'offer', id: newId, summary: `Added the offer “${fields.name}”`, after: audited({ ...fields, category_ids: scope.categoryIds, product_ids: scope.productIds }) });
          return newId;
        });
        changed();
        return (await offers.findById(id))!;
      } catch (err) {
        throw codeTaken(err);
      }
    },

    async update(id: number, input: OfferInput, actor: Actor): Promise<OfferRow> {
      const fields = toFields(input);
      const scope = scopeOf(input);
      try {
        await db.transaction(async (trx) => {
          const before = await offers.findById(id, trx);
          if (!before) throw new NotFoundError('There is no such offer.');
          await offers.update(id, fields, trx);
          await offers.setScope(id, scope.categoryIds, scope.productIds, trx);
          await audit.record(trx, actor, { action: 'offer.update', entity: 'offer', id, summary: `Changed the offer “${fields.name}”`, before: audited(before), after: audited({ ...fields, category_ids: scope.categoryIds, product_ids: scope.productIds }) });
        });
      } catch (err) {
        throw codeTaken(err);
      }
      changed();
      return (await offers.findById(id))!;
    },

    /** Switches an offer on or off at once (its window unchanged). */
    async setActive(id: number, isActive: boolean, actor: Actor): Promise<OfferRow> {
      await db.transaction(async (trx) => {
        const before = await offers.findById(id, trx);
        if (!before) throw new NotFoundError('There is no such offer.');
        await offers.update(id, { is_active: isActive }, trx);
        await audit.record(trx, actor, { action: isActive ? 'offer.on' : 'offer.off', entity: 'offer', id, summary: `${isActive ? 'Switched on' : 'Switched off'} the offer “${before.name}”`, before: { is_active: before.is_active }, after: { is_active: isActive } });
      });
      changed();
      return (await offers.findById(id))!;
    },

    /** Deletes an offer no order ever carried; 409 for one that priced an order (switch it off instead). */
    async remove(id: number, actor: Actor): Promise<void> {
      await db.transaction(async (trx) => {
        const before = await offers.findById(id, trx);
        if (!before) throw new NotFoundError('There is no such offer.');
        if (await offers.everUsed(id, trx)) throw new ConflictError('Orders carry this offer, so it stays for their receipts and the report. Switch it off instead.', 'OFFER_USED');
        await offers.remove(id, trx).catch((err: unknown) => {
          // An order took it between the check and the delete (it holds a reference now).
          if ((err as { code?: string }).code === '23503') throw new ConflictError('An order just used this offer, so it stays. Switch it off instead.', 'OFFER_USED');
          throw err;
        });
        await audit.record(trx, actor, { action: 'offer.delete', entity: 'offer', id, summary: `Deleted the offer “${before.name}”`, before: audited(before) });
      });
      changed();
    },
  };
}

export type DealAdminService = ReturnType<typeof createDealAdminService>;
