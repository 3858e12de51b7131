/** The product slugs rendered as cards on a page, in order. */
export function cardSlugs(html: string): string[] {
  return [...html.matchAll(/<article class="card product-card" data-product-slug="([^"]+)"/g)].map((m) => m[1] as string);
}
