import { createHash } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { PaymentModel } from '../models/payments.js';
import type { CheckoutService } from './checkout-service.js';
import type { RazorpayGateway, RzpPayment } from './razorpay-gateway.js';

interface RazorpayEvent {
  event?: unknown;
  payload?: { payment?: { entity?: RzpPayment }; refund?: { entity?: { payment_id?: string } } };
}

/**
 * Razorpay webhooks: verified on the raw body, stored once per event id (deliveries are
 * at-least-once and unordered), then applied. A failure leaves the event unprocessed and answers
 * 500, so Razorpay's retry applies it later; a repeat of a processed event changes nothing.
 */
export function createWebhookService(deps: { gateway: RazorpayGateway; payments: PaymentModel; checkout: CheckoutService; logger: Logger }) {
  const { gateway, payments, checkout, logger } = deps;

  async function apply(name: string, event: RazorpayEvent) {
    const payment = event.payload?.payment?.entity;
    switch (name) {
      case 'payment.authorized':
      case 'payment.captured':
      case 'order.paid':
        if (payment?.order_id) await checkout.settle(payment.order_id, payment);
        return;
      case 'payment.failed':
        if (payment?.order_id) await checkout.recordFailedPayment(payment);
        return;
      case 'refund.processed': {
        const paymentId = event.payload?.refund?.entity?.payment_id;
        if (paymentId) await checkout.recordRefund(paymentId);
        return;
      }
      default:
        return; // stored and acknowledged; nothing to do
    }
  }

  return {
    async handle(rawBody: Buffer, signature: unknown, eventIdHeader: unknown): Promise<{ duplicate: boolean; event: string }> {
      if (!gateway.verifyWebhookSignature(rawBody, signature)) throw new AppError(400, 'INVALID_SIGNATURE', 'Webhook signature does not match.');
      let event: RazorpayEvent;
      try {
        event = JSON.parse(rawBody.toString('utf8')) as RazorpayEvent;
      } catch {
        throw new AppError(400, 'MALFORMED_BODY', 'Webhook body is not JSON.');
      }
      const name = typeof event.event === 'string' ? event.event.slice(0, 64) : 'unknown';
      // Razorpay sends an event id; without one the body itself identifies the delivery.
      const eventId = typeof eventIdHeader === 'string' && eventIdHeader ? eventIdHeader.slice(0, 100) : `body_${createHash('sha256').update(rawBody).digest('hex')}`;
      const recorded = await payments.recordEvent(eventId, name, event);
      if (!recorded.needsProcessing) return { duplicate: true, event: name };
      try {
        await apply(name, event);
        await payments.markEventProcessed(recorded.id, null);
      } catch (err) {
        logger.error({ err, eventId, event: name }, 'webhook processing failed; Razorpay will retry');
        await payments.markEventProcessed(recorded.id, String((err as Error).message ?? err));
        throw err;
      }
      return { duplicate: false, event: name };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
