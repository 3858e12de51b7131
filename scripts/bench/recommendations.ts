/**
 * Recommendations at scale, for npm run bench:scale and scripts/recommendations-scale.ts:
 * behaviour on top of the scale data (product views of 60,000 browsers, a signed-in shopper's
 * history), the recompute timed, and the recommendation requests timed against the store.
 */
import type { Knex } from 'knex';
import { systemClock } from '../../src/lib/clock.js';
import { createCategoryModel } from '../../src/models/categories.js';
import { createProductModel } from '../../src/models/products.js';
import { createRecommendationModel } from '../../src/models/recommendations.js';
import { createCatalogService } from '../../src/services/catalog-service.js';
import { createRecommendationService, type RecomputeReport } from '../../src/services/recommendation-service.js';
import { percentile } from './support.js';

/**
 * Adds `views` product views from 60,000 guest browsers ('browser-<n>': the check allows 8+ characters) over 90 days,
 * each browser keeping to a band of products (a taste), and `userViews` views by the user with
 * `email` (so "Recommended for you" has a history to work from). SQL only, deterministic.
 */
export async function loadRecommendationSignals(db: Knex, opts: { views: number; email?: string; userViews?: number }): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('SELECT setseed(0.33)');
    await trx.raw(
      `WITH bounds AS (SELECT min(id) AS lo, max(id) AS hi FROM products WHERE is_visible)
       INSERT INTO product_views (product_id, user_id, anonymous_id, created_at)
       SELECT p.id, NULL, 'browser-' || (g % 60000), now() - random() * interval '90 days'
       FROM generate_series(1, ?) AS g, bounds
       JOIN LATERAL (SELECT lo + ((g % 60000) * 37 + floor(random() * 400)::int) % (hi - lo + 1) AS pid) x ON true
       JOIN products p ON p.id = x.pid`,
      [opts.views],
    );
    if (opts.email && opts.userViews) {
      await trx.raw(
        `INSERT INTO product_views (product_id, user_id, anonymous_id, created_at)
         SELECT p.id, u.id, NULL, now() - (g || ' hours')::interval
         FROM generate_series(1, ?) AS g JOIN users u ON u.email = ?
         JOIN products p ON p.slug = 'scale-' || (1 + (g * 7919) % 90000) AND p.is_visible`,
        [opts.userViews, opts.email],
      );
    }
  });
  await db.raw('VACUUM ANALYZE product_views');
}

/** Runs the recompute in this process, as the job does; reports its time and the process's peak RSS. */
export async function recomputeAtScale(db: Knex): Promise<RecomputeReport & { maxRssMb: number }> {
  const catalog = createCatalogService({ products: createProductModel(db), categories: createCategoryModel(db) });
  const service = createRecommendationService({ db, recs: createRecommendationModel(db), catalog, clock: systemClock });
  const report = await service.recompute();
  if ('skipped' in report) throw new Error('a recompute was already running');
  return { ...report, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
}

/** The recommendation requests, one at a time, as a guest and signed in: p50/p95 each (ms). */
export async function benchRecommendationRequests(opts: {
  url: string;
  cookie: string;
  requests: number;
  headers: Record<string, string>;
  slug: () => string;
}): Promise<Record<string, string | number>[]> {
  const routes = [
    { name: 'GET /api/products/<slug>/recommendations?limit=10', path: () => `/api/products/${opts.slug()}/recommendations?limit=10` },
    { name: 'GET /api/recommendations?limit=10', path: () => '/api/recommendations?limit=10' },
    { name: 'GET /api/recommendations/cart?ids=…', path: () => `/api/recommendations/cart?ids=${opts.slug().replace('scale-', '')},${Number(opts.slug().replace('scale-', '')) + 1}&limit=4` },
    // The pages that show them (a guest's come from the shared page cache once rendered).
    { name: 'GET /products/<slug> (with its sections)', path: () => `/products/${opts.slug()}` },
    { name: 'GET / (trending or "for you")', path: () => '/' },
  ];
  const time = async (headers: Record<string, string>, p: string) => {
    const start = performance.now();
    const res = await fetch(opts.url + p, { headers, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
    return performance.now() - start;
  };
  const rows: Record<string, string | number>[] = [];
  for (const route of routes) {
    const row: Record<string, string | number> = { request: route.name };
    for (const [who, headers] of [['guest', opts.headers], ['signed in', { ...opts.headers, Cookie: opts.cookie }]] as const) {
      for (let i = 0; i < 10; i++) await time(headers, route.path());
      const ms: number[] = [];
      for (let i = 0; i < opts.requests; i++) ms.push(await time(headers, route.path()));
      ms.sort((a, b) => a - b);
      row[`${who} p50`] = Number(percentile(ms, 50).toFixed(1));
      row[`${who} p95`] = Number(percentile(ms, 95).toFixed(1));
    }
    rows.push(row);
  }
  return rows;
}

/** bench:scale's setup: the signals above (400,000 views, 60 of the signed-in bench user's), then one recompute, logged. */
export async function prepareRecommendations(db: Knex, email: string): Promise<void> {
  await loadRecommendationSignals(db, { views: Number(process.env.BENCH_VIEWS ?? 400_000), email, userViews: 60 });
  const r = await recomputeAtScale(db);
  console.log(`recommendations recomputed: ${r.products.toLocaleString('en')} products, ${r.signals.toLocaleString('en')} signals, ${r.neighbours.toLocaleString('en')} neighbours in ${(r.durationMs / 1000).toFixed(1)} s, peak RSS ${r.peakRssMb} MB`);
}
