import type { JobDefinition } from './types.js';

export const DELIVER_ALERTS = 'deliver-alerts';

/**
 * Every minute: raises mail_stuck when mail waits too long, then sends the alerts that are due to
 * Discord and Slack (or the log). Safe with several workers: alerts and deliveries are claimed
 * with FOR UPDATE SKIP LOCKED, and a channel's 429 wait is stored in the database.
 */
export const deliverAlertsJob: JobDefinition = {
  name: DELIVER_ALERTS,
  every: '1 minute',
  define(agenda, ctx) {
    agenda.define(DELIVER_ALERTS, async () => {
      const r = await ctx.alertDelivery.run();
      if (r.dispatched || r.sent.discord || r.sent.slack || r.failed.discord || r.failed.slack) ctx.logger.info(r, 'alerts delivered');
    });
  },
};
