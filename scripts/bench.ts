/**
 * Measures the catalog under load beside a bare Express "hello" in the same run, so the numbers
 * say how much our stack costs rather than how fast this machine is.
 *   npm run bench            (embedded PostgreSQL in a temp folder, demo catalog)
 *   BENCH_SECONDS=20 npm run bench -- /products /api/products
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/lib/logger.js';
import { hashPassword } from '../src/lib/passwords.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const paths = process.argv.slice(2).length ? process.argv.slice(2) : ['/products', '/products?q=lightroom', '/api/products', '/products/mukta-display'];

function listen(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

async function measure(name: string, url: string, extra: Partial<autocannon.Options> = {}) {
  const r = await autocannon({ url, connections, duration: seconds, ...extra });
  const non2xx = r.non2xx + r.errors;
  return { name, 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, errors: non2xx };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'store-bench-'));
chmodSync(dir, 0o755);
const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: 54000 + Math.floor(Math.random() * 1000), persistent: false });
await pg.ensureDatabase('bench');
const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: pg.urlFor('bench'), SESSION_SECRET: 'b'.repeat(40), BASE_URL: 'http://localhost', SMTP_URL: 'smtp://127.0.0.1:1', MAIL_FROM: 'Bench <b@localhost>', RAZORPAY_KEY_ID: 'rzp_live_Bench1', RAZORPAY_KEY_SECRET: 'k', RAZORPAY_WEBHOOK_SECRET: 'w', DATA_ENCRYPTION_KEY: 'f'.repeat(64), LOG_LEVEL: 'warn' });
const deps = createDeps(config, { databaseUrl: pg.urlFor('bench'), logger: createLogger({ level: 'warn' }) });
await migrateLatest(deps.db);
await seedDemoCatalog(deps.db);

const hello = express();
hello.get('/', (_req, res) => {
  res.send('hello');
});
const bare = await listen(hello);
const store = await listen(createApp(deps));

const rows = [await measure('bare express "hello"', bare.url + '/')];
for (const p of paths) rows.push(await measure(`store ${p}`, store.url + p));

// POST /api/cart/add as a signed-in user: session lookup, user load, product and ownership
// checks, the upsert and its analytics event in one transaction, then the priced cart.
const email = 'bench@example.test';
await deps.db('users').insert({ email, name: 'Bench', password_hash: await hashPassword('bench passphrase 1'), email_verified_at: new Date() });
// Production cookies are Secure: say the request came through an HTTPS proxy, as on a PaaS.
const https = { 'X-Forwarded-Proto': 'https' };
const first = await fetch(store.url + '/api/auth/csrf', { headers: https });
let cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
const firstToken = ((await first.json()) as { csrfToken: string }).csrfToken;
const login = await fetch(store.url + '/api/auth/login', {
  method: 'POST',
  headers: { ...https, 'Content-Type': 'application/json', 'X-CSRF-Token': firstToken, Cookie: cookie },
  body: JSON.stringify({ email, password: 'bench passphrase 1' }),
});
cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
const csrfToken = ((await login.json()) as { csrfToken: string }).csrfToken;
if (login.status !== 200 || !cookie.startsWith('sid=')) throw new Error(`bench login failed: ${login.status}`);
const product = (await deps.db('products').where({ slug: 'mukta-display' }).first()) as { id: number };
rows.push(
  await measure('store POST /api/cart/add (signed in)', store.url + '/api/cart/add', {
    method: 'POST',
    headers: { ...https, 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken, Cookie: cookie },
    body: JSON.stringify({ productId: product.id }),
  }),
);
console.log(`\nautocannon -c ${connections} -d ${seconds}, production mode (view cache on, logs at warn), ${os.cpus().length} cores`);
console.table(rows);

// autocannon stops with requests still queued in the app; let them finish before closing pools.
await new Promise((r) => setTimeout(r, 1500));
await bare.close();
await store.close();
await deps.close();
await pg.stop();
rmSync(dir, { recursive: true, force: true });
