import { boot } from './boot.js';
import { createScheduler, jobContextOf } from './scheduler.js';

/** Jobs entry (Procfile `worker`): runs Agenda against the store's PostgreSQL until SIGTERM. */
const booted = await boot();
const { deps, logger } = booted;
const scheduler = createScheduler(jobContextOf(deps));
await scheduler.start();
logger.info('worker started');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'worker stopping: letting running jobs finish');
  // A job still running after 25 s is unlocked and picked up again by another worker later.
  await scheduler.stop(25_000);
  await booted.shutdown();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
