/** The product slugs rendered as cards on a page, in order. */
export function cardSlugs(html: string): string[] {
  return [...html.matchAll(/<article class="card product-card" data-product-slug="([^"]+)"/g)].map((m) => m[1] as string);
}

/** Rupee amounts (₹1,234 → 123400 paise) in the order they appear in a piece of HTML. */
export function rupees(html: string): number[] {
  return [...html.matchAll(/₹([\d,]+)/g)].map((m) => Number((m[1] as string).replace(/,/g, '')) * 100);
}

/** The inner HTML of the first element carrying a data attribute (`data-subtotal` …). */
export function dataAttr(html: string, attr: string): string | undefined {
  return new RegExp(`<[^>]+\\b${attr}\\b[^>]*>([\\s\\S]*?)</`).exec(html)?.[1];
}
