import type { JobContext, JobDefinition } from './types.js';

export const PRUNE_SENT_MAIL = 'prune-sent-mail';

/**
 * Deletes outbox rows of mail sent (or given up on) longer ago than MAIL_RETENTION_DAYS, in
 * batches. Their bodies are already gone (dropped at sending); the rows are kept a while so an
 * admin can see what was sent to whom.
 */
export async function pruneSentMail(ctx: Pick<JobContext, 'mail' | 'retention'>): Promise<number> {
  return ctx.mail.pruneOlderThan(ctx.retention.mailDays);
}

export const pruneSentMailJob: JobDefinition = {
  name: PRUNE_SENT_MAIL,
  every: '1 day',
  define(agenda, ctx) {
    agenda.define(PRUNE_SENT_MAIL, async () => {
      const removed = await pruneSentMail(ctx);
      if (removed) ctx.logger.info({ removed }, 'pruned sent mail');
    });
  },
};
