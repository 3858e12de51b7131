import { formatINR } from './money.js';

/**
 * Small HTML fragments used many times per page (a catalog page shows 12 cards). Built here as
 * plain functions because an EJS include costs a file-existence check and a locals copy on every
 * call, which profiling showed to be a fifth of a catalog page's CPU. Inputs are numbers only, so
 * nothing here needs escaping.
 */

/** Five stars rounded to the nearest half, labelled for screen readers. */
export function starsHtml(rating: number, count?: number): string {
  const r = Math.round(Number(rating) * 2) / 2;
  let stars = '';
  for (let i = 1; i <= 5; i++) {
    const kind = r >= i ? 'full' : r >= i - 0.5 ? 'half' : 'empty';
    stars += `<span class="star ${kind}" aria-hidden="true">★</span>`;
  }
  const label = `Rated ${Number(rating).toFixed(1)} out of 5${count === undefined ? '' : ` by ${Math.trunc(count)} buyers`}`;
  return `<span class="stars" role="img" aria-label="${label}">${stars}</span>`;
}

/** Sale price, with the list price struck through and the discount when there is one. */
export function priceHtml(price: { salePrice: number; unitPrice: number; discountPercent: number }, large = false): string {
  let html = `<span class="price${large ? ' price-large' : ''}"><span class="price-now">${formatINR(price.salePrice)}</span>`;
  if (price.discountPercent > 0) {
    html +=
      ` <s class="price-was"><span class="visually-hidden">was </span>${formatINR(price.unitPrice)}</s>` +
      ` <span class="badge badge-sale">${Math.trunc(price.discountPercent)}% off</span>`;
  }
  return `${html}</span>`;
}

const countFormat = new Intl.NumberFormat('en-IN');
/** "1,00,036": counts grouped the Indian way, as the prices are. */
export function formatCount(n: number): string {
  return countFormat.format(n);
}

const dateTimeFormat = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Kolkata' });
const dateFormat = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeZone: 'Asia/Kolkata' });
/** "1 Dec 2026, 4:08 pm" in India time, the store's time zone. */
export function formatDateTime(d: Date | string | null | undefined): string {
  return d ? dateTimeFormat.format(new Date(d)) : '';
}
/** "1 Dec 2026" in India time. */
export function formatDate(d: Date | string | null | undefined): string {
  return d ? dateFormat.format(new Date(d)) : '';
}
