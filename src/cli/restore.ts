/**
 * `npm run restore -- <backup key or file> [--force]`
 * Restores a backup made by `npm run backup` (or the daily job) into this store's database:
 *   - the key as listed on /admin/backups (backups/2026/12/20261201-210000-1a2b3c4d.copy.gz), read
 *     from the configured storage (S3 or BACKUP_DIR), or the path of a downloaded .copy.gz file
 *     with its .manifest.json beside it;
 *   - the checksum is verified first; the database must be empty (no rows in any store table),
 *     or --force empties every store table (sessions too: everyone signs in again) first;
 *   - the schema is built by the migrations up to the backup's version, the rows are loaded in
 *     one transaction, sequences moved past the highest ids and every row count checked; then the
 *     remaining migrations of this release run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { boot } from '../boot.js';
import { migrateLatest } from '../db/migrate.js';
import { restoreDatabase } from '../services/backup-dump.js';
import { BACKUP_PREFIX, createLocalBackupStorage, createS3BackupStorage } from '../services/backup-storage.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
const source = positionals[0];
if (!source || positionals.length > 1) {
  console.error('Usage: npm run restore -- <backup key or .copy.gz file> [--force]');
  process.exit(2);
}

const booted = await boot();
let code = 0;
try {
  const { config } = booted;
  // A file on this machine (its folder becomes a one-off local backup store), else a storage key.
  const isFile = !source.startsWith(BACKUP_PREFIX) && existsSync(source);
  const storage = isFile ? createLocalBackupStorage(path.dirname(path.resolve(source))) : config.s3 ? createS3BackupStorage({ ...config.s3, sse: config.backups.sse }) : createLocalBackupStorage(config.backups.dir);
  const key = isFile ? `${BACKUP_PREFIX}${path.basename(source)}` : source;
  const result = await restoreDatabase({ target: { url: booted.database.url, ssl: config.databaseSsl }, db: booted.deps.db, storage, key, force: values.force, log: (m) => console.log(m) });
  const rows = result.tables.reduce((a, t) => a + t.rows, 0);
  console.log(`Restored ${result.tables.length} tables, ${rows.toLocaleString('en')} rows from ${key} (taken ${result.manifest.createdAt}) in ${(result.ms / 1000).toFixed(1)} s; every row count matches the manifest.`);
  const applied = await migrateLatest(booted.deps.db);
  if (applied.length) console.log(`Then applied this release's newer migrations: ${applied.join(', ')}`);
} catch (err) {
  console.error(`Restore failed: ${(err as Error).message}`);
  code = 1;
} finally {
  await booted.shutdown();
}
process.exit(code);
