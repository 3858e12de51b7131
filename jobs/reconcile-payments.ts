import { STALE_UNSENT_ORDER_SECONDS } from '../src/services/checkout-service.js';
import type { JobContext, JobDefinition } from './types.js';

export const RECONCILE_PAYMENTS = 'reconcile-payments';

/** Orders pending longer than this are asked about; a shopper may still be paying before it. */
const ASK_AFTER_MS = 5 * 60_000;
/** Pending orders with no payment after this long are expired (Razorpay orders do not expire). */
const EXPIRE_AFTER_MS = 24 * 3_600_000;

/**
 * A lost webhook plus a closed browser tab must still end in a fulfilled order: this asks
 * Razorpay (GET /v1/orders/:id/payments) about every order pending for a few minutes and settles
 * any captured or authorized payment; orders abandoned for a day expire. Orders flagged for a
 * person (an amount mismatch) are left to that person, and orders whose checkout died before
 * Razorpay heard of them are closed.
 */
export async function reconcilePayments(ctx: Pick<JobContext, 'db' | 'clock' | 'gateway' | 'checkout' | 'logger' | 'orders'>, limit = 100) {
  const now = ctx.clock.now().getTime();
  const interrupted = await ctx.orders.closeAllUnsent(STALE_UNSENT_ORDER_SECONDS);
  const rows = (await ctx.db('orders')
    .where({ status: 'pending' })
    .whereNotNull('razorpay_order_id')
    .whereNull('attention_at')
    .andWhere('created_at', '<', new Date(now - ASK_AFTER_MS))
    .orderBy('created_at')
    .limit(limit)
    .select('id', 'razorpay_order_id', 'created_at')) as { id: number; razorpay_order_id: string; created_at: Date }[];
  let fulfilled = 0;
  let expired = 0;
  for (const order of rows) {
    try {
      const payments = await ctx.gateway.fetchOrderPayments(order.razorpay_order_id);
      const paid = payments.find((p) => p.status === 'captured') ?? payments.find((p) => p.status === 'authorized');
      if (paid) {
        const result = await ctx.checkout.settle(paid, { fresh: true });
        if (result.outcome === 'fulfilled') fulfilled++;
      } else if (now - order.created_at.getTime() > EXPIRE_AFTER_MS) {
        const n = await ctx.db('orders').where({ id: order.id, status: 'pending' }).update({ status: 'expired', failure_reason: 'No payment within 24 hours', updated_at: ctx.db.fn.now() });
        expired += n;
      }
    } catch (err) {
      // One unreachable order must not stop the others; the next run tries again.
      ctx.logger.warn({ err, orderId: order.id }, 'could not reconcile order');
    }
  }
  return { checked: rows.length, fulfilled, expired, interrupted };
}

export const reconcilePaymentsJob: JobDefinition = {
  name: RECONCILE_PAYMENTS,
  every: '5 minutes',
  define(agenda, ctx) {
    agenda.define(RECONCILE_PAYMENTS, async () => {
      const result = await reconcilePayments(ctx);
      if (result.checked || result.interrupted) ctx.logger.info(result, 'payments reconciled');
    });
  },
};
