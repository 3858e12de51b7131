import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export interface OutboxRow {
  id: number;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  template: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Date;
}

type Handle = Knex | Knex.Transaction;

export function createEmailOutboxModel(db: Db) {
  return {
    async insert(row: Pick<OutboxRow, 'to_address' | 'subject' | 'html' | 'text' | 'template'> & { next_attempt_at?: Date }, trx: Handle = db): Promise<number> {
      const [created] = await trx('email_outbox').insert(row).returning('id');
      return (created as { id: number }).id;
    },
    /**
     * Locks one pending message for sending. SKIP LOCKED means two senders (the request that
     * queued it and the retry job) never send the same message twice.
     */
    async lockPending(id: number, trx: Knex.Transaction): Promise<OutboxRow | undefined> {
      return (await trx('email_outbox').where({ id, status: 'pending' }).forUpdate().skipLocked().first()) as OutboxRow | undefined;
    },
    async dueIds(now: Date, limit: number, trx: Handle = db): Promise<number[]> {
      return (await trx('email_outbox').where({ status: 'pending' }).andWhere('next_attempt_at', '<=', now).orderBy('id').limit(limit).pluck('id')) as number[];
    },
    async update(id: number, changes: Partial<Omit<OutboxRow, 'id'>>, trx: Handle = db): Promise<void> {
      await trx('email_outbox').where({ id }).update(changes);
    },
  };
}

export type EmailOutboxModel = ReturnType<typeof createEmailOutboxModel>;
