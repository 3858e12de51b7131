import { formatINR } from './money.js';

/**
 * Small HTML fragments used many times per page (a catalog page shows 12 cards). Built here as
 * plain functions because an EJS include costs a file-existence check and a locals copy on every
 * call, which profiling showed to be a fifth of a catalog page's CPU. Inputs are numbers, except
 * an offer's name, which is escaped.
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

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text typed by a person (an offer's name) for HTML built here. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** "2 d 4 h", "3 h 20 min", "12 min": how long until `end`, to the minute (never negative). */
export function timeLeft(end: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((end.getTime() - now.getTime()) / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${Math.max(1, m)} min`;
}

/** "Diwali Sale · ends in 2 d 4 h": public/js/deals.js keeps the time left current. */
export function offerEndsHtml(offer: { name: string; endsAt: Date }, now: Date): string {
  return (
    `<span class="offer-ends"><span class="offer-name">${escapeHtml(offer.name)}</span> · ends in ` +
    `<time datetime="${offer.endsAt.toISOString()}" data-countdown>${timeLeft(offer.endsAt, now)}</time></span>`
  );
}

interface PriceShown {
  salePrice: number;
  unitPrice: number;
  discountPercent: number;
  offer?: { name: string; endsAt: Date; discountType: 'percent' | 'fixed'; amount: number };
}

/**
 * Sale price, with the list price struck through and the discount when there is one; an offer's
 * price also names the offer and when it ends (pass `now`, the instant the page is priced at).
 */
export function priceHtml(price: PriceShown, large = false, now?: Date): string {
  let html = `<span class="price${large ? ' price-large' : ''}"><span class="price-now">${formatINR(price.salePrice)}</span>`;
  if (price.salePrice < price.unitPrice) {
    const off = price.offer?.discountType === 'fixed' ? `${formatINR(price.unitPrice - price.salePrice)} off` : `${Math.trunc(price.discountPercent)}% off`;
    html +=
      ` <s class="price-was"><span class="visually-hidden">was </span>${formatINR(price.unitPrice)}</s>` +
      ` <span class="badge badge-sale">${off}</span>`;
  }
  html += '</span>';
  if (price.offer && now) html += offerEndsHtml(price.offer, now);
  return html;
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
