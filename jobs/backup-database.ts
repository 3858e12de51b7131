import type { JobDefinition } from './types.js';

export const BACKUP_DATABASE = 'backup-database';

/**
 * The daily database backup. Every 10 minutes it asks the backup service whether today's backup
 * (India day, from BACKUP_HOUR_IST on) is still to be made; the first worker to claim the day's
 * slot makes it (a unique row, so two workers or two schedulers make one), then old backups are
 * pruned (7 daily, 4 weekly, 12 monthly). A worker that was down at the hour catches up later.
 */
export const backupDatabaseJob: JobDefinition = {
  name: BACKUP_DATABASE,
  every: '10 minutes',
  define(agenda, ctx) {
    agenda.define(BACKUP_DATABASE, async () => {
      await ctx.backups.runScheduled();
    });
  },
};
