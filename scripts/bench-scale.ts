/**
 * The store at scale: N products (default 100,000) and M behaviour events (default 1,000,000)
 * loaded with SQL into a temp embedded PostgreSQL (default settings), then each request timed
 * one at a time against the production build in its own process; prints p50/p95 per request,
 * as a guest and signed in (signed-in pages never come from the shared page cache).
 *   npm run bench:scale
 *   BENCH_PRODUCTS=20000 BENCH_EVENTS=100000 BENCH_REQUESTS=100 npm run bench:scale
 *   BENCH_EXPLAIN=1 npm run bench:scale     (then EXPLAIN ANALYZE of each request's statements)
 */
import path from 'node:path';
import knex from 'knex';
import { migrateLatest } from '../src/db/migrate.js';
import { hashPassword } from '../src/lib/passwords.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { explainCatalog } from './bench/explain-catalog.js';
import { SCALE_TAGS, SCALE_WORDS, loadScaleData } from './bench/scale-data.js';
import { loadAnalyticsData } from './bench/analytics-data.js';
import { benchRecommendationRequests, prepareRecommendations } from './bench/recommendations.js';
import { buildProduction, freePort, percentile, productionEnv, signIn, startBenchDatabase, startServerProcess } from './bench/support.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const M = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const https = { 'X-Forwarded-Proto': 'https' };

const database = await startBenchDatabase();
const build = buildProduction();
const db = knex({ client: 'pg', connection: database.url });
await migrateLatest(db);
await seedDemoCatalog(db);
const loaded = await loadScaleData(db, { products: N, events: M });
// The dashboards' data: 100,000 orders and 1,000,000 sign-ins by 50,000 customers over 120 days.
const ORDERS = Number(process.env.BENCH_ORDERS ?? 100_000);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 1_000_000);
const analyticsLoad = await loadAnalyticsData(db, { customers: 50_000, orders: ORDERS, logins: LOGINS });
console.log(`loaded ${ORDERS.toLocaleString('en')} orders and ${LOGINS.toLocaleString('en')} sign-ins in ${(analyticsLoad.ms / 1000).toFixed(1)} s`);
const [{ visible }] = (await db('products').where({ is_visible: true }).count({ visible: '*' })) as [{ visible: string }];
const categories = (await db('categories').orderBy('id').pluck('slug')) as string[];
const email = 'scale@example.test';
const password = 'bench passphrase 1';
await db('users').insert({ email, name: 'Scale', password_hash: await hashPassword(password), email_verified_at: new Date() });
const adminEmail = 'scale-admin@example.test';
await db('users').insert({ email: adminEmail, name: 'Scale Admin', role: 'admin', password_hash: await hashPassword(password), email_verified_at: new Date() });
// Recommendations: their signals and one recompute before the store starts (scripts/bench/recommendations.ts).
await prepareRecommendations(db, email);
await db.destroy();
console.log(`loaded ${N.toLocaleString('en')} products in ${(loaded.productMs / 1000).toFixed(1)} s and ${M.toLocaleString('en')} cart events in ${(loaded.eventMs / 1000).toFixed(1)} s; ${Number(visible).toLocaleString('en')} visible`);


// Each request varies its parameter where it has one, so a cache of the last answer cannot hide the work.
let seed = 7;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
const visibleSlug = () => {
  let g = 1 + rand(N);
  if (g % 20 === 0) g++;
  return `/products/scale-${g}`;
};
let catalogPages = 0;
let apiPages = 0;
const routes: { name: string; path: () => string }[] = [
  { name: '/', path: () => '/' },
  { name: '/products', path: () => '/products' },
  { name: '/products?page=<90% deep>', path: () => `/products?page=${Math.floor(catalogPages * 0.9) + rand(Math.max(1, Math.floor(catalogPages * 0.05)))}` },
  { name: '/products?category=…&sort=price-asc', path: () => `/products?category=${categories[rand(categories.length)]}&sort=price-asc` },
  { name: '/products?q=<one word>', path: () => `/products?q=${SCALE_WORDS[rand(SCALE_WORDS.length)]}` },
  { name: '/products?tag=…', path: () => `/products?tag=${SCALE_TAGS[rand(SCALE_TAGS.length)]}` },
  { name: '/products/<slug>', path: visibleSlug },
  { name: '/api/products?sort=rating&page=N', path: () => `/api/products?sort=rating&page=${1 + rand(apiPages)}` },
];

// The back office at the same scale, as an admin (never cached).
const adminRoutes: { name: string; path: () => string }[] = [
  // The owner's overview over 90 days (the warm-up requests roll up the days it reads).
  { name: '/admin?range=90d (overview)', path: () => '/admin?range=90d' },
  { name: '/admin/analytics/purchases?range=90d', path: () => '/admin/analytics/purchases?range=90d' },
  { name: '/admin/analytics/logins?range=90d', path: () => '/admin/analytics/logins?range=90d' },
  { name: '/admin/analytics/abandonment?range=90d', path: () => '/admin/analytics/abandonment?range=90d' },
  { name: '/admin/analytics/logins?range=custom (60 days)', path: () => `/admin/analytics/logins?range=custom&from=${new Date(Date.now() - 95 * 864e5).toISOString().slice(0, 10)}&to=${new Date(Date.now() - 36 * 864e5).toISOString().slice(0, 10)}` },
  { name: '/admin/products', path: () => '/admin/products' },
  { name: '/admin/products?q=<part of a title>', path: () => `/admin/products?q=${SCALE_WORDS[rand(SCALE_WORDS.length)]!.slice(1, 5)}` },
  { name: '/admin/products?category=…&status=hidden&sort=price-desc', path: () => `/admin/products?category=${1 + rand(categories.length)}&status=hidden&sort=price-desc` },
  { name: '/admin/products?sort=title&page=<deep>', path: () => `/admin/products?sort=title&page=${150 + rand(50)}` },
];

// The bench admin signs in with a password alone (two-step sign-in is another test's business).
const store = await startServerProcess(path.join(build, 'src/server.js'), productionEnv(database.url, await freePort(), { REQUIRE_ADMIN_2FA: 'false' }), '/healthz');
const rows: Record<string, string | number>[] = [];
const adminRows: Record<string, string | number>[] = [];
try {
  // The pages a shopper can reach, as the store reports them (its depth cap included).
  catalogPages = Number(/page 1 of ([\d,]+)/.exec(await (await fetch(store.url + '/products', { headers: https })).text())![1]!.replace(/,/g, ''));
  apiPages = ((await (await fetch(store.url + '/api/products?sort=rating', { headers: https })).json()) as { pageCount: number }).pageCount;
  const user = await signIn(store.url, email, password);
  const time = async (headers: Record<string, string>, p: string) => {
    const start = performance.now();
    const res = await fetch(store.url + p, { headers, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
    return performance.now() - start;
  };
  const admin = await signIn(store.url, adminEmail, password);
  for (const route of adminRoutes) {
    const ms: number[] = [];
    for (let i = 0; i < 10; i++) await time({ ...https, Cookie: admin.cookie }, route.path());
    for (let i = 0; i < REQUESTS; i++) ms.push(await time({ ...https, Cookie: admin.cookie }, route.path()));
    ms.sort((a, b) => a - b);
    adminRows.push({ request: route.name, 'admin p50': Number(percentile(ms, 50).toFixed(1)), 'admin p95': Number(percentile(ms, 95).toFixed(1)) });
  }
  for (const route of routes) {
    const row: Record<string, string | number> = { request: route.name };
    for (const [who, headers] of [['guest', https], ['signed in', { ...https, Cookie: user.cookie }]] as const) {
      for (let i = 0; i < 10; i++) await time(headers, route.path());
      const ms: number[] = [];
      for (let i = 0; i < REQUESTS; i++) ms.push(await time(headers, route.path()));
      ms.sort((a, b) => a - b);
      row[`${who} p50`] = Number(percentile(ms, 50).toFixed(1));
      row[`${who} p95`] = Number(percentile(ms, 95).toFixed(1));
    }
    rows.push(row);
  }
  console.log(`\n${REQUESTS} requests each, one at a time, production build in its own process, ${N.toLocaleString('en')} products, ${M.toLocaleString('en')} events (ms)`);
  console.table(rows);
  console.table(adminRows);
  // Recommendations, as a guest and as the signed-in bench user (who has a history).
  console.table(await benchRecommendationRequests({ url: store.url, cookie: user.cookie, requests: REQUESTS, headers: https, slug: () => visibleSlug().slice('/products/'.length) }));
  if (process.env.BENCH_EXPLAIN) await explainCatalog(database.url, { slug: visibleSlug().slice('/products/'.length), category: categories[0]!, word: SCALE_WORDS[0]!, tag: SCALE_TAGS[0]! });
} finally {
  await store.stop();
  await database.stop();
}
