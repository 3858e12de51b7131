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
  /** Extra headers for this message (e.g. List-Unsubscribe), or null. Dropped with the body once sent. */
  headers: Record<string, string> | null;
}

type Handle = Knex | Knex.Transaction;

/** What a sent message keeps: who, what and when, never the body (it may hold a live link or code). */
const SCRUBBED = '';

export function createEmailOutboxModel(db: Db) {
  return {
    async insert(row: Pick<OutboxRow, 'to_address' | 'subject' | 'html' | 'text' | 'template'> & { next_attempt_at?: Date; created_at?: Date; headers?: Record<string, string> }, trx: Handle = db): Promise<number> {
      const { headers, ...rest } = row;
      const [created] = await trx('email_outbox').insert(headers && Object.keys(headers).length ? { ...rest, headers: JSON.stringify(headers) } : rest).returning('id');
      return (created as { id: number }).id;
    },

    /**
     * Claims one message for sending in one short statement (no transaction stays open): the
     * given one, or else one that is due, first those whose sender's claim ran out (it crashed or
     * hung), then the pending ones longest due. SKIP LOCKED plus the status change means two
     * senders never hold the same claim. One at a time, so a claim's lease starts when its own
     * send starts, not when a batch began. The returned `claimed_until` is the claim's token for
     * markSent/markFailed. Each look-up reads one partial index, however many sent rows there are.
     */
    async claim(now: Date, leaseMs: number, id?: number, trx: Handle = db): Promise<OutboxRow | undefined> {
      const until = new Date(now.getTime() + leaseMs);
      const take = async (where: string, order: string, bindings: Knex.RawBinding[]) => {
        const res = await trx.raw(
          `UPDATE email_outbox SET status = 'sending', claimed_until = ?, attempts = attempts + 1
           WHERE id = (SELECT id FROM email_outbox WHERE ${where} ORDER BY ${order} LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [until, ...bindings],
        );
        return (res.rows as OutboxRow[])[0];
      };
      if (id !== undefined) return take("id = ? AND (status = 'pending' OR (status = 'sending' AND claimed_until < ?))", 'id', [id, now]);
      return (await take("status = 'sending' AND claimed_until < ?", 'claimed_until', [now])) ?? take("status = 'pending' AND next_attempt_at <= ?", 'next_attempt_at', [now]);
    },

    /**
     * Marks a claimed message sent and drops its body (it may hold a live link or code). Only
     * while the claim is still this sender's; false if it ran out and another sender took over.
     */
    async markSent(claimed: Pick<OutboxRow, 'id' | 'claimed_until'>, at: Date, trx: Handle = db): Promise<boolean> {
      const n = await trx('email_outbox')
        .where({ id: claimed.id, status: 'sending', claimed_until: claimed.claimed_until })
        .update({ status: 'sent', sent_at: at, claimed_until: null, last_error: null, html: SCRUBBED, text: SCRUBBED, headers: null });
      return n === 1;
    },

    /** Puts a claimed message back for a later try, or gives up on it (same claim rule). */
    async markFailed(claimed: Pick<OutboxRow, 'id' | 'claimed_until'>, changes: { final: boolean; nextAttemptAt: Date; error: string }, trx: Handle = db): Promise<boolean> {
      const n = await trx('email_outbox')
        .where({ id: claimed.id, status: 'sending', claimed_until: claimed.claimed_until })
        .update({
          status: changes.final ? 'failed' : 'pending',
          claimed_until: null,
          next_attempt_at: changes.nextAttemptAt,
          last_error: changes.error.slice(0, 500),
          // A message given up on will never be sent: its body (and any live link in it) goes too.
          ...(changes.final ? { html: SCRUBBED, text: SCRUBBED, headers: null } : {}),
        });
      return n === 1;
    },

    /**
     * Deletes sent mail sent before `before` (through the sent_at index) and given-up mail
     * queued before it, a batch at a time so no statement locks many rows; returns how many.
     */
    async pruneBefore(before: Date, batch = 1000, trx: Handle = db): Promise<number> {
      let total = 0;
      for (const old of [
        (q: Knex.QueryBuilder) => q.where({ status: 'sent' }).andWhere('sent_at', '<', before),
        (q: Knex.QueryBuilder) => q.where({ status: 'failed' }).andWhere('created_at', '<', before),
      ]) {
        for (;;) {
          const n = await trx('email_outbox').whereIn('id', old(trx('email_outbox').select('id').limit(batch))).delete();
          total += n;
          if (n < batch) break;
        }
      }
      return total;
    },
  };
}

export type EmailOutboxModel = ReturnType<typeof createEmailOutboxModel>;
