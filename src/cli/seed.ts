/** `npm run seed`: migrates, then adds the demo catalog (if the catalog is empty) and the dev admin. */
import { boot } from '../boot.js';
import { migrateLatest } from '../db/migrate.js';
import { seedDemoCatalog } from '../../seeds/demo-catalog.js';
import { attachDemoFiles } from '../../seeds/demo-files.js';
import { describeDevAdmin, ensureDevAdmin } from '../../seeds/dev-admin.js';

const booted = await boot();
try {
  if (booted.config.isProduction) throw new Error('The demo seed never runs in production.');
  await migrateLatest(booted.deps.db);
  const added = await seedDemoCatalog(booted.deps.db);
  console.log(added ? `Added ${added} demo products.` : 'Catalog already has products; demo catalog not added.');
  const files = await attachDemoFiles(booted.deps.db, booted.deps.storage, booted.config.storeName);
  if (files) console.log(`Generated ${files} demo product files.`);
  console.log(describeDevAdmin(await ensureDevAdmin(booted.deps.db, booted.config.devAdmin), booted.config.devAdmin.file));
} finally {
  await booted.shutdown();
}
