/**
 * Fills a bench database with a large catalog and behaviour history using SQL alone (no
 * per-row round trips): the demo catalog's 6 categories, N more products over 20 tags (95%
 * visible, 1% featured, a quarter discounted), and M cart events from guests and users over 90
 * days. Deterministic: the same N and M give the same rows.
 */
import type { Knex } from 'knex';

export const SCALE_WORDS = [
  'aurora', 'banyan', 'cobalt', 'deccan', 'ember', 'fable', 'garnet', 'harbor', 'indigo', 'jasmine',
  'kestrel', 'lotus', 'monsoon', 'nimbus', 'opal', 'peacock', 'quartz', 'rangoli', 'saffron', 'tamarind',
  'umber', 'vermilion', 'willow', 'xenon', 'yonder', 'zephyr', 'atlas', 'bloom', 'cedar', 'delta',
  'echo', 'fern', 'glacier', 'horizon', 'ivory', 'juniper', 'kite', 'lagoon', 'meadow', 'nova',
  'orbit', 'pebble', 'quill', 'river', 'summit', 'thistle', 'uplift', 'velvet', 'wander', 'zenith',
];
export const SCALE_KINDS = ['Guide', 'Template Pack', 'Display Font', 'Preset Pack', 'Icon Set', 'Starter Kit', 'Workbook', 'LUT Bundle', 'Mockup Kit', 'Plugin'];
export const SCALE_TAGS = [
  'notion', 'figma', 'lightroom', 'canva', 'react', 'devanagari', 'resume', 'wedding', 'minimal', 'retro',
  'budget', 'startup', 'photography', 'video', 'svg', 'ebook', 'typography', 'instagram', 'productivity', 'finance',
];

const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]::text[]`;

export async function loadScaleData(db: Knex, opts: { products: number; events: number }): Promise<{ productMs: number; eventMs: number }> {
  const t0 = Date.now();
  await db.transaction(async (trx) => {
    await trx.raw('SELECT setseed(0.42)');
    await trx.raw(
      `
      WITH cats AS (SELECT array_agg(id ORDER BY id) AS ids FROM categories),
      w AS (SELECT ${sqlArray(SCALE_WORDS)} AS words, ${sqlArray(SCALE_KINDS)} AS kinds, ${sqlArray(SCALE_TAGS)} AS tags)
      INSERT INTO products (slug, title, summary, description, category_id, image_url, price_paise, discount_percent,
                            rating, rating_count, tags, license_type, is_visible, is_featured, created_at, updated_at)
      SELECT 'scale-' || g,
             initcap(words[1 + (g * 7) % 50]) || ' ' || initcap(words[1 + (g * 13) % 50]) || ' ' || kinds[1 + g % 10] || ' ' || g,
             'A ' || lower(kinds[1 + g % 10]) || ' about ' || words[1 + (g * 3) % 50] || ' and ' || words[1 + (g * 11) % 50] || ', made for independent creators.',
             repeat('This ' || lower(kinds[1 + g % 10]) || ' covers ' || words[1 + (g * 17) % 50] || ', ' || words[1 + (g * 19) % 50] || ' and ' || words[1 + (g * 23) % 50] || ' in practical detail with worked examples. ', 6),
             cats.ids[1 + g % array_length(cats.ids, 1)],
             NULL,
             (49 + floor(random() * 40)::int * 50) * 100,
             CASE WHEN g % 4 = 0 THEN 10 + (g % 5) * 10 ELSE 0 END,
             round((2.5 + random() * 2.5)::numeric, 1),
             floor(random() * 500)::int,
             ARRAY[tags[1 + g % 20], tags[1 + (g * 7 + 3) % 20]],
             (ARRAY['personal', 'commercial', 'extended'])[1 + g % 3],
             g % 20 <> 0,
             g % 100 = 0,
             now() - (g || ' minutes')::interval,
             now() - (g || ' minutes')::interval
      FROM generate_series(1, ?) AS g, cats, w`,
      [opts.products],
    );
  });
  const t1 = Date.now();
  await db.transaction(async (trx) => {
    await trx.raw('SELECT setseed(0.24)');
    await trx.raw(
      `
      WITH bounds AS (SELECT min(id) AS lo, max(id) AS hi FROM products)
      INSERT INTO cart_events (user_id, anonymous_id, product_id, action, quantity, created_at)
      SELECT NULL, 'anon-' || (g % 60000), lo + floor(random() * (hi - lo + 1))::int,
             (ARRAY['add', 'add', 'add', 'remove', 'merge'])[1 + g % 5], 1,
             now() - random() * interval '90 days'
      FROM generate_series(1, ?) AS g, bounds`,
      [opts.events],
    );
  });
  const t2 = Date.now();
  // A bulk load is followed by VACUUM ANALYZE, as autovacuum would do by itself soon after: the
  // planner's statistics and the visibility map index-only scans rely on.
  await db.raw('VACUUM ANALYZE');
  return { productMs: t1 - t0, eventMs: t2 - t1 };
}
