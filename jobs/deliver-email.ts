import type { JobDefinition } from './types.js';

export const DELIVER_EMAIL = 'deliver-email';

/**
 * Sends queued emails that are due: those whose first try failed (SMTP down) come back here with
 * backoff. Requests try to send at once, so this normally finds nothing to do.
 */
export const deliverEmailJob: JobDefinition = {
  name: DELIVER_EMAIL,
  every: '1 minute',
  define(agenda, ctx) {
    agenda.define(DELIVER_EMAIL, async () => {
      const sent = await ctx.mail.deliverDue(100);
      if (sent) ctx.logger.info({ sent }, 'queued emails delivered');
    });
  },
};
