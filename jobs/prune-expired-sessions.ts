import type { JobContext, JobDefinition } from './types.js';

export const PRUNE_EXPIRED_SESSIONS = 'prune-expired-sessions';

/**
 * Deletes sessions whose idle expiry has passed. Doing it in one job (rather than a timer in every
 * web process, connect-pg-simple's default) keeps web processes free of background work.
 */
export async function pruneExpiredSessions(ctx: Pick<JobContext, 'db' | 'clock'>): Promise<number> {
  const now = ctx.clock.now();
  // Expired one-time tokens and rate-limit counters go too; they are useless once expired.
  await ctx.db('user_tokens').where('expires_at', '<', new Date(now.getTime() - 86_400_000)).delete();
  await ctx.db('rate_limits').where('expire', '<', now.getTime()).delete();
  return ctx.db('session').where('expire', '<', now).delete();
}

export const pruneExpiredSessionsJob: JobDefinition = {
  name: PRUNE_EXPIRED_SESSIONS,
  every: '1 hour',
  define(agenda, ctx) {
    agenda.define(PRUNE_EXPIRED_SESSIONS, async () => {
      const removed = await pruneExpiredSessions(ctx);
      ctx.logger.info({ removed }, 'pruned expired sessions');
    });
  },
};
