import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedPostgres, type EmbeddedPg } from '../src/db/embedded.js';
import { createDb } from '../src/db/knex.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createDeps, type Deps } from '../src/deps.js';
import { createLogger } from '../src/lib/logger.js';
import { createScheduler, jobContextOf, type Scheduler } from '../src/scheduler.js';
import type { JobDefinition } from '../jobs/types.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { freePort } from './support/database.js';
import { makeProduct } from './support/factories.js';

/**
 * A managed database fails over or restarts: the web process and the job worker stay up, answer
 * 503 while it is away, and recover by themselves when it is back (issue 8, item 13). This runs
 * its own PostgreSQL, which it stops and starts under the running app.
 */
describe('the database stops and comes back under the running app', function () {
  this.timeout(120_000);
  let dir: string;
  let port: number;
  let pg: EmbeddedPg | undefined;
  let deps: Deps;
  let server: Server;
  let scheduler: Scheduler;
  const ticks: number[] = [];
  const tickJob: JobDefinition = { name: 'restart-test-tick', every: '1 second', define: (agenda) => agenda.define('restart-test-tick', async () => void ticks.push(Date.now())) };

  const startPg = async () => (pg = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), port, persistent: true }));
  const until = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'store-restart-'));
    chmodSync(dir, 0o755);
    port = await freePort();
    await startPg();
    await pg!.ensureDatabase('store');
    const url = pg!.urlFor('store');
    const migrator = createDb({ url, poolMax: 1 });
    await migrateLatest(migrator);
    await migrator.destroy();
    const config = loadConfig({ NODE_ENV: 'test', BASE_URL: 'http://store.test', LOG_LEVEL: 'silent', SMTP_URL: 'smtp://127.0.0.1:9', STORAGE_DIR: path.join(dir, 'files') });
    deps = createDeps(config, { databaseUrl: url, logger: createLogger({ level: 'silent' }) });
    server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    scheduler = createScheduler(jobContextOf(deps), { processEvery: 200, lockLifetimeMs: 2000, definitions: [tickJob] });
    await scheduler.start();
    await makeProduct(deps.db, { slug: 'restart-proof', title: 'Restart Proof' });
  });
  after(async () => {
    await scheduler?.stop(2000).catch(() => undefined);
    if (server) await new Promise((r) => server.close(r));
    await deps?.close();
    await pg?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays up, answers 503 while the database is away, and recovers sessions, queries and jobs when it returns', async () => {
    const http = supertest(server);
    const user = await makeUser(deps.db);
    const agent = supertest.agent(server);
    expect((await apiLogin(agent, user.email, user.password)).status).to.equal(200);
    await until('the job runs', async () => ticks.length > 0);

    await pg!.stop();
    // The process is still here and says so; the database is not.
    await http.get('/healthz').expect(200);
    await http.get('/readyz').expect(503);
    const page = await http.get('/products/restart-proof').set('Accept', 'text/html');
    expect(page.status).to.equal(503);
    expect(page.headers['retry-after']).to.equal('30');
    expect(page.text).to.include('We will be right back');
    const api = await agent.get('/api/auth/me');
    expect(api.status).to.equal(503);
    expect(api.body.error.code).to.equal('SERVICE_UNAVAILABLE');
    await new Promise((r) => setTimeout(r, 1500)); // the scheduler's loop and LISTEN client meet the outage

    await startPg();
    const ticksBefore = ticks.length;
    // Everything that arrives once it is back works, without a restart of the app.
    await until('ready again', async () => (await http.get('/readyz')).status === 200);
    await http.get('/products/restart-proof').expect(200);
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.user.email).to.equal(user.email);
    await until('the job runs again', async () => ticks.length > ticksBefore);
    for (let i = 0; i < 10; i++) await http.get('/products').expect(200);
  });
});
