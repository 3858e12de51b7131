/**
 * `npm run backup`: makes one database backup now (the same as the admin page's "Back up now"),
 * prints its key, size and rows, and prunes old backups. Exits 1 if it failed (an alert is raised).
 */
import { boot } from '../boot.js';

const booted = await boot();
let code = 0;
try {
  const started = Date.now();
  const { done } = await booted.deps.services.backups.start('cli');
  const b = await done;
  if (b.status === 'done') {
    console.log(`Backup ${b.id} done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${b.key} (${b.storage}), ${(b.size_bytes ?? 0).toLocaleString('en')} bytes, ${(b.row_count ?? 0).toLocaleString('en')} rows, SHA-256 ${b.sha256}`);
  } else {
    console.error(`Backup ${b.id} failed: ${b.error}`);
    code = 1;
  }
} catch (err) {
  console.error(`Backup not started: ${(err as Error).message}`);
  code = 1;
} finally {
  await booted.shutdown();
}
process.exit(code);
