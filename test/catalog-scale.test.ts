import { once } from 'node:events';
import { expect } from 'chai';
import supertest from 'supertest';
import { applyDiscount } from '../src/lib/money.js';
import { createCategoryModel } from '../src/models/categories.js';
import { createProductModel } from '../src/models/products.js';
import { createCatalogService } from '../src/services/catalog-service.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { cardSlugs } from './support/html.js';

/** The listing choices made for 100,000 products (issue 10), at a size a test can hold. */
describe('catalog listings built for scale', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
    // As a web process runs: catalog changes clear the page and navigation caches.
    const connected = once(t.deps.catalogChanges, 'connected');
    t.deps.catalogChanges.start();
    await connected;
  });
  after(() => t.close());

  it('the stored sale price equals applyDiscount for every price and discount (what price sorts order by)', async () => {
    const cat = await makeCategory(t.db);
    const cases: [number, number][] = [];
    let seed = 11;
    const rand = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
    for (let i = 0; i < 300; i++) cases.push([rand(5_000_000) + (i % 3 === 0 ? 50 : 0), [0, 1, 5, 15, 33, 50, 90][i % 7]!]);
    cases.push([2_147_483_600, 90], [0, 50], [100, 90], [44_900, 15]);
    const ids: number[] = [];
    for (const [price, pct] of cases) ids.push((await makeProduct(t.db, { category_id: cat.id, price_paise: price, discount_percent: pct })).id);
    const rows = (await t.db('products').whereIn('id', ids).select('id', 'price_paise', 'discount_percent', 'sale_price_paise')) as { price_paise: number; discount_percent: number; sale_price_paise: number }[];
    expect(rows).to.have.length(cases.length);
    for (const r of rows) expect(r.sale_price_paise, `${r.price_paise} at ${r.discount_percent}%`).to.equal(applyDiscount(r.price_paise, r.discount_percent));
  });

  it('every sort pages through the whole listing once: no product twice, none missed', async () => {
    const cat = await makeCategory(t.db, { slug: 'paging-shelf', name: 'Paging shelf' });
    const made: { slug: string; sale: number; rating: number; ratingCount: number; createdAt: number; id: number }[] = [];
    for (let i = 0; i < 30; i++) {
      // Many ties on purpose (same price, rating and time): the id decides, consistently.
      const price = [19_900, 29_900, 49_900][i % 3]!;
      const pct = [0, 10][i % 2]!;
      const rating = [4.5, 4.5, 3][i % 3]!;
      const createdAt = Date.parse('2026-10-01T00:00:00Z') + (i % 4) * 3600_000;
      const p = await makeProduct(t.db, { category_id: cat.id, price_paise: price, discount_percent: pct, rating, rating_count: i % 5, created_at: new Date(createdAt) });
      made.push({ ...p, sale: applyDiscount(price, pct), rating, ratingCount: i % 5, createdAt });
    }
    const expected: Record<string, string[]> = {
      newest: [...made].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id).map((p) => p.slug),
      'price-asc': [...made].sort((a, b) => a.sale - b.sale || a.id - b.id).map((p) => p.slug),
      'price-desc': [...made].sort((a, b) => b.sale - a.sale || b.id - a.id).map((p) => p.slug),
      rating: [...made].sort((a, b) => b.rating - a.rating || b.ratingCount - a.ratingCount || b.id - a.id).map((p) => p.slug),
    };
    for (const [sort, order] of Object.entries(expected)) {
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) seen.push(...cardSlugs((await supertest(t.app).get(`/products?category=paging-shelf&sort=${sort}&page=${page}`).expect(200)).text));
      expect(seen, sort).to.deep.equal(order);
      const api: string[] = [];
      for (let page = 1; page <= 4; page++) api.push(...((await supertest(t.app).get(`/api/products?category=paging-shelf&sort=${sort}&page=${page}&pageSize=8`).expect(200)).body.items as { slug: string }[]).map((p) => p.slug));
      expect(api, `api ${sort}`).to.deep.equal(order);
    }
  });

  it('pages stop at the depth cap, with exact totals, and a search is worked out once for all its pages', async () => {
    const cat = await makeCategory(t.db, { slug: 'capped-shelf', name: 'Capped shelf' });
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await makeProduct(t.db, { category_id: cat.id, title: `Capped Kettle ${i}`, tags: ['kettle'], created_at: new Date(Date.UTC(2026, 9, 1 + i)) })).slug);
    const newestFirst = [...made].reverse();
    const products = createProductModel(t.db);
    let matchQueries = 0;
    const counted = { ...products, matchIds: (...args: Parameters<typeof products.matchIds>) => (matchQueries++, products.matchIds(...args)) };
    const catalog = createCatalogService({ products: counted, categories: createCategoryModel(t.db), navCacheMs: 0, depthCap: 5 });
    const slugsOf = (page: { items: { slug: string }[] }) => page.items.map((p) => p.slug);

    const search1 = await catalog.search({ q: 'kettle', sort: 'newest', page: 1, pageSize: 2 });
    expect(search1).to.include({ total: 7, reachable: 5, depthCapped: true, pageCount: 3 });
    expect(slugsOf(search1)).to.deep.equal(newestFirst.slice(0, 2));
    const search3 = await catalog.search({ q: 'kettle', sort: 'newest', page: 3, pageSize: 2 });
    expect(slugsOf(search3)).to.deep.equal(newestFirst.slice(4, 5)); // the cap ends the last page
    expect(matchQueries).to.equal(1);
    expect(await catalog.search({ q: 'kettle', page: 2, pageSize: 2 })).to.include({ total: 7, reachable: 5, depthCapped: true });
    expect(matchQueries).to.equal(2); // another sort is another listing
    // A tag is browsed like a category: index walk, total from the kept tag counts.
    const tag3 = await catalog.search({ tag: 'kettle', sort: 'newest', page: 3, pageSize: 2 });
    expect(tag3).to.include({ total: 7, reachable: 5, depthCapped: true, pageCount: 3 });
    expect(slugsOf(tag3)).to.deep.equal(newestFirst.slice(4, 5));
    expect(matchQueries).to.equal(2);
    // Browsing a category: exact total, the same cap on depth.
    const shelf = await catalog.search({ category: 'capped-shelf', sort: 'newest', page: 3, pageSize: 2 });
    expect(shelf).to.include({ total: 7, depthCapped: true, pageCount: 3 });
    expect(slugsOf(shelf)).to.deep.equal(newestFirst.slice(4, 5));
    // A catalog change drops the kept listing.
    catalog.clearCaches();
    await catalog.search({ q: 'kettle', sort: 'newest', page: 2, pageSize: 2 });
    expect(matchQueries).to.equal(3);
  });

  it('category sizes and tag counts are kept right through inserts, edits, moves, hiding and deletes', async () => {
    const a = await makeCategory(t.db, { slug: 'kept-a', name: 'Kept A' });
    const b = await makeCategory(t.db, { slug: 'kept-b', name: 'Kept B' });
    const truth = async () => {
      const sizes = await t.db.raw('SELECT c.id, count(p.id)::int AS n FROM categories c LEFT JOIN products p ON p.category_id = c.id AND p.is_visible GROUP BY c.id ORDER BY c.id');
      const tags = await t.db.raw('SELECT p.category_id, t.tag, count(*)::int AS n FROM products p, LATERAL (SELECT DISTINCT unnest(p.tags) AS tag) t WHERE p.is_visible GROUP BY 1, 2 ORDER BY 1, 2');
      return { sizes: sizes.rows, tags: tags.rows };
    };
    const kept = async () => ({
      sizes: await t.db('categories').select('id', 'visible_product_count as n').orderBy('id'),
      tags: await t.db('category_tag_counts').select('category_id', 'tag', 'visible_count as n').orderBy(['category_id', 'tag']),
    });
    const p1 = await makeProduct(t.db, { category_id: a.id, tags: ['red', 'blue', 'red'] });
    const p2 = await makeProduct(t.db, { category_id: a.id, tags: ['blue'] });
    await makeProduct(t.db, { category_id: b.id, tags: ['green'], is_visible: false });
    await t.db('products').insert([1, 2, 3].map((i) => ({ slug: `kept-bulk-${i}`, title: `Kept bulk ${i}`, category_id: b.id, price_paise: 100, tags: ['green', 'blue'] })));
    expect(await kept()).to.deep.equal(await truth());
    await t.db('products').where({ id: p1.id }).update({ tags: ['blue', 'yellow'] });
    await t.db('products').where({ id: p2.id }).update({ category_id: b.id });
    await t.db('products').where({ category_id: b.id, is_visible: false }).update({ is_visible: true });
    await t.db('products').where({ slug: 'kept-bulk-1' }).update({ is_visible: false, tags: ['purple'] });
    await t.db('products').where({ id: p1.id }).update({ rating: 4.5 }); // changes no count
    expect(await kept()).to.deep.equal(await truth());
    await t.db('products').where({ slug: 'kept-bulk-2' }).delete();
    await t.db('products').where({ category_id: a.id }).delete();
    expect(await kept()).to.deep.equal(await truth());
    expect((await t.db('category_tag_counts').where({ category_id: a.id })).length).to.equal(0);
    // The storefront shows the kept numbers.
    const catalog = createCatalogService({ products: createProductModel(t.db), categories: createCategoryModel(t.db), navCacheMs: 0 });
    expect((await catalog.categories()).find((c) => c.slug === 'kept-b')!.product_count).to.equal(3);
    expect(await catalog.topTags({ id: b.id, slug: 'kept-b', name: 'Kept B', description: '', position: 0 })).to.deep.equal([
      { tag: 'blue', count: 2 },
      { tag: 'green', count: 2 },
    ]);
  });

  it('a listing of 10,005 products says so exactly, and its pages stop at 10,000 with a note', async function () {
    this.timeout(30_000);
    const cat = await makeCategory(t.db, { slug: 'bulk-shelf', name: 'Bulk shelf' });
    const heard = new Promise((r) => t.deps.catalogChanges.on('notification', (_channel: string, table: string) => table === 'products' && r(table)));
    await t.db.raw(
      `INSERT INTO products (slug, title, category_id, price_paise, tags)
       SELECT 'bulk-' || g, 'Bulk Notebook ' || g, ?, 10000, ARRAY['bulk'] FROM generate_series(1, 10005) g`,
      [cat.id],
    );
    await heard;
    const first = await supertest(t.app).get('/products?tag=bulk').expect(200);
    expect(first.text).to.match(/data-result-count>10,005 products · page 1 of 834</);
    const last = await supertest(t.app).get('/products?tag=bulk&page=834').expect(200);
    expect(cardSlugs(last.text)).to.have.length(4);
    expect(last.text).to.include('Pages stop after the first 10,000 of 10,005');
    // Past the reach of the pages: the last page, as for any page past the end.
    expect((await supertest(t.app).get('/products?tag=bulk&page=835').expect(302)).headers.location).to.equal('/products?tag=bulk&page=834');
    // The category itself has an exact count, grouped the Indian way.
    expect((await supertest(t.app).get('/products?category=bulk-shelf').expect(200)).text).to.match(/data-result-count>10,005 products/);
    const api = await supertest(t.app).get('/api/products?tag=bulk&pageSize=60').expect(200);
    expect(api.body).to.include({ total: 10_005, pageCount: 167 });
  });
});
