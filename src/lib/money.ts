/** Money is integer paise everywhere; these helpers are the only place it becomes rupees. */

const inr = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 2 });
const inrWhole = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 0 });

/** "₹1,499" for whole rupees, "₹1,499.50" otherwise. */
export function formatINR(paise: number): string {
  return paise % 100 === 0 ? inrWhole.format(paise / 100) : inr.format(paise / 100);
}

/**
 * The price after a percentage discount, rounded to the nearest whole rupee as shoppers expect to
 * see it (₹449 at 15% off is ₹382, not ₹381.65). Integer arithmetic only, so no float can drift
 * a paisa: (price × (100 − pct) + 5000) / 10000 floors to whole rupees with half-up rounding.
 */
export function applyDiscount(pricePaise: number, discountPercent: number): number {
  if (!Number.isInteger(pricePaise) || pricePaise < 0) throw new RangeError('price must be whole paise');
  const pct = Math.min(100, Math.max(0, Math.trunc(discountPercent)));
  if (pct === 0) return pricePaise;
  return Math.floor((pricePaise * (100 - pct) + 5000) / 10000) * 100;
}
