import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { ConflictError, NotFoundError } from '../lib/errors.js';
import type { CartModel } from '../models/cart.js';
import type { OrderModel } from '../models/orders.js';
import type { CartProductRow, ProductModel } from '../models/products.js';
import { priceLines } from './pricing.js';

/**
 * The cart. Digital products are licences: a line's quantity is the number of licences (seats)
 * for that product, 1 to 10, and adding a product sets its line rather than stacking, so a
 * double click never buys two. Prices are read from the database every time; the browser only
 * ever sends product ids and quantities. Products the user already owns are refused.
 */

export const MAX_QUANTITY = 10;
export const MAX_LINES = 50;

export interface CartItemView {
  productId: number;
  slug: string;
  title: string;
  image: string | null;
  unitPrice: number;
  discountPercent: number;
  salePrice: number;
  quantity: number;
  lineTotal: number;
  licenseType: string;
}

export interface CartView {
  items: CartItemView[];
  subtotal: number;
  discount: number;
  total: number;
  currency: 'INR';
  count: number;
}

export type DropReason = 'unavailable' | 'owned';
export interface Dropped {
  productId: number;
  title?: string;
  reason: DropReason;
}

export function createCartService(deps: { db: Db; carts: CartModel; products: ProductModel; orders: OrderModel; clock: Clock }) {
  const { db, carts, products, orders, clock } = deps;

  function view(lines: { product: CartProductRow; quantity: number }[]): CartView {
    const { lines: priced, totals } = priceLines(lines);
    return {
      items: priced.map((l) => ({
        productId: l.product.id,
        slug: l.product.slug,
        title: l.product.title,
        image: l.product.image_url,
        unitPrice: l.price.unitPrice,
        discountPercent: l.price.discountPercent,
        salePrice: l.price.salePrice,
        quantity: l.quantity,
        lineTotal: l.lineTotal,
        licenseType: l.product.license_type,
      })),
      subtotal: totals.subtotal,
      discount: totals.discount,
      total: totals.total,
      currency: 'INR',
      count: totals.count,
    };
  }

  /**
   * Prices a list of (productId, quantity), dropping products that are hidden, gone or (for a
   * signed-in user) already owned, and saying which.
   */
  async function resolve(items: { productId: number; quantity: number }[], userId?: number) {
    const ids = [...new Set(items.map((i) => i.productId))];
    const [rows, owned] = await Promise.all([products.findForCart(ids), userId ? orders.ownedProductIds(userId, ids) : Promise.resolve(new Set<number>())]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const kept: { product: CartProductRow; quantity: number }[] = [];
    const dropped: Dropped[] = [];
    const seen = new Set<number>();
    for (const item of items) {
      if (seen.has(item.productId)) continue;
      seen.add(item.productId);
      const product = byId.get(item.productId);
      if (!product || !product.is_visible) dropped.push({ productId: item.productId, title: product?.title, reason: 'unavailable' });
      else if (owned.has(product.id)) dropped.push({ productId: product.id, title: product.title, reason: 'owned' });
      else kept.push({ product, quantity: item.quantity });
    }
    return { kept, dropped };
  }

  async function getCart(userId: number): Promise<CartView & { removed: Dropped[] }> {
    const kept: { product: CartProductRow; quantity: number }[] = [];
    const dropped: Dropped[] = [];
    for (const l of await carts.linesWithProducts(userId)) {
      if (!l.is_visible) dropped.push({ productId: l.product_id, title: l.title ?? undefined, reason: 'unavailable' });
      else if (l.owned) dropped.push({ productId: l.product_id, title: l.title!, reason: 'owned' });
      else {
        const product: CartProductRow = { id: l.product_id, slug: l.slug!, title: l.title!, image_url: l.image_url, price_paise: l.price_paise!, discount_percent: l.discount_percent!, license_type: l.license_type as CartProductRow['license_type'], is_visible: true };
        kept.push({ product, quantity: l.quantity });
      }
    }
    // A product hidden (or bought) since it was added leaves the cart, with a notice once.
    if (dropped.length) await carts.removeLines(userId, dropped.map((d) => d.productId));
    return { ...view(kept), removed: dropped };
  }

  return {
    getCart,

    /** The paid order through which the user owns a product, if they do. */
    ownedIn(userId: number, productId: number): Promise<number | undefined> {
      return orders.paidOrderWith(userId, productId);
    },

    /**
     * One product alone, priced like a cart line ("Buy now" checks out just this, leaving the
     * saved cart as it is). 404 if it cannot be bought, 409 if the user already owns it.
     */
    async single(userId: number, productId: number): Promise<CartView> {
      const { kept, dropped } = await resolve([{ productId, quantity: 1 }], userId);
      if (dropped[0]?.reason === 'owned') throw new ConflictError('You already own this product. Find it in My orders.', 'ALREADY_OWNED');
      if (!kept.length) throw new NotFoundError('That product is not available.');
      return view(kept);
    },

    async count(userId: number): Promise<number> {
      return carts.count(userId);
    },

    /** Adds a product (or sets its licence count). 404 unknown or hidden, 409 already owned. */
    async add(userId: number, productId: number, quantity = 1) {
      const outcome = await carts.setLineIfAllowed(userId, productId, quantity, clock.now());
      if (outcome === 'unavailable') throw new NotFoundError('That product is not available.');
      if (outcome === 'owned') throw new ConflictError('You already own this product. Find it in your downloads.', 'ALREADY_OWNED');
      return getCart(userId);
    },

    /** Removes a product; removing one that is not there is not an error. */
    async remove(userId: number, productId: number) {
      const removed = await carts.removeLines(userId, [productId]);
      if (removed) await carts.recordEvents([{ user_id: userId, product_id: productId, action: 'remove', created_at: clock.now() }]);
      return getCart(userId);
    },

    /**
     * Merges a guest cart into the user's: a union without duplicates (the larger quantity
     * wins), dropping hidden, deleted or owned products with a reason. Idempotent.
     */
    async merge(userId: number, items: { productId: number; quantity: number }[]) {
      const { kept, dropped } = await resolve(items, userId);
      if (kept.length) {
        await db.transaction(async (trx) => {
          const cartId = await carts.ensureCart(userId, trx);
          for (const k of kept) await carts.mergeLine(cartId, k.product.id, k.quantity, trx);
          await carts.recordEvents(kept.map((k) => ({ user_id: userId, product_id: k.product.id, action: 'merge' as const, quantity: k.quantity, created_at: clock.now() })), trx);
        });
      }
      const cart = await getCart(userId);
      return { ...cart, dropped };
    },

    /** Current prices for a guest's cart (kept in the browser); nothing is stored. */
    async quote(items: { productId: number; quantity: number }[]) {
      const { kept, dropped } = await resolve(items);
      return { ...view(kept), dropped };
    },

    /** A guest's add or remove, for the abandonment charts. */
    async trackGuest(anonymousId: string, action: 'add' | 'remove', productId: number, quantity?: number) {
      const [product] = await products.findForCart([productId]);
      if (!product) throw new NotFoundError('That product is not available.');
      await carts.recordEvents([{ anonymous_id: anonymousId, product_id: productId, action, quantity: quantity ?? null, created_at: clock.now() }]);
    },
  };
}

export type CartService = ReturnType<typeof createCartService>;
