import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { PaymentModel } from '../models/payments.js';
import type { AlertService } from './alert-service.js';
import type { CheckoutService } from './checkout-service.js';
import type { RazorpayGateway, RzpPayment } from './razorpay-gateway.js';
import type { RefundService } from './refund-service.js';

/** The parts of a payment entity we act on; anything else in a signed payload is left alone. */
const paymentEntity = z.looseObject({
  id: z.string().regex(/^pay_[A-Za-z0-9]{1,40}$/),
  order_id: z.string().regex(/^order_[A-Za-z0-9]{1,40}$/),
  amount: z.number().int().nonnegative().max(2 ** 31 - 1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.enum(['created', 'authorized', 'captured', 'refunded', 'failed']),
});
const refundEntity = z.looseObject({
  id: z.string().regex(/^rfnd_[A-Za-z0-9]{1,40}$/),
  payment_id: z.string().regex(/^pay_[A-Za-z0-9]{1,40}$/),
  amount: z.number().int().positive().max(2 ** 31 - 1),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  status: z.enum(['pending', 'processed', 'failed']),
});

type Outcome = 'applied' | 'ignored' | 'malformed' | 'unknown_order' | 'amount_mismatch' | 'not_captured' | 'unmatched_refund' | 'already_paid';

/**
 * Razorpay webhooks: verified on the raw body, stored once per event id (deliveries are
 * at-least-once and unordered), then applied. Anything correctly signed is acknowledged with a
 * 2xx unless applying it failed for a reason a retry can cure (our database or Razorpay's API
 * unreachable): then it stays unprocessed and the 500 makes Razorpay retry. A signed event we
 * cannot use (malformed, or for an order this store never made, as on an account shared with
 * another app) is recorded with its outcome and acknowledged, so Razorpay does not retry it for a
 * day and disable the webhook.
 */
export function createWebhookService(deps: { gateway: RazorpayGateway; payments: PaymentModel; checkout: CheckoutService; refunds: RefundService; alerts: AlertService; logger: Logger }) {
  const { gateway, payments, checkout, logger, alerts } = deps;

  async function apply(name: string, event: Record<string, unknown>): Promise<Outcome> {
    const payload = (event.payload ?? {}) as { payment?: { entity?: unknown }; refund?: { entity?: unknown } };
    switch (name) {
      case 'payment.authorized':
      case 'payment.captured':
      case 'order.paid':
      case 'payment.failed': {
        const parsed = paymentEntity.safeParse(payload.payment?.entity);
        if (!parsed.success) return 'malformed';
        const payment = parsed.data as unknown as RzpPayment;
        if (name === 'payment.failed') {
          const known = await checkout.recordFailedPayment(payment);
          if (!known) return unknownOrder(name, payment.order_id);
          return 'applied';
        }
        const result = await checkout.settle(payment);
        if (result.outcome === 'unknown_order') return unknownOrder(name, payment.order_id);
        return result.outcome === 'fulfilled' ? 'applied' : result.outcome;
      }
      case 'refund.created':
      case 'refund.processed':
      case 'refund.failed': {
        const parsed = refundEntity.safeParse(payload.refund?.entity);
        if (!parsed.success) return 'malformed';
        const order = paymentEntity.safeParse(payload.payment?.entity);
        const result = await deps.refunds.record(parsed.data, order.success ? order.data.order_id : undefined);
        return result.outcome === 'unmatched' ? 'unmatched_refund' : 'applied';
      }
      default:
        return 'ignored'; // stored and acknowledged; nothing to do
    }
  }

  async function unknownOrder(name: string, razorpayOrderId: string): Promise<Outcome> {
    await alerts.raise({
      kind: 'unknown_order_webhook',
      fingerprint: razorpayOrderId,
      title: `Razorpay sent ${name} for ${razorpayOrderId}, an order this store never made`,
      detail: { event: name, razorpayOrderId, hint: 'Another app may share this Razorpay account, or the webhook URL points at the wrong store.' },
      once: true,
    });
    return 'unknown_order';
  }

  return {
    async handle(rawBody: Buffer, signature: unknown, eventIdHeader: unknown): Promise<{ duplicate: boolean; event: string; outcome?: string }> {
      if (!gateway.verifyWebhookSignature(rawBody, signature)) {
        alerts.raiseQuietly({ kind: 'webhook_signature', fingerprint: 'razorpay', title: 'A Razorpay webhook arrived with a wrong or missing signature', detail: { bytes: rawBody.length } });
        throw new AppError(400, 'INVALID_SIGNATURE', 'Webhook signature does not match.');
      }
      let event: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) event = parsed as Record<string, unknown>;
      } catch {
        event = undefined;
      }
      const name = typeof event?.event === 'string' && /^[a-z_.]{1,64}$/.test(event.event) ? event.event : 'unknown';
      // Razorpay sends an event id; without one the body itself identifies the delivery.
      const eventId =
        typeof eventIdHeader === 'string' && /^[\x21-\x7e]{1,100}$/.test(eventIdHeader) ? eventIdHeader : `body_${createHash('sha256').update(rawBody).digest('hex')}`;
      const recorded = await payments.recordEvent(eventId, name, event ?? { unparsed: rawBody.toString('utf8').replace(/\0/g, '').slice(0, 10_000) });
      if (!recorded.needsProcessing) return { duplicate: true, event: name };
      let outcome: Outcome;
      try {
        outcome = event ? await apply(name, event) : 'malformed';
      } catch (err) {
        logger.error({ err, eventId, event: name }, 'webhook processing failed; Razorpay will retry');
        await payments.markEventProcessed(recorded.id, { error: String((err as Error).message ?? err) });
        throw err;
      }
      if (outcome === 'malformed') logger.warn({ eventId, event: name }, 'signed webhook with a payload we cannot use; acknowledged');
      await payments.markEventProcessed(recorded.id, { outcome });
      return { duplicate: false, event: name, outcome };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
