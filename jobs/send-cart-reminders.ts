import type { JobDefinition } from './types.js';

export const SEND_CART_REMINDERS = 'send-cart-reminders';

/**
 * Abandoned-cart reminders (src/services/cart-reminder-service.ts): every 5 minutes, marks the
 * reminders their shoppers' purchases recovered, then queues the reminders that are due. Agenda
 * runs it on one worker at a time; a second scheduler running it too still sends each reminder
 * once (a unique row per cart, version and step, claimed in the mail's transaction).
 */
export const sendCartRemindersJob: JobDefinition = {
  name: SEND_CART_REMINDERS,
  every: '5 minutes',
  define(agenda, ctx) {
    agenda.define(SEND_CART_REMINDERS, async () => {
      const { sent, recovered } = await ctx.cartReminders.run();
      if (sent || recovered) ctx.logger.info({ sent, recovered }, 'cart reminders');
    });
  },
};
