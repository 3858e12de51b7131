import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export interface OutboxRow {
  id: number;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  template: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  claimed_until: Date | null;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Date;
}

type Handle = Knex | Knex.Transaction;

/** What a sent message keeps: who, what and when, never the body (it may hold a live link or code). */
const SCRUBBED = '';

export function createEmailOutboxModel(db: Db) {
  /**
   * Claims messages for sending in one short statement: pending ones that are due, and ones
   * whose sender's claim ran out. SKIP LOCKED plus the status change means two senders never
   * claim the same message. Returns the claimed rows; no transaction stays open.
   */
  async function claim(where: { id?: number; dueBy?: Date; limit: number }, now: Date, leaseMs: number, trx: Handle = db): Promise<OutboxRow[]> {
    const res = await trx.raw(
      `UPDATE email_outbox SET status = 'sending', claimed_until = ?, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM email_outbox
         WHERE ((status = 'pending' ${where.dueBy ? 'AND next_attempt_at <= ?' : ''}) OR (status = 'sending' AND claimed_until < ?))
           ${where.id !== undefined ? 'AND (id = ?)' : ''}
         ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [new Date(now.getTime() + leaseMs), ...(where.dueBy ? [where.dueBy] : []), now, ...(where.id !== undefined ? [where.id] : []), where.limit],
    );
    return res.rows as OutboxRow[];
  }

  return {
    async insert(row: Pick<OutboxRow, 'to_address' | 'subject' | 'html' | 'text' | 'template'> & { next_attempt_at?: Date }, trx: Handle = db): Promise<number> {
      const [created] = await trx('email_outbox').insert(row).returning('id');
      return (created as { id: number }).id;
    },
    claimOne: (id: number, now: Date, leaseMs: number) => claim({ id, limit: 1 }, now, leaseMs).then((rows) => rows[0]),
    claimDue: (now: Date, limit: number, leaseMs: number) => claim({ dueBy: now, limit }, now, leaseMs),

    /** Marks a claimed message sent and drops its body. False if the claim was lost meanwhile. */
    async markSent(id: number, at: Date, trx: Handle = db): Promise<boolean> {
      const n = await trx('email_outbox').where({ id, status: 'sending' }).update({ status: 'sent', sent_at: at, claimed_until: null, last_error: null, html: SCRUBBED, text: SCRUBBED });
      return n === 1;
    },

    /** Puts a claimed message back for a later try, or gives up on it. */
    async markFailed(id: number, changes: { final: boolean; nextAttemptAt: Date; error: string }, trx: Handle = db): Promise<void> {
      await trx('email_outbox')
        .where({ id, status: 'sending' })
        .update({
          status: changes.final ? 'failed' : 'pending',
          claimed_until: null,
          next_attempt_at: changes.nextAttemptAt,
          last_error: changes.error.slice(0, 500),
          // A message given up on will never be sent: its body (and any live link in it) goes too.
          ...(changes.final ? { html: SCRUBBED, text: SCRUBBED } : {}),
        });
    },

    /** Deletes sent and failed messages older than `before`, a batch at a time; returns how many. */
    async pruneBefore(before: Date, batch = 1000, trx: Handle = db): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await trx('email_outbox')
          .whereIn('id', trx('email_outbox').whereIn('status', ['sent', 'failed']).andWhere('created_at', '<', before).select('id').limit(batch))
          .delete();
        total += n;
        if (n < batch) return total;
      }
    },
  };
}

export type EmailOutboxModel = ReturnType<typeof createEmailOutboxModel>;
