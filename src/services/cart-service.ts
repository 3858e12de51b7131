import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { ConflictError, NotFoundError } from '../lib/errors.js';
import type { CartModel } from '../models/cart.js';
import type { OrderModel } from '../models/orders.js';
import type { CartProductRow, ProductModel } from '../models/products.js';
import type { CouponError, DealService } from './deal-service.js';
import { priceLines, type Offer, type OfferBook } from './pricing.js';

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
  /** salePrice × quantity. */
  lineTotal: number;
  /** The coupon's share of this line, paise. */
  couponDiscount: number;
  licenseType: string;
  /** The automatic offer pricing this line, with its end (ISO) for "ends in …". */
  offer?: { id: number; name: string; endsAt: string };
}

/** The coupon on a cart: applied (with its saving), or kept but not applying, and why. */
export interface CartCoupon {
  code: string;
  offerId: number;
  name: string;
  applied: boolean;
  discount: number;
  message?: string;
}

export interface CartView {
  items: CartItemView[];
  subtotal: number;
  /** Product and automatic-offer savings, paise. */
  discount: number;
  /** The coupon's saving, paise. */
  couponDiscount: number;
  total: number;
  currency: 'INR';
  count: number;
  coupon?: CartCoupon;
  /** A code the cart carried that can no longer be used (expired, used up…), said once. */
  couponDropped?: { code: string; reason: string; message: string };
}

export type DropReason = 'unavailable' | 'owned';
export interface Dropped {
  productId: number;
  title?: string;
  reason: DropReason;
}

export function createCartService(deps: { db: Db; carts: CartModel; products: ProductModel; orders: OrderModel; deals: DealService; clock: Clock }) {
  const { db, carts, products, orders, deals, clock } = deps;

  /** Prices lines with the offers live now and the coupon, through the one pricing function. */
  function view(lines: { product: CartProductRow; quantity: number }[], book: OfferBook, coupon?: Offer): CartView {
    const { lines: priced, totals, coupon: result } = priceLines(lines, book, coupon);
    let cartCoupon: CartCoupon | undefined;
    if (result) {
      const refused = deals.refusalError(result);
      cartCoupon = { code: result.offer.code!, offerId: result.offer.id, name: result.offer.name, applied: !refused, discount: totals.couponDiscount, ...(refused ? { message: refused.message } : {}) };
    }
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
        couponDiscount: l.couponDiscount,
        licenseType: l.product.license_type,
        ...(l.price.offer ? { offer: { id: l.price.offer.id, name: l.price.offer.name, endsAt: l.price.offer.endsAt.toISOString() } } : {}),
      })),
      subtotal: totals.subtotal,
      discount: totals.discount,
      couponDiscount: totals.couponDiscount,
      total: totals.total,
      currency: 'INR',
      count: totals.count,
      ...(cartCoupon ? { coupon: cartCoupon } : {}),
    };
  }

  /** The cart's coupon if it can still be used; a code that cannot (expired, used up) is reported. */
  async function couponOf(code: string | null | undefined, userId: number | undefined): Promise<{ offer?: Offer; dropped?: CouponError }> {
    const found = await deals.couponFor(code, userId);
    return { offer: found.offer, dropped: found.error };
  }

  async function priced(lines: { product: CartProductRow; quantity: number }[], code: string | null | undefined, userId: number | undefined): Promise<CartView> {
    const [book, coupon] = await Promise.all([deals.book(), couponOf(code, userId)]);
    const cart = view(lines, book, coupon.offer);
    if (coupon.dropped && code) cart.couponDropped = { code, reason: coupon.dropped.code, message: coupon.dropped.message };
    return cart;
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
    const [lines, code] = await Promise.all([carts.linesWithProducts(userId), carts.coupon(userId)]);
    for (const l of lines) {
      if (!l.is_visible) dropped.push({ productId: l.product_id, title: l.title ?? undefined, reason: 'unavailable' });
      else if (l.owned) dropped.push({ productId: l.product_id, title: l.title!, reason: 'owned' });
      else {
        const product: CartProductRow = { id: l.product_id, category_id: l.category_id!, slug: l.slug!, title: l.title!, image_url: l.image_url, price_paise: l.price_paise!, discount_percent: l.discount_percent!, license_type: l.license_type as CartProductRow['license_type'], is_visible: true };
        kept.push({ product, quantity: l.quantity });
      }
    }
    // A product hidden (or bought) since it was added leaves the cart, with a notice once.
    if (dropped.length) await carts.removeLines(userId, dropped.map((d) => d.productId));
    const cart = await priced(kept, code, userId);
    // A code that can no longer be used leaves the cart, with its reason shown this once.
    if (cart.couponDropped) await carts.setCoupon(userId, null);
    return { ...cart, removed: dropped };
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
      // The cart's code applies here too if it can; one that cannot is the cart's to report.
      const cart = await priced(kept, await carts.coupon(userId), userId);
      delete cart.couponDropped;
      return cart;
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
    async merge(userId: number, items: { productId: number; quantity: number }[], couponCode?: string, anonymousId?: string) {
      const { kept, dropped } = await resolve(items, userId);
      // The guest's code comes along unless the saved cart already has one; it is checked when priced.
      if (couponCode && !(await carts.coupon(userId))) await carts.setCoupon(userId, couponCode.slice(0, 40));
      if (kept.length) {
        await db.transaction(async (trx) => {
          const cartId = await carts.ensureCart(userId, trx);
          for (const k of kept) await carts.mergeLine(cartId, k.product.id, k.quantity, trx);
          await carts.recordEvents(kept.map((k) => ({ user_id: userId, anonymous_id: anonymousId ?? null, product_id: k.product.id, action: 'merge' as const, quantity: k.quantity, created_at: clock.now() })), trx);
        });
      }
      const cart = await getCart(userId);
      return { ...cart, dropped };
    },

    /** Current prices for a guest's cart (kept in the browser, with its coupon code); nothing is stored. */
    async quote(items: { productId: number; quantity: number }[], couponCode?: string) {
      const { kept, dropped } = await resolve(items);
      return { ...(await priced(kept, couponCode, undefined)), dropped };
    },

    /**
     * Applies a coupon code: to the saved cart (userId) or to a guest's lines (items), which the
     * browser then keeps with the code. A code that is unknown, switched off, outside its window,
     * used up, already used by this customer, or that fits nothing in the cart or needs a bigger
     * cart is refused with its reason (400/409) and nothing is stored.
     */
    async applyCoupon(who: { userId: number } | { items: { productId: number; quantity: number }[] }, code: string) {
      const userId = 'userId' in who ? who.userId : undefined;
      const offer = await deals.check(code, userId);
      const lines = 'userId' in who ? (await getCart(who.userId)).items.map((i) => ({ productId: i.productId, quantity: i.quantity })) : who.items;
      const { kept, dropped } = await resolve(lines, userId);
      const book = await deals.book();
      const refused = deals.refusalError(priceLines(kept, book, offer).coupon!);
      if (refused) throw refused;
      if (userId !== undefined) {
        await carts.setCoupon(userId, offer.code);
        return getCart(userId);
      }
      return { ...view(kept, book, offer), dropped };
    },

    /** Takes the coupon off the saved cart. */
    async removeCoupon(userId: number) {
      await carts.setCoupon(userId, null);
      return getCart(userId);
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
