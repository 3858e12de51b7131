import type { JobDefinition } from './types.js';

export const ROLLUP_ANALYTICS = 'rollup-analytics';

/**
 * Keeps the dashboards' daily rollups (analytics_daily): every 15 minutes it re-rolls the last
 * two closed India days (a late webhook or refund lands there) and fills any gap of the last
 * 400 days, a bounded batch at a time. Agenda runs it on one worker at a time.
 */
export const rollupAnalyticsJob: JobDefinition = {
  name: ROLLUP_ANALYTICS,
  every: '15 minutes',
  define(agenda, ctx) {
    agenda.define(ROLLUP_ANALYTICS, async () => {
      const days = await ctx.analytics.rollupRecent();
      if (days.length > 2) ctx.logger.info({ days: days.length }, 'rolled up analytics days');
    });
  },
};
