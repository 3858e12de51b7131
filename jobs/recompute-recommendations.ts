import type { JobDefinition } from './types.js';

export const RECOMPUTE_RECOMMENDATIONS = 'recompute-recommendations';

/**
 * Recomputes every product's neighbour list and the trending list (services/recommendation-
 * service.ts) every 6 hours: trending follows the week (3-day half-life), and a full run at
 * 100,000 products takes a couple of minutes. Agenda runs it on one worker at a time, and the
 * service takes an advisory lock too, so `npm run recommendations` or a second scheduler starting
 * it at the same moment skips instead of writing twice.
 */
export const recomputeRecommendationsJob: JobDefinition = {
  name: RECOMPUTE_RECOMMENDATIONS,
  every: '6 hours',
  define(agenda, ctx) {
    agenda.define(RECOMPUTE_RECOMMENDATIONS, async () => {
      const report = await ctx.recommendations.recompute();
      if ('skipped' in report) ctx.logger.info('recommendations recompute already running elsewhere; skipped');
    });
  },
};
