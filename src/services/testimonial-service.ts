import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { isUniqueViolation } from '../lib/db-errors.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { PageCache } from '../lib/page-cache.js';
import type { AuditEntity } from '../models/audit-log.js';
import type { OrderModel, OrderRow } from '../models/orders.js';
import type { ShopTestimonial, TestimonialFilter, TestimonialModel, TestimonialRow, TestimonialStatus } from '../models/testimonials.js';
import type { Actor, AuditService } from './audit-service.js';
import { imageUrl, type ImageService } from './image-service.js';

/** What the admin form gives, validated (controllers/admin/testimonials.ts). */
export interface TestimonialInput {
  name: string;
  role: string;
  quote: string;
  rating: number;
  /** The linked product's address, or undefined for none. */
  productSlug?: string;
  featured: boolean;
  published: boolean;
  position: number;
}

/** What a buyer's form gives, validated (controllers/testimonials.ts). */
export interface BuyerTestimonialInput {
  name: string;
  role: string;
  quote: string;
  rating: number;
  /** One of the order's products; undefined for the store in general (or the order's only product). */
  productId?: number;
}

/** A testimonial as a shop card shows it. */
export interface TestimonialCard {
  id: number;
  name: string;
  role: string;
  quote: string;
  rating: number;
  photo: string | null;
  product: { slug: string; title: string } | null;
}

/** How many the home page and a product page show. */
export const HOME_TESTIMONIALS = 6;
export const PRODUCT_TESTIMONIALS = 6;
/** Lists stop counting here ("10,000+"). */
export const TESTIMONIAL_COUNT_CAP = 10_000;

// The audit log's entity type list (models/audit-log.ts) does not name testimonials yet; its column is text.
const ENTITY = 'testimonial' as string as AuditEntity;
const AUDITED = ['name', 'role', 'quote', 'rating', 'photo_key', 'product_id', 'status', 'is_featured', 'position'] as const;
const audited = (row: Partial<TestimonialRow>) => Object.fromEntries(AUDITED.filter((k) => k in row).map((k) => [k, row[k]]));

const toCard = (t: ShopTestimonial): TestimonialCard => ({
  id: t.id,
  name: t.name,
  role: t.role,
  quote: t.quote,
  rating: t.rating,
  photo: t.photo_key ? imageUrl(t.photo_key, 400) : null,
  product: t.product_slug && t.product_title ? { slug: t.product_slug, title: t.product_title } : null,
});

/**
 * Testimonials: buyers leave one per paid order (pending until an admin publishes it); admins
 * add, edit, publish, hide, feature, order and delete them, each change audited in its
 * transaction. The guest page cache is cleared after each commit (other web processes hear the
 * table's catalog_changed notice), so a published quote shows at once and a hidden one goes.
 */
export function createTestimonialService(deps: { db: Db; testimonials: TestimonialModel; orders: OrderModel; audit: AuditService; images: ImageService; pageCache: PageCache; clock: Clock }) {
  const { db, testimonials, audit, images } = deps;
  const notFound = () => new NotFoundError('There is no testimonial with that number.');
  const changed = () => deps.pageCache.clear();

  async function productFor(input: TestimonialInput): Promise<number | null> {
    if (!input.productSlug) return null;
    const p = await testimonials.productBySlug(input.productSlug);
    if (!p) throw new ValidationError('Please check the highlighted fields.', { product: 'No product has this address. Copy it from the product’s link, like monsoon-field-notes.' });
    return p.id;
  }

  /** The buyer's own paid order and its products; anyone else's order is 404, an unpaid one 403. */
  async function buyersOrder(userId: number, orderId: number): Promise<{ order: OrderRow; products: { id: number; title: string }[] }> {
    const order = await deps.orders.findById(orderId);
    if (!order || order.user_id !== userId) throw new NotFoundError('We could not find that order.');
    if (order.status !== 'paid') throw new ForbiddenError('You can leave a testimonial once the order is paid.', 'ORDER_NOT_PAID');
    const items = await deps.orders.items(order.id);
    const products = [...new Map(items.map((i) => [i.product_id, { id: i.product_id, title: i.title }])).values()];
    return { order, products };
  }

  return {
    /** The home page's cards. */
    featured: async () => (await testimonials.featured(HOME_TESTIMONIALS)).map(toCard),

    /** A product page's cards (by its address, so the page need not look it up first). */
    forProduct: async (slug: string) => (await testimonials.forProduct(slug, PRODUCT_TESTIMONIALS)).map(toCard),

    // The buyer's side.

    /** What the order's testimonial page shows: the order's products, and the one left already. */
    async buyerPage(userId: number, orderId: number) {
      const { order, products } = await buyersOrder(userId, orderId);
      const existing = await testimonials.findByOrder(order.id);
      return { order, products, existing };
    },

    /** Leaves the order's testimonial (one per order), pending until an admin publishes it. */
    async submit(userId: number, orderId: number, input: BuyerTestimonialInput): Promise<TestimonialRow> {
      const { order, products } = await buyersOrder(userId, orderId);
      let productId: number | null = null;
      if (input.productId !== undefined) {
        if (!products.some((p) => p.id === input.productId)) throw new ValidationError('Please check the highlighted fields.', { productId: 'Choose one of the products in this order.' });
        productId = input.productId;
      } else if (products.length === 1) productId = products[0]!.id;
      const duplicate = () => new ConflictError('You already left a testimonial for this order. Thank you!', 'TESTIMONIAL_EXISTS');
      if (await testimonials.findByOrder(order.id)) throw duplicate();
      try {
        return await testimonials.insert({ name: input.name, role: input.role, quote: input.quote, rating: input.rating, product_id: productId, user_id: userId, order_id: order.id, status: 'pending', created_at: deps.clock.now() });
      } catch (err) {
        // Two submissions at once: the unique index lets one through.
        if (isUniqueViolation(err)) throw duplicate();
        throw err;
      }
    },

    // The admin's side.

    async list(f: TestimonialFilter & { page: number; pageSize: number }) {
      const cap = TESTIMONIAL_COUNT_CAP + 1;
      const [rows, counted, pending] = await Promise.all([
        testimonials.adminList(f, f.pageSize, (f.page - 1) * f.pageSize),
        testimonials.adminCount(f, cap),
        testimonials.adminCount({ status: 'pending' }, cap),
      ]);
      const total = Math.min(counted, TESTIMONIAL_COUNT_CAP);
      return {
        rows: rows.map((r) => ({ ...r, photo: r.photo_key ? imageUrl(r.photo_key, 400) : null })),
        total,
        totalCapped: counted > TESTIMONIAL_COUNT_CAP,
        pending: Math.min(pending, TESTIMONIAL_COUNT_CAP),
        page: f.page,
        pageCount: Math.max(1, Math.ceil(total / f.pageSize)),
      };
    },

    async get(id: number) {
      const testimonial = await testimonials.findById(id);
      if (!testimonial) throw notFound();
      const [product, history] = await Promise.all([testimonial.product_id ? testimonials.productById(testimonial.product_id) : undefined, audit.forEntity(ENTITY, id)]);
      return { testimonial, product, history, photo: testimonial.photo_key ? imageUrl(testimonial.photo_key, 400) : null };
    },

    async create(input: TestimonialInput, photo: Buffer | undefined, actor: Actor): Promise<TestimonialRow> {
      const productId = await productFor(input);
      const stored = photo ? await images.store(photo) : undefined;
      try {
        const created = await db.transaction(async (trx) => {
          const row = await testimonials.insert(
            {
              name: input.name,
              role: input.role,
              quote: input.quote,
              rating: input.rating,
              product_id: productId,
              photo_key: stored?.imageKey ?? null,
              status: input.published ? 'published' : 'hidden',
              published_at: input.published ? deps.clock.now() : null,
              is_featured: input.featured,
              position: input.position,
              created_at: deps.clock.now(),
            },
            trx,
          );
          await audit.record(trx, actor, { action: 'testimonial.create', entity: ENTITY, id: row.id, summary: `Added the testimonial from “${row.name}”`, after: audited(row) });
          return row;
        });
        changed();
        return created;
      } catch (err) {
        if (stored) await images.remove(stored.imageKey);
        throw err;
      }
    },

    /**
     * Saves the form. Unticking "published" hides a published testimonial and leaves a pending
     * one pending. A new photo replaces the old; `removePhoto` drops it.
     */
    async update(id: number, input: TestimonialInput, photo: Buffer | undefined, removePhoto: boolean, actor: Actor): Promise<TestimonialRow> {
      const productId = await productFor(input);
      const stored = photo ? await images.store(photo) : undefined;
      let before: TestimonialRow;
      let after: TestimonialRow;
      try {
        ({ before, after } = await db.transaction(async (trx) => {
          const current = await testimonials.lockById(id, trx);
          if (!current) throw notFound();
          const status: TestimonialStatus = input.published ? 'published' : current.status === 'pending' ? 'pending' : 'hidden';
          const updated = await testimonials.update(
            id,
            {
              name: input.name,
              role: input.role,
              quote: input.quote,
              rating: input.rating,
              product_id: productId,
              status,
              published_at: status === 'published' ? (current.published_at ?? deps.clock.now()) : current.published_at,
              is_featured: input.featured,
              position: input.position,
              ...(stored ? { photo_key: stored.imageKey } : removePhoto ? { photo_key: null } : {}),
            },
            trx,
          );
          const what = current.status !== updated.status ? ` (${updated.status === 'published' ? 'published' : updated.status === 'hidden' ? 'hidden' : updated.status})` : '';
          await audit.record(trx, actor, { action: 'testimonial.update', entity: ENTITY, id, summary: `Edited the testimonial from “${updated.name}”${what}`, before: audited(current), after: audited(updated) });
          return { before: current, after: updated };
        }));
      } catch (err) {
        if (stored) await images.remove(stored.imageKey);
        throw err;
      }
      changed();
      // The old photo goes once the change that dropped it has committed.
      if (before.photo_key && before.photo_key !== after.photo_key) await images.remove(before.photo_key);
      return after;
    },

    /** Publishes, hides or sends back to pending, from the list or the edit page. */
    async setStatus(id: number, status: TestimonialStatus, actor: Actor): Promise<TestimonialRow> {
      const updated = await db.transaction(async (trx) => {
        const current = await testimonials.lockById(id, trx);
        if (!current) throw notFound();
        if (current.status === status) return current;
        const row = await testimonials.update(id, { status, published_at: status === 'published' ? (current.published_at ?? deps.clock.now()) : current.published_at }, trx);
        const verb = status === 'published' ? 'Published' : status === 'hidden' ? 'Hid' : 'Sent back to pending';
        await audit.record(trx, actor, { action: `testimonial.${status === 'published' ? 'publish' : status === 'hidden' ? 'hide' : 'unpublish'}`, entity: ENTITY, id, summary: `${verb} the testimonial from “${current.name}”`, before: { status: current.status }, after: { status } });
        return row;
      });
      changed();
      return updated;
    },

    async remove(id: number, actor: Actor): Promise<TestimonialRow> {
      const removed = await db.transaction(async (trx) => {
        const current = await testimonials.lockById(id, trx);
        if (!current) throw notFound();
        await testimonials.delete(id, trx);
        await audit.record(trx, actor, { action: 'testimonial.delete', entity: ENTITY, id, summary: `Deleted the testimonial from “${current.name}”`, before: audited(current), after: Object.fromEntries(AUDITED.map((k) => [k, null])) });
        return current;
      });
      changed();
      if (removed.photo_key) await images.remove(removed.photo_key);
      return removed;
    },
  };
}

export type TestimonialService = ReturnType<typeof createTestimonialService>;
