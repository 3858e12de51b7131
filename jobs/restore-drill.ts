import type { JobDefinition } from './types.js';

export const RESTORE_DRILL = 'restore-drill';

/**
 * The weekly restore drill: a backup is trusted only once it has been restored. Every 6 hours it
 * asks whether the last drill is a week old; if so it restores the newest backup into a scratch
 * database, compares every table's row count with the manifest, marks the backup verified and
 * raises restore_drill_failed on any difference or error (one worker at a time).
 */
export const restoreDrillJob: JobDefinition = {
  name: RESTORE_DRILL,
  every: '6 hours',
  define(agenda, ctx) {
    agenda.define(RESTORE_DRILL, async () => {
      await ctx.backups.drillIfDue();
    });
  },
};
