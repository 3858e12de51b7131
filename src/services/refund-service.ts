import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { EntitlementModel } from '../models/entitlements.js';
import type { OrderModel, OrderRow } from '../models/orders.js';
import type { PaymentModel } from '../models/payments.js';
import type { RefundModel, RefundStatus } from '../models/refunds.js';
import type { AlertService } from './alert-service.js';

/** A refund as Razorpay reports it (the refund entity of `refund.*` webhooks and the refund API). */
export interface RefundReport {
  id: string;
  payment_id: string;
  amount: number;
  currency?: string;
  status: RefundStatus;
}

export type RefundOutcome = 'recorded' | 'partial' | 'full' | 'unmatched';

/**
 * Refunds, recorded once per Razorpay refund id so a repeated or out-of-order event never counts
 * one twice. Only processed refunds count. When they add up to the order total the order becomes
 * refunded and its downloads end; a partial refund keeps the order paid and the downloads alive
 * (the buyer keeps what they paid for) and shows on the order page and receipt. A refund for a
 * payment we have no record of is kept with no order and raises an alert.
 */
export function createRefundService(d: { db: Db; refunds: RefundModel; payments: PaymentModel; orders: OrderModel; entitlements: EntitlementModel; alerts: AlertService; clock: Clock }) {
  const { db, refunds, clock } = d;

  return {
    /**
     * `razorpayOrderId`: the payment's order from the event, for a payment we never recorded.
     * `within`: the caller's transaction (an admin's refund lands with its audit entry).
     */
    async record(refund: RefundReport, razorpayOrderId?: string, within?: Knex.Transaction): Promise<{ outcome: RefundOutcome; orderId?: number }> {
      const run = <T>(fn: (trx: Knex.Transaction) => Promise<T>) => (within ? fn(within) : db.transaction(fn));
      return run(async (trx) => {
        const orderId = (await d.payments.orderIdOf(refund.payment_id, trx)) ?? (razorpayOrderId ? (await d.orders.findByRazorpayOrderId(razorpayOrderId, trx))?.id : undefined);
        // Lock the order first so concurrent refund events add up one after the other.
        const order = orderId ? ((await trx('orders').where({ id: orderId }).forUpdate().first()) as OrderRow | undefined) : undefined;
        const row = await refunds.upsert(
          {
            razorpay_refund_id: refund.id,
            razorpay_payment_id: refund.payment_id,
            order_id: order?.id ?? null,
            amount_paise: refund.amount,
            currency: refund.currency ?? order?.currency ?? 'INR',
            status: refund.status,
            at: clock.now(),
          },
          trx,
        );
        if (!order) {
          await d.alerts.raise(
            {
              kind: 'unmatched_refund',
              fingerprint: `refund:${refund.id}`,
              title: `Refund ${refund.id} is for a payment this store has no record of`,
              detail: { refundId: refund.id, paymentId: refund.payment_id, amount: refund.amount, status: refund.status },
              once: true,
            },
            trx,
          );
          return { outcome: 'unmatched' };
        }
        if (row.status !== 'processed') return { outcome: 'recorded', orderId: order.id };

        const total = await refunds.processedTotal(order.id, trx);
        const now = clock.now();
        if (total >= order.total_paise) {
          if (order.status !== 'refunded') {
            await d.orders.update(order.id, { status: 'refunded', refunded_at: now, refunded_paise: total }, trx);
            await d.entitlements.revokeForOrder(order.id, now, trx);
          }
          await d.payments.setStatus(refund.payment_id, 'refunded', trx);
          return { outcome: 'full', orderId: order.id };
        }
        await d.orders.update(order.id, { refunded_paise: total, refunded_at: now }, trx);
        return { outcome: 'partial', orderId: order.id };
      });
    },
  };
}

export type RefundService = ReturnType<typeof createRefundService>;
