import { applyDiscount } from '../lib/money.js';

/**
 * The one place a product's price for a shopper is worked out. The catalog, the cart, checkout and
 * emails all call this, so a price shown is always the price charged.
 */
export interface PriceInput {
  price_paise: number;
  discount_percent: number;
}

export interface Price {
  /** List price before any discount, paise. */
  unitPrice: number;
  discountPercent: number;
  /** What the shopper pays for one, paise. */
  salePrice: number;
  /** unitPrice - salePrice, paise. */
  savings: number;
}

export function priceOf(p: PriceInput): Price {
  const salePrice = applyDiscount(p.price_paise, p.discount_percent);
  return { unitPrice: p.price_paise, discountPercent: p.discount_percent, salePrice, savings: p.price_paise - salePrice };
}

export interface PricedLine<P extends PriceInput> {
  product: P;
  quantity: number;
}

export interface CartTotals {
  /** Sum of list prices × quantities, paise. */
  subtotal: number;
  /** Sum of discounts × quantities, paise. */
  discount: number;
  /** What the shopper pays, paise. */
  total: number;
  /** Number of licences in the cart. */
  count: number;
}

/** Totals for a set of lines, from the same per-product prices the catalog shows. */
export function priceLines<P extends PriceInput>(lines: PricedLine<P>[]): { lines: (PricedLine<P> & { price: Price; lineTotal: number })[]; totals: CartTotals } {
  const priced = lines.map((l) => {
    const price = priceOf(l.product);
    return { ...l, price, lineTotal: price.salePrice * l.quantity };
  });
  const subtotal = priced.reduce((s, l) => s + l.price.unitPrice * l.quantity, 0);
  const total = priced.reduce((s, l) => s + l.lineTotal, 0);
  return { lines: priced, totals: { subtotal, discount: subtotal - total, total, count: priced.reduce((s, l) => s + l.quantity, 0) } };
}
