import type { JobDefinition } from './types.js';

export const SEND_NEWSLETTER = 'send-newsletter';

/**
 * Every minute: starts scheduled newsletter issues whose time has come and keeps sending those
 * under way, at NEWSLETTER_RATE_PER_MINUTE, for up to 50 seconds a run (so runs do not pile up).
 * A worker killed mid-run loses nothing: the next run takes up where the send rows say it stopped
 * (see services/newsletter-issue-service.ts for why a send is never lost and rarely doubled).
 */
export const sendNewsletterJob: JobDefinition = {
  name: SEND_NEWSLETTER,
  every: '1 minute',
  define(agenda, ctx) {
    agenda.define(SEND_NEWSLETTER, async () => {
      const r = await ctx.newsletterIssues.tick({ budgetMs: 50_000 });
      if (r.sent || r.started.length || r.finished.length) ctx.logger.info(r, 'newsletter sending');
    });
  },
};
