/**
 * The store under load beside a bare Express "hello", measured in the same run so the ratios say
 * what our stack costs rather than how fast this machine is. Both servers are production builds
 * in their own processes; this process only generates the load (autocannon).
 *   npm run bench                               (demo catalog on a temp embedded PostgreSQL)
 *   BENCH_SECONDS=20 BENCH_CONNECTIONS=50 npm run bench -- /products /api/products
 */
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import knex from 'knex';
import { migrateLatest } from '../src/db/migrate.js';
import { hashPassword } from '../src/lib/passwords.js';
import { rootDir } from '../src/lib/paths.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { buildProduction, freePort, procfileWebNodeArgs, productionEnv, signIn, startBenchDatabase, startServerProcess, type ServerProcess } from './bench/support.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const args = process.argv.slice(2);
const guestPaths = args.length ? args : ['/', '/products', '/products?q=lightroom', '/products/mukta-display', '/api/products'];
// Production cookies are Secure: the requests say they came through an HTTPS proxy, as on a PaaS.
const https = { 'X-Forwarded-Proto': 'https' };

interface Row {
  name: string;
  'req/s': number;
  'x hello': string;
  'p50 ms': number;
  'p99 ms': number;
  'RSS MB': number;
  errors: number;
}

async function measure(name: string, server: ServerProcess, urlPath: string, extra: Partial<autocannon.Options> = {}, hello?: number): Promise<Row> {
  const r = await autocannon({ url: server.url + urlPath, connections, duration: seconds, headers: https, ...extra });
  const rps = Math.round(r.requests.average);
  return { name, 'req/s': rps, 'x hello': hello ? (rps / hello).toFixed(2) : '1.00', 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, 'RSS MB': server.rssMb(), errors: r.non2xx + r.errors };
}

const database = await startBenchDatabase();
const build = buildProduction();
const db = knex({ client: 'pg', connection: database.url });
await migrateLatest(db);
await seedDemoCatalog(db);
const email = 'bench@example.test';
const password = 'bench passphrase 1';
await db('users').insert({ email, name: 'Bench', password_hash: await hashPassword(password), email_verified_at: new Date() });
const product = (await db('products').where({ slug: 'mukta-display' }).first()) as { id: number };
await db.destroy();

const hello = await startServerProcess(path.join(rootDir, 'scripts/bench/hello.mjs'), { PATH: process.env.PATH, PORT: String(await freePort()) }, '/', []);
const store = await startServerProcess(path.join(build, 'src/server.js'), productionEnv(database.url, await freePort()), '/healthz');
const rows: Row[] = [];
try {
  const bare = await measure('bare express "hello"', hello, '/');
  rows.push(bare);
  const base = bare['req/s'];
  for (const p of guestPaths) rows.push(await measure(`guest GET ${p}`, store, p, {}, base));

  const user = await signIn(store.url, email, password);
  const asUser = { headers: { ...https, Cookie: user.cookie } };
  rows.push(await measure('signed in GET /products', store, '/products', asUser, base));
  // Session and user lookup, product and ownership checks, the upsert and its analytics event
  // in one transaction, then the priced cart.
  rows.push(
    await measure('signed in POST /api/cart/add', store, '/api/cart/add', {
      method: 'POST',
      headers: { ...https, 'Content-Type': 'application/json', 'X-CSRF-Token': user.csrfToken, Cookie: user.cookie },
      body: JSON.stringify({ productId: product.id }),
    }, base),
  );
} finally {
  // autocannon stops with requests still queued in the app; SIGTERM lets them finish first.
  await Promise.all([hello.stop(), store.stop()]);
  await database.stop();
}
console.log(`\nautocannon -c ${connections} -d ${seconds} from its own process; both servers in their own processes, the store as the Procfile starts it (node ${procfileWebNodeArgs().join(' ')}); ${os.cpus().length} cores`);
console.table(rows);
