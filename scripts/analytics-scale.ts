/**
 * The dashboards' queries at scale, in this process (no HTTP): 100,000 products, 1,000,000 cart
 * events, 100,000 orders and 1,000,000 sign-ins, then the cold roll-up of 180 days and each
 * dashboard's service call for 90 days timed (p50/p95 of 30). For a quick look at the queries;
 * npm run bench:scale times the same pages over HTTP.
 *   npx tsx scripts/analytics-scale.ts
 */
import knex from 'knex';
import { migrateLatest } from '../src/db/migrate.js';
import { systemClock } from '../src/lib/clock.js';
import { resolveRange } from '../src/lib/date-range.js';
import { createAnalyticsModel } from '../src/models/analytics.js';
import { createAnalyticsService } from '../src/services/analytics-service.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { loadAnalyticsData } from './bench/analytics-data.js';
import { loadScaleData } from './bench/scale-data.js';
import { percentile, startBenchDatabase } from './bench/support.js';

const database = await startBenchDatabase();
const db = knex({ client: 'pg', connection: database.url, pool: { min: 0, max: 10 } });
try {
  await migrateLatest(db);
  await seedDemoCatalog(db);
  await loadScaleData(db, { products: Number(process.env.BENCH_PRODUCTS ?? 100_000), events: Number(process.env.BENCH_EVENTS ?? 1_000_000) });
  const loaded = await loadAnalyticsData(db, { customers: 50_000, orders: Number(process.env.BENCH_ORDERS ?? 100_000), logins: Number(process.env.BENCH_LOGINS ?? 1_000_000) });
  console.log(`data loaded (analytics part ${(loaded.ms / 1000).toFixed(1)} s)`);
  const analytics = createAnalyticsService({ analytics: createAnalyticsModel(db as never, { abandonHours: 24 }), clock: systemClock, abandonHours: 24 });
  const range = resolveRange({ range: '90d' }, new Date());
  let t = performance.now();
  await analytics.overview(range);
  console.log(`cold: rolled up 180 days in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const one = performance.now();
  await analytics.rollup(range.from);
  console.log(`one day's roll-up: ${(performance.now() - one).toFixed(0)} ms`);
  const rows: Record<string, string | number>[] = [];
  for (const [name, call] of [
    ['overview 90d', () => analytics.overview(range)],
    ['purchases 90d', () => analytics.purchases(range)],
    ['logins 90d', () => analytics.logins(range)],
    ['abandonment 90d', () => analytics.abandonment(range)],
  ] as const) {
    const ms: number[] = [];
    for (let i = 0; i < 30; i++) {
      t = performance.now();
      await call();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    rows.push({ call: name, p50: Number(percentile(ms, 50).toFixed(1)), p95: Number(percentile(ms, 95).toFixed(1)) });
  }
  console.table(rows);
} finally {
  await db.destroy();
  await database.stop();
}
