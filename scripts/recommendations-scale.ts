/**
 * The recommendations recompute at scale: 100,000 products and 1,000,000 behaviour events (the
 * bench's cart events, 600,000 of them adds, plus 400,000 product views) in a temp embedded
 * PostgreSQL; prints the recompute's time and peak memory, then times the recommendation
 * requests against the production build (BENCH_REQUESTS=0 skips that).
 *   npx tsx scripts/recommendations-scale.ts
 *   BENCH_PRODUCTS=20000 BENCH_EVENTS=200000 BENCH_VIEWS=100000 npx tsx scripts/recommendations-scale.ts
 */
import path from 'node:path';
import knex from 'knex';
import { migrateLatest } from '../src/db/migrate.js';
import { hashPassword } from '../src/lib/passwords.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { benchRecommendationRequests, loadRecommendationSignals, recomputeAtScale } from './bench/recommendations.js';
import { loadScaleData } from './bench/scale-data.js';
import { buildProduction, freePort, productionEnv, signIn, startBenchDatabase, startServerProcess } from './bench/support.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const M = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const V = Number(process.env.BENCH_VIEWS ?? 400_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const email = 'recs-scale@example.test';
const password = 'bench passphrase 1';

const database = await startBenchDatabase();
const db = knex({ client: 'pg', connection: database.url, pool: { min: 0, max: 4 } });
try {
  await migrateLatest(db);
  await seedDemoCatalog(db);
  const loaded = await loadScaleData(db, { products: N, events: M });
  await db('users').insert({ email, name: 'Scale', password_hash: await hashPassword(password), email_verified_at: new Date() });
  await loadRecommendationSignals(db, { views: V, email, userViews: 60 });
  console.log(`loaded ${N.toLocaleString('en')} products, ${M.toLocaleString('en')} cart events and ${V.toLocaleString('en')} views (${((loaded.productMs + loaded.eventMs) / 1000).toFixed(1)} s)`);
  const before = Math.round(process.memoryUsage().rss / 1024 / 1024);
  const r = await recomputeAtScale(db);
  const [{ rows }] = [(await db.raw('SELECT count(*)::int AS n, pg_size_pretty(pg_total_relation_size(\'product_recommendations\')) AS size FROM product_recommendations')) as { rows: { n: number; size: string }[] }];
  console.log(
    `recompute: ${r.products.toLocaleString('en')} products, ${r.signals.toLocaleString('en')} signals → ${r.neighbours.toLocaleString('en')} neighbours (${rows[0]!.n.toLocaleString('en')} rows, ${rows[0]!.size}), ${r.trending} trending\n` +
      `time ${(r.durationMs / 1000).toFixed(1)} s (read ${(r.phases.readMs / 1000).toFixed(1)} s, compute ${(r.phases.computeMs / 1000).toFixed(1)} s, write and trending ${(r.phases.writeMs / 1000).toFixed(1)} s); RSS before ${before} MB, peak during the run ${r.peakRssMb} MB (sampled), process max RSS ${r.maxRssMb} MB`,
  );
  // Then each recommendation request, one at a time, against the production build in its own process.
  if (REQUESTS > 0) {
    const build = buildProduction();
    const store = await startServerProcess(path.join(build, 'src/server.js'), productionEnv(database.url, await freePort()), '/healthz');
    try {
      const user = await signIn(store.url, email, password);
      let seed = 7;
      const slug = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const g = 1 + (seed % N);
        return `scale-${g % 20 === 0 ? g + 1 : g}`;
      };
      console.log(`\n${REQUESTS} requests each, one at a time (ms)`);
      console.table(await benchRecommendationRequests({ url: store.url, cookie: user.cookie, requests: REQUESTS, headers: { 'X-Forwarded-Proto': 'https' }, slug }));
    } finally {
      await store.stop();
    }
  }
} finally {
  await db.destroy();
  await database.stop();
}
