import type { Request, Response } from 'express';
import { z } from 'zod';
import { UnauthorizedError } from '../lib/errors.js';
import { idNumber } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import type { CheckoutService } from '../services/checkout-service.js';
import type { WebhookService } from '../services/webhook-service.js';

const verifyBody = z
  .object({
    razorpay_order_id: z.string({ error: 'razorpay_order_id is required.' }).regex(/^order_[A-Za-z0-9]{6,40}$/, 'Not a Razorpay order id.'),
    razorpay_payment_id: z.string({ error: 'razorpay_payment_id is required.' }).regex(/^pay_[A-Za-z0-9]{6,40}$/, 'Not a Razorpay payment id.'),
    razorpay_signature: z.string({ error: 'razorpay_signature is required.' }).regex(/^[0-9a-f]{64}$/, 'Not a signature.'),
  })
  .strict();

export function createPaymentsController(deps: { checkout: CheckoutService; webhooks: WebhookService }) {
  const userId = (req: Request) => {
    if (!req.user) throw new UnauthorizedError();
    return req.user.id;
  };
  return {
    /** POST /api/orders/create {productId?}: the order for the signed-in user's cart (or one product, "Buy now"), ready for Checkout. */
    async createOrder(req: Request, res: Response) {
      const body = parseInput(z.object({ productId: idNumber('productId').optional() }).strict(), req.body ?? {});
      res.status(201).json(await deps.checkout.createOrder(userId(req), { productId: body.productId }));
    },

    /** POST /api/payments/verify: Checkout's success callback. */
    async verify(req: Request, res: Response) {
      const body = parseInput(verifyBody, req.body);
      const result = await deps.checkout.verifyPayment(userId(req), body);
      res.json({ ...result, redirect: `/orders/${result.orderId}` });
    },

    /** POST /api/webhooks/razorpay: signed events from Razorpay (raw body, no session, no CSRF). */
    async webhook(req: Request, res: Response) {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const result = await deps.webhooks.handle(raw, req.get('x-razorpay-signature'), req.get('x-razorpay-event-id'));
      res.json({ ok: true, ...result });
    },
  };
}
