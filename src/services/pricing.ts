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
