/**
 * EXPLAIN ANALYZE of the SQL behind each storefront request: the catalog service runs in this
 * process against the bench database, every statement it sends is captured and explained.
 * Prints each request's slowest statement, and the whole plan of the slowest overall.
 *   npx tsx scripts/bench/explain-catalog.ts <database url>     (bench:scale runs it too)
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import knex, { type Knex } from 'knex';
import pg from 'pg';

interface Captured {
  sql: string;
  bindings: readonly unknown[];
}

type Catalog = {
  search(s: Record<string, unknown>): Promise<{ pageCount: number }>;
  clearCaches?(): void;
  home(): Promise<unknown>;
  getProduct(slug: string): Promise<{ id: number }>;
  related(p: unknown): Promise<unknown>;
};

/** `srcDir` lets the same harness explain an older checkout's code (before/after comparisons). */
export async function explainCatalog(databaseUrl: string, opts: { srcDir?: string; slug: string; category: string; word: string; tag: string }) {
  const src = opts.srcDir ?? path.resolve(import.meta.dirname, '../../src');
  const load = (p: string) => import(pathToFileURL(path.join(src, p)).href);
  const { createProductModel } = await load('models/products.ts');
  const { createCategoryModel } = await load('models/categories.ts');
  const { createCatalogService } = await load('services/catalog-service.ts');
  const db: Knex = knex({ client: 'pg', connection: databaseUrl });
  const catalog = createCatalogService({ products: createProductModel(db), categories: createCategoryModel(db), navCacheMs: 0 }) as Catalog;
  let captured: Captured[] = [];
  db.on('query', (q: Captured) => captured.push({ sql: q.sql, bindings: q.bindings }));

  // 90% of the pages a shopper can reach (the whole catalog before the depth cap, 834 after).
  const deepPage = Math.floor((await catalog.search({ page: 1, pageSize: 12 })).pageCount * 0.9);
  const apiPage = Math.floor((await catalog.search({ sort: 'rating', page: 1, pageSize: 24 })).pageCount / 2);
  const requests: [string, () => Promise<unknown>][] = [
    ['/', () => catalog.home()],
    ['/products', () => catalog.search({ page: 1, pageSize: 12 })],
    ['/products?page=<90% deep>', () => catalog.search({ page: deepPage, pageSize: 12 })],
    ['/products?category=…&sort=price-asc', () => catalog.search({ category: opts.category, sort: 'price-asc', page: 1, pageSize: 12 })],
    ['/products?q=<one word>', () => catalog.search({ q: opts.word, page: 1, pageSize: 12 })],
    ['/products?tag=…', () => catalog.search({ tag: opts.tag, page: 1, pageSize: 12 })],
    ['/products/<slug>', async () => catalog.related(await catalog.getProduct(opts.slug))],
    ['/api/products?sort=rating&page=N', () => catalog.search({ sort: 'rating', page: apiPage, pageSize: 24 })],
  ];
  // knex hands the driver $1-style SQL; EXPLAIN goes the same way, on a plain connection.
  const explainer = new pg.Client({ connectionString: databaseUrl });
  await explainer.connect();
  const rows: { request: string; statements: number; 'slowest ms': number; 'all ms': number }[] = [];
  let worst = { ms: 0, request: '', plan: '' };
  for (const [name, run] of requests) {
    await run(); // warm: plans and buffers as a running server has them
    // Measured cold: nothing this process kept from the warm-up run.
    catalog.clearCaches?.();
    captured = [];
    await run();
    const statements = captured.filter((c) => /^\s*(select|with)/i.test(c.sql));
    let slowest = 0;
    let total = 0;
    for (const s of statements) {
      const res = await explainer.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.bindings as unknown[]);
      const plan = (res.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
      total += ms;
      if (process.env.EXPLAIN_VERBOSE) console.log(`${name}  ${ms.toFixed(2)} ms  ${s.sql.slice(0, 160)}`);
      if (ms > slowest) slowest = ms;
      if (ms > worst.ms) worst = { ms, request: name, plan: `${s.sql}\n${JSON.stringify(s.bindings)}\n\n${plan}` };
    }
    rows.push({ request: name, statements: statements.length, 'slowest ms': Number(slowest.toFixed(2)), 'all ms': Number(total.toFixed(2)) });
  }
  await db.destroy();
  await explainer.end();
  console.log('\nEXPLAIN ANALYZE of the statements behind each request (database time only)');
  console.table(rows);
  console.log(`\nThe slowest statement (${worst.request}, ${worst.ms} ms):\n${worst.plan}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url, srcDir] = process.argv.slice(2);
  if (!url) throw new Error('usage: explain-catalog.ts <database url> [src dir]');
  await explainCatalog(url, { srcDir, slug: 'scale-12345', category: 'fonts', word: 'river', tag: 'notion' });
}
