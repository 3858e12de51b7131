import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type ContactTopic = 'order' | 'refund' | 'product' | 'other';

export interface NewContactMessage {
  user_id: number | null;
  name: string;
  email: string;
  topic: ContactTopic;
  order_id: number | null;
  message: string;
  ip: string;
}

export function createContactMessageModel(db: Db) {
  return {
    async insert(row: NewContactMessage, trx: Handle = db): Promise<number> {
      const [created] = await trx('contact_messages').insert(row).returning('id');
      return (created as { id: number }).id;
    },
  };
}

export type ContactMessageModel = ReturnType<typeof createContactMessageModel>;
