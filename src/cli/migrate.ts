/** `npm run migrate` (and the Procfile's release step): applies pending migrations, or `--rollback`. */
import { boot } from '../boot.js';
import { migrateLatest, migrateRollback } from '../db/migrate.js';

const booted = await boot();
try {
  if (process.argv.includes('--rollback')) {
    const undone = await migrateRollback(booted.deps.db);
    console.log(undone.length ? `Rolled back: ${undone.join(', ')}` : 'Nothing to roll back.');
  } else {
    const applied = await migrateLatest(booted.deps.db);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  }
} finally {
  await booted.shutdown();
}
