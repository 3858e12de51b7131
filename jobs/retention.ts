import type { JobDefinition } from './types.js';

export const RETENTION = 'retention';

/**
 * The nightly trim of log-like tables (src/services/retention-service.ts). Agenda runs it every
 * 10 minutes on one worker at a time; the service runs the pass once per India day, after
 * RETENTION_AT, for whichever worker claims that day's row first. So a worker that was down at
 * 03:30 still trims on its next tick, and two schedulers never run the pass twice (if they did,
 * the deletes are by cut-off and would find nothing more to do).
 */
export const retentionJob: JobDefinition = {
  name: RETENTION,
  every: '10 minutes',
  define(agenda, ctx) {
    agenda.define(RETENTION, async () => {
      await ctx.retentionService.runIfDue();
    });
  },
};
