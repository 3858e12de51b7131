import type { Db } from '../src/db/knex.js';
import { demoCategories, demoProducts, type DemoCategory } from './demo-catalog-data.js';

const WHAT_YOU_GET: Record<DemoCategory['motif'], string> = {
  book: 'You get the book as a DRM-free PDF and EPUB, with free updates to every future edition.',
  layout: 'Files are fully editable and organised in named layers; fonts used are free and linked in the read-me.',
  type: 'Includes OTF, TTF, WOFF2 and a variable font where noted, with a specimen PDF.',
  lens: 'Works with Lightroom Classic, Lightroom mobile and CC (XMP and DNG), or as .cube LUTs for video.',
  icons: 'Delivered as SVG, PNG at three sizes and a Figma library, on a consistent 24 px grid.',
  code: 'Comes with full source, a setup guide and six months of updates.',
};

/**
 * Inserts the demo catalog when the products table is empty, so it runs once on a new database
 * and never touches a catalog an admin has started. Returns how many products were added.
 */
export async function seedDemoCatalog(db: Db): Promise<number> {
  return db.transaction(async (trx) => {
    // Lock the table so two processes starting at once cannot both seed.
    await trx.raw('LOCK TABLE products IN SHARE ROW EXCLUSIVE MODE');
    const [{ count }] = (await trx('products').count('* as count')) as [{ count: number }];
    if (Number(count) > 0) return 0;

    const categoryIds = new Map<string, number>();
    for (const [i, c] of demoCategories.entries()) {
      const [row] = await trx('categories')
        .insert({ slug: c.slug, name: c.name, description: c.description, position: i })
        .onConflict('slug')
        .merge(['name', 'description', 'position'])
        .returning(['id']);
      categoryIds.set(c.slug, (row as { id: number }).id);
    }

    // Spread creation times over the past weeks so "Newest" has a meaningful order.
    const now = Date.now();
    const rows = demoProducts.map((p, i) => {
      const category = demoCategories.find((c) => c.slug === p.category);
      if (!category) throw new Error(`demo product ${p.slug} names unknown category ${p.category}`);
      return {
        slug: p.slug,
        title: p.title,
        summary: p.summary,
        description: `${p.summary}\n\n${WHAT_YOU_GET[category.motif]}\n\nLicence: ${p.license}. Questions before or after you buy? Write to our support team from the Contact page; a person answers within one working day.`,
        category_id: categoryIds.get(p.category),
        image_url: `/img/demo/${p.slug}.svg`,
        price_paise: p.rupees * 100,
        discount_percent: p.discount ?? 0,
        rating: p.rating,
        rating_count: p.ratingCount,
        tags: p.tags,
        license_type: p.license,
        is_featured: p.featured ?? false,
        is_visible: !p.hidden,
        created_at: new Date(now - (demoProducts.length - i) * 14 * 3600_000 - (i % 5) * 3600_000),
      };
    });
    await trx('products').insert(rows);
    return rows.length;
  });
}
