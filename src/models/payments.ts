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
        [p.order_id, p.razorpay_payment_id, p.status, p.amount_paise, p.currency, p.method, p.error_code, p.error_description],
      );
    },

    /** Stores an event once; returns the row and whether it still needs processing. */
    async recordEvent(eventId: string, event: string, payload: unknown, trx: Handle = db): Promise<{ id: number; needsProcessing: boolean }> {
      const inserted = await trx.raw(
        `INSERT INTO webhook_events (event_id, event, payload) VALUES (?, ?, ?::jsonb)
         ON CONFLICT (event_id) DO NOTHING RETURNING id`,
        [eventId, event, JSON.stringify(payload)],
      );
      const row = (inserted.rows as { id: number }[])[0];
      if (row) return { id: row.id, needsProcessing: true };
      const existing = (await trx('webhook_events').where({ event_id: eventId }).first()) as { id: number; processed_at: Date | null };
      return { id: existing.id, needsProcessing: existing.processed_at === null };
    },

    async markEventProcessed(id: number, error: string | null, trx: Handle = db): Promise<void> {
      await trx('webhook_events').where({ id }).update(error ? { error: error.slice(0, 300) } : { processed_at: trx.fn.now(), error: null });
    },
  };
}

export type PaymentModel = ReturnType<typeof createPaymentModel>;
