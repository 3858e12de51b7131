import type { Db } from '../db/knex.js';
import type { ContactMessageModel, ContactTopic } from '../models/contact-messages.js';
import type { MailService } from './mail-service.js';
import type { Limiter } from './rate-limits.js';

export const CONTACT_TOPICS: Record<ContactTopic, string> = {
  order: 'A problem with an order or a download',
  refund: 'A refund',
  product: 'A question about a product',
  other: 'Something else',
};

/**
 * The contact form: each message is stored and mailed to the support address in one
 * transaction (the outbox sends it after commit), throttled per network. A filled-in honeypot
 * field means a bot: it gets the same thank-you and nothing is stored or sent.
 */
export function createContactService(deps: { db: Db; messages: ContactMessageModel; mail: MailService; limiter: Limiter; supportEmail: string; storeName: string }) {
  return {
    async submit(input: { name: string; email: string; topic: ContactTopic; orderId?: number; message: string; honeypot?: string }, who: { userId?: number; ip: string }): Promise<{ stored: boolean }> {
      await deps.limiter.hit(who.ip);
      if (input.honeypot) return { stored: false };
      const outboxId = await deps.db.transaction(async (trx) => {
        const id = await deps.messages.insert(
          { user_id: who.userId ?? null, name: input.name, email: input.email, topic: input.topic, order_id: input.orderId ?? null, message: input.message, ip: who.ip },
          trx,
        );
        return deps.mail.queue(
          'contact-message',
          deps.supportEmail,
          `[${deps.storeName} support] ${CONTACT_TOPICS[input.topic]} (message #${id})`,
          { id, name: input.name, email: input.email, topic: CONTACT_TOPICS[input.topic], orderId: input.orderId, message: input.message, signedIn: Boolean(who.userId) },
          trx,
        );
      });
      deps.mail.sendSoon([outboxId]);
      return { stored: true };
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
