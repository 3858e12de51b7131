import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export interface PaymentRecord {
  order_id: number;
  razorpay_payment_id: string;
  status: string;
  amount_paise: number;
  currency: string;
  method: string | null;
  error_code: string | null;
  error_description: string | null;
}

/** Razorpay payments, one row per payment id; webhook events, one row per event id. */
export function createPaymentModel(db: Db) {
  return {
    /**
     * Records a payment's latest known state. A status only replaces a "lower" one (a late
     * `authorized` never overwrites `captured`; only a refund follows a capture).
     */
    async upsert(p: PaymentRecord, trx: Handle = db): Promise<void> {
      await trx.raw(
        `INSERT INTO payments (order_id, razorpay_payment_id, status, amount_paise, currency, method, error_code, error_description)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (razorpay_payment_id) DO UPDATE SET
           status = CASE
             WHEN payments.status IN ('captured', 'refunded') AND EXCLUDED.status NOT IN ('refunded') THEN payments.status
             ELSE EXCLUDED.status END,
           error_code = COALESCE(EXCLUDED.error_code, payments.error_code),
           error_description = COALESCE(EXCLUDED.error_description, payments.error_description),
           updated_at = now()`,
        // Razorpay's texts are theirs to lengthen; the columns keep what fits.
        [p.order_id, p.razorpay_payment_id, p.status, p.amount_paise, p.currency, p.method?.slice(0, 32) ?? null, p.error_code?.slice(0, 64) ?? null, p.error_description?.slice(0, 300) ?? null],
      );
    },

    /** The store order a Razorpay payment belongs to, if we have it. */
    async orderIdOf(razorpayPaymentId: string, trx: Handle = db): Promise<number | undefined> {
      const row = (await trx('payments').where({ razorpay_payment_id: razorpayPaymentId }).first('order_id')) as { order_id: number } | undefined;
      return row?.order_id;
    },

    async setStatus(razorpayPaymentId: string, status: string, trx: Handle = db): Promise<void> {
      await trx('payments').where({ razorpay_payment_id: razorpayPaymentId }).update({ status, updated_at: trx.fn.now() });
    },

    /** Stores an event once; returns the row and whether it still needs processing. */
    async recordEvent(eventId: string, event: string, payload: unknown, trx: Handle = db): Promise<{ id: number; needsProcessing: boolean }> {
      const inserted = await trx.raw(
        `INSERT INTO webhook_events (event_id, event, payload) VALUES (?, ?, ?::jsonb)
         ON CONFLICT (event_id) DO NOTHING RETURNING id`,
        // jsonb cannot hold NUL characters; a signed payload carrying one is still recorded.
        [eventId, event, JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'string' ? v.replace(/\0/g, '') : v))],
      );
      const row = (inserted.rows as { id: number }[])[0];
      if (row) return { id: row.id, needsProcessing: true };
      const existing = (await trx('webhook_events').where({ event_id: eventId }).first()) as { id: number; processed_at: Date | null };
      return { id: existing.id, needsProcessing: existing.processed_at === null };
    },

    /** Marks an event handled with what came of it, or leaves it unprocessed with the error (Razorpay retries). */
    async markEventProcessed(id: number, result: { error: string } | { outcome: string }, trx: Handle = db): Promise<void> {
      await trx('webhook_events')
        .where({ id })
        .update('error' in result ? { error: result.error.slice(0, 300) } : { processed_at: trx.fn.now(), error: null, outcome: result.outcome.slice(0, 40) });
    },
  };
}

export type PaymentModel = ReturnType<typeof createPaymentModel>;
