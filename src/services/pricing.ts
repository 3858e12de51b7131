import { applyDiscount } from '../lib/money.js';

/**
 * The one place a price is worked out. The catalog, the cart, checkout (and so the Razorpay
 * amount), order items and emails all call this with the clock's offers, so a price shown is
 * always the price charged, to the paisa.
 *
 * Stacking rule (what a shopper can predict and a shop can afford):
 * 1. Per unit, the better (lower) of the product's own discount and the best automatic offer
 *    live now that covers it. They never add up: a 20% product in a 10% festive sale is 20% off.
 * 2. At most one coupon per order, on top, taken off the lines it covers at their sale price
 *    (so the code's saving is real, and a 50%-off product plus a 10% code is 55% off, not 60%).
 * 3. No unit is ever below ₹1 (or its list price, if that is lower), so no line and no order is
 *    ever negative or free by accident.
 * Percent offers round to whole rupees like product discounts; a coupon's saving is paise-exact.
 */

export interface PriceInput {
  id: number;
  category_id: number;
  price_paise: number;
  discount_percent: number;
}

/** An offer as pricing needs it (the deals module loads these). */
export interface Offer {
  id: number;
  name: string;
  kind: 'automatic' | 'coupon';
  code: string | null;
  discountType: 'percent' | 'fixed';
  /** Percent (1–90) or paise. */
  amount: number;
  scope: 'all' | 'categories' | 'products';
  categoryIds: readonly number[];
  productIds: readonly number[];
  startsAt: Date;
  endsAt: Date;
  minCartPaise: number | null;
  bannerText: string | null;
}

/** The automatic offers live at one instant: what every price on one page is computed from. */
export interface OfferBook {
  at: Date;
  automatic: readonly Offer[];
}

export const NO_OFFERS: OfferBook = { at: new Date(0), automatic: [] };

export const isLive = (o: Offer, at: Date) => o.startsAt.getTime() <= at.getTime() && at.getTime() < o.endsAt.getTime();

export function covers(o: Offer, p: Pick<PriceInput, 'id' | 'category_id'>): boolean {
  if (o.scope === 'all') return true;
  if (o.scope === 'categories') return o.categoryIds.includes(p.category_id);
  return o.productIds.includes(p.id);
}

/** The lowest a unit may cost: ₹1, or the list price when a product is listed below that. */
export const floorOf = (listPaise: number) => Math.min(listPaise, 100);

export interface Price {
  /** List price before any discount, paise. */
  unitPrice: number;
  /** The saving as a whole percent of the list price (for badges and order records). */
  discountPercent: number;
  /** What the shopper pays for one, before any coupon, paise. */
  salePrice: number;
  /** unitPrice - salePrice, paise. */
  savings: number;
  /** The automatic offer that set this price, if one beat the product's own discount. */
  offer?: { id: number; name: string; endsAt: Date; discountType: 'percent' | 'fixed'; amount: number };
}

function offerUnitPrice(o: Offer, listPaise: number): number {
  const floor = floorOf(listPaise);
  const price = o.discountType === 'percent' ? applyDiscount(listPaise, o.amount) : listPaise - o.amount;
  // Whole-rupee rounding can round up (₹10.90 at 1% is ₹11): never above the list price.
  return Math.min(listPaise, Math.max(floor, price));
}

export function priceOf(p: PriceInput, book: OfferBook = NO_OFFERS): Price {
  const list = p.price_paise;
  let sale = Math.min(list, Math.max(floorOf(list), applyDiscount(list, p.discount_percent)));
  let offer: Offer | undefined;
  for (const o of book.automatic) {
    if (!isLive(o, book.at) || !covers(o, p)) continue;
    const candidate = offerUnitPrice(o, list);
    if (candidate < sale) {
      sale = candidate;
      offer = o;
    }
  }
  const savings = list - sale;
  // The percent the shopper was promised (15% off ₹449 is ₹382, still "15% off"); a fixed offer's as a whole percent.
  const promised = offer ? (offer.discountType === 'percent' ? offer.amount : undefined) : Math.trunc(p.discount_percent);
  return {
    unitPrice: list,
    discountPercent: savings === 0 ? 0 : (promised ?? Math.floor((savings * 100) / list)),
    salePrice: sale,
    savings,
    ...(offer ? { offer: { id: offer.id, name: offer.name, endsAt: offer.endsAt, discountType: offer.discountType, amount: offer.amount } } : {}),
  };
}

export interface PricedLine<P extends PriceInput> {
  product: P;
  quantity: number;
}

export interface CartTotals {
  /** Sum of list prices × quantities, paise. */
  subtotal: number;
  /** Sum of product and automatic-offer savings × quantities, paise (the coupon not included). */
  discount: number;
  /** The coupon's saving on the order, paise. */
  couponDiscount: number;
  /** What the shopper pays, paise: subtotal - discount - couponDiscount. */
  total: number;
  /** Number of licences in the cart. */
  count: number;
}

/** Why a coupon does not apply to a cart (the deals module words the message). */
export type CouponRefusal = 'not_applicable' | 'below_minimum' | 'not_live';

export interface CouponResult {
  offer: Offer;
  /** Set when the code does not apply to this cart; then it takes nothing off. */
  refusal?: CouponRefusal;
  /** For below_minimum: how much more the cart needs, paise. */
  shortBy?: number;
}

export interface PricedCartLine<P extends PriceInput> extends PricedLine<P> {
  price: Price;
  /** salePrice × quantity, before the coupon. */
  lineTotal: number;
  /** The coupon's share of this line, paise. */
  couponDiscount: number;
  /** What this line costs the shopper: lineTotal - couponDiscount. */
  finalTotal: number;
}

/**
 * Prices a cart: every line from the same per-unit price the catalog shows (rule 1), then the
 * coupon if it applies (rule 2), spread over the lines it covers and never taking a unit below
 * its floor (rule 3). A fixed-amount coupon is shared in proportion to those lines' totals; the
 * paise left by rounding go to the largest lines first, so the shares add up exactly.
 */
export function priceLines<P extends PriceInput>(
  lines: PricedLine<P>[],
  book: OfferBook = NO_OFFERS,
  coupon?: Offer,
): { lines: PricedCartLine<P>[]; totals: CartTotals; coupon?: CouponResult } {
  const priced = lines.map((l) => {
    const price = priceOf(l.product, book);
    const lineTotal = price.salePrice * l.quantity;
    return { ...l, price, lineTotal, couponDiscount: 0, finalTotal: lineTotal };
  });
  let couponResult: CouponResult | undefined;
  if (coupon) {
    couponResult = { offer: coupon };
    const eligible = priced.filter((l) => covers(coupon, l.product));
    const before = priced.reduce((s, l) => s + l.lineTotal, 0);
    if (!isLive(coupon, book.at)) couponResult.refusal = 'not_live';
    else if (eligible.length === 0) couponResult.refusal = 'not_applicable';
    else if (coupon.minCartPaise !== null && before < coupon.minCartPaise) {
      couponResult.refusal = 'below_minimum';
      couponResult.shortBy = coupon.minCartPaise - before;
    } else {
      // The most each line can give up without a unit going under its floor.
      const room = (l: (typeof priced)[number]) => l.lineTotal - floorOf(l.price.unitPrice) * l.quantity;
      if (coupon.discountType === 'percent') {
        for (const l of eligible) l.couponDiscount = Math.min(room(l), Math.floor((l.lineTotal * coupon.amount) / 100));
      } else {
        const base = eligible.reduce((s, l) => s + l.lineTotal, 0);
        const wanted = Math.min(coupon.amount, eligible.reduce((s, l) => s + room(l), 0));
        if (base > 0) {
          const shares = eligible.map((l) => ({ l, exact: (wanted * l.lineTotal) / base }));
          for (const s of shares) s.l.couponDiscount = Math.min(room(s.l), Math.floor(s.exact));
          let left = wanted - shares.reduce((n, s) => n + s.l.couponDiscount, 0);
          // Rounding remainders (and what a capped line could not take) go to lines with room.
          const order = [...shares].sort((a, b) => b.l.lineTotal - a.l.lineTotal);
          while (left > 0) {
            let moved = false;
            for (const s of order) {
              if (left === 0) break;
              const give = Math.min(left, room(s.l) - s.l.couponDiscount);
              if (give > 0) {
                s.l.couponDiscount += give;
                left -= give;
                moved = true;
              }
            }
            if (!moved) break;
          }
        }
      }
      for (const l of priced) l.finalTotal = l.lineTotal - l.couponDiscount;
      // A code that would take nothing off (every line it covers is at its floor) is not applied,
      // so it does not use up one of its uses.
      if (eligible.every((l) => l.couponDiscount === 0)) {
        couponResult.refusal = 'not_applicable';
        for (const l of priced) l.finalTotal = l.lineTotal;
      }
    }
  }
  const subtotal = priced.reduce((s, l) => s + l.price.unitPrice * l.quantity, 0);
  const afterSale = priced.reduce((s, l) => s + l.lineTotal, 0);
  const couponDiscount = priced.reduce((s, l) => s + l.couponDiscount, 0);
  return {
    lines: priced,
    totals: { subtotal, discount: subtotal - afterSale, couponDiscount, total: afterSale - couponDiscount, count: priced.reduce((s, l) => s + l.quantity, 0) },
    ...(couponResult ? { coupon: couponResult } : {}),
  };
}

/** The next instant after `at` when any of these offers starts or ends (prices change then). */
export function nextPriceChange(offers: readonly Offer[], at: Date): Date | undefined {
  let next: number | undefined;
  for (const o of offers) {
    for (const t of [o.startsAt.getTime(), o.endsAt.getTime()]) if (t > at.getTime() && (next === undefined || t < next)) next = t;
  }
  return next === undefined ? undefined : new Date(next);
}
