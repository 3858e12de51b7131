import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type RefundStatus = 'pending' | 'processed' | 'failed';

export interface RefundRow {
  id: number;
  razorpay_refund_id: string;
  razorpay_payment_id: string;
  order_id: number | null;
  amount_paise: number;
  currency: string;
  status: RefundStatus;
  processed_at: Date | null;
  created_at: Date;
}

/** Razorpay refunds, one row per refund id, so a repeated event never counts a refund twice. */
export function createRefundModel(db: Db) {
  return {
    /**
     * Records a refund's latest state. Status only moves forward: `processed` and `failed` are
     * final, a late `refund.created` never takes them back to `pending`.
     */
    async upsert(
      r: { razorpay_refund_id: string; razorpay_payment_id: string; order_id: number | null; amount_paise: number; currency: string; status: RefundStatus; at: Date },
      trx: Handle = db,
    ): Promise<RefundRow> {
      const res = await trx.raw(
        `INSERT INTO refunds (razorpay_refund_id, razorpay_payment_id, order_id, amount_paise, currency, status, processed_at)
         VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? = 'processed' THEN ?::timestamptz END)
         ON CONFLICT (razorpay_refund_id) DO UPDATE SET
           status = CASE WHEN refunds.status = 'pending' THEN EXCLUDED.status ELSE refunds.status END,
           processed_at = COALESCE(refunds.processed_at, EXCLUDED.processed_at),
           order_id = COALESCE(refunds.order_id, EXCLUDED.order_id),
           updated_at = now()
         RETURNING *`,
        [r.razorpay_refund_id, r.razorpay_payment_id, r.order_id, r.amount_paise, r.currency, r.status, r.status, r.at],
      );
      return (res.rows as RefundRow[])[0]!;
    },

    /** The sum of an order's processed refunds, in paise. */
    async processedTotal(orderId: number, trx: Handle = db): Promise<number> {
      const row = (await trx('refunds').where({ order_id: orderId, status: 'processed' }).sum({ total: 'amount_paise' }).first()) as { total: string | null } | undefined;
      return Number(row?.total ?? 0);
    },

    async forOrder(orderId: number, trx: Handle = db): Promise<RefundRow[]> {
      return (await trx('refunds').where({ order_id: orderId }).orderBy('id')) as RefundRow[];
    },
  };
}

export type RefundModel = ReturnType<typeof createRefundModel>;
