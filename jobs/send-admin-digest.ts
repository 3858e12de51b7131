import type { JobDefinition } from './types.js';

export const SEND_ADMIN_DIGEST = 'send-admin-digest';

/**
 * The admins' morning email of yesterday's figures. Runs every 5 minutes and sends once the
 * configured India hour has passed (ADMIN_DIGEST_HOUR_IST, 08:00 by default); the day's row in
 * admin_digests makes it once a day whatever the number of workers.
 */
export const sendAdminDigestJob: JobDefinition = {
  name: SEND_ADMIN_DIGEST,
  every: '5 minutes',
  define(agenda, ctx) {
    agenda.define(SEND_ADMIN_DIGEST, async () => {
      await ctx.adminDigest.sendDue();
    });
  },
};
