import { createApp } from './app.js';
import { boot } from './boot.js';
import { migrateLatest } from './db/migrate.js';
import type { Scheduler } from './scheduler.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { attachDemoFiles } from '../seeds/demo-files.js';
import { describeDevAdmin, ensureDevAdmin } from '../seeds/dev-admin.js';

/**
 * Web entry. In development one command runs everything: the embedded database, migrations, the
 * demo catalog and the job worker. In production (Procfile) migrations run in the release step and
 * the worker is its own process.
 */
const started = Date.now();
const booted = await boot();
const { config, logger, deps } = booted;

if (!config.isProduction) {
  const applied = await migrateLatest(deps.db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  if (config.seedDemoData) {
    const added = await seedDemoCatalog(deps.db);
    if (added) logger.info({ added }, 'demo catalog seeded');
    const files = await attachDemoFiles(deps.db, deps.storage, config.storeName);
    if (files) logger.info({ files }, 'demo product files generated');
  }
}

let scheduler: Scheduler | undefined;
if (config.runWorkerInWeb) {
  // Loaded only here: a production web process (jobs in their own worker) never holds Agenda.
  const { createScheduler, jobContextOf } = await import('./scheduler.js');
  scheduler = createScheduler(jobContextOf(deps));
  await scheduler.start();
}

// This process serves guest pages from memory while it hears every catalog change.
deps.catalogChanges.start();
const app = createApp(deps);
const server = app.listen(config.port, config.host);
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
}).catch(async (err: NodeJS.ErrnoException) => {
  logger.fatal({ err }, err.code === 'EADDRINUSE' ? `port ${config.port} is in use; set PORT to another port` : 'could not listen');
  await scheduler?.stop(1000);
  await booted.shutdown();
  process.exit(1);
});
// Keep-alive longer than a typical load balancer's idle timeout, so it never reuses a closed socket.
server.keepAliveTimeout = 65_000;

logger.info({ url: config.baseUrl, ms: Date.now() - started, database: booted.database.embedded ? 'embedded' : 'DATABASE_URL' }, 'store ready');
if (!config.isProduction) {
  const admin = await ensureDevAdmin(deps.db, config.devAdmin);
  console.log(`\n  ${config.storeName} is running at ${config.baseUrl}\n  ${describeDevAdmin(admin, config.devAdmin.file)}\n`);
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing open requests');
  // Stop accepting, let in-flight requests finish, and force-close whatever is left after 10 s.
  const force = setTimeout(() => server.closeAllConnections(), 10_000).unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  clearTimeout(force);
  await scheduler?.stop(10_000);
  await booted.shutdown();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
