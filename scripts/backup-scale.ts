/**
 * Backup and restore at scale: the demo store, then N products (default 100,000) and M cart events
 * (default 1,000,000) loaded as bench-scale does, into a temp embedded PostgreSQL; times the
 * app's logical backup (COPY → gzip → SHA-256 → a local folder), its size and peak memory, and a
 * restore into a fresh empty database.
 *   npx tsx scripts/backup-scale.ts
 *   BENCH_PRODUCTS=20000 BENCH_EVENTS=100000 npx tsx scripts/backup-scale.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../src/db/knex.js';
import { migrateLatest } from '../src/db/migrate.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { dumpDatabase, restoreDatabase } from '../src/services/backup-dump.js';
import { createLocalBackupStorage } from '../src/services/backup-storage.js';
import { loadScaleData } from './bench/scale-data.js';
import { startBenchDatabase } from './bench/support.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const M = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const database = await startBenchDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'store-backup-scale-'));
const storage = createLocalBackupStorage(dir);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function measure(label: string, key: string) {
  peakRss = process.memoryUsage().rss;
  const t0 = Date.now();
  const m = await dumpDatabase({ url: database.url }, storage, key, () => new Date());
  const backupMs = Date.now() - t0;
  const backupRss = peakRss;
  const url = new URL(database.url);
  const name = `restore_${Date.now()}`;
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  url.pathname = `/${name}`;
  const target = createDb({ url: url.toString(), poolMax: 2 });
  peakRss = process.memoryUsage().rss;
  const t1 = Date.now();
  const r = await restoreDatabase({ target: { url: url.toString() }, db: target, storage, key });
  const restoreMs = Date.now() - t1;
  await target.destroy();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
  console.log(`${label}: ${m.totalRows.toLocaleString('en')} rows in ${m.tables.length} tables → ${mb(m.sizeBytes)} gzip; backup ${(backupMs / 1000).toFixed(1)} s (peak RSS ${mb(backupRss)}), restore + checks ${(restoreMs / 1000).toFixed(1)} s (peak RSS ${mb(peakRss)}); ${r.tables.every((x) => x.rows === x.expected) ? 'all counts match' : 'COUNTS DIFFER'}`);
}

try {
  const db = createDb({ url: database.url, poolMax: 2 });
  await migrateLatest(db);
  await seedDemoCatalog(db);
  await measure('demo store (seed)', 'backups/scale/demo.copy.gz');
  const loaded = await loadScaleData(db, { products: N, events: M });
  console.log(`loaded ${N.toLocaleString('en')} products and ${M.toLocaleString('en')} events in ${((loaded.productMs + loaded.eventMs) / 1000).toFixed(1)} s`);
  await db.destroy();
  await measure(`${N.toLocaleString('en')} products + ${M.toLocaleString('en')} events`, 'backups/scale/scale.copy.gz');
} finally {
  clearInterval(sampler);
  await database.stop();
  rmSync(dir, { recursive: true, force: true });
}
