import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError, UnauthorizedError } from '../lib/errors.js';
import { pathId } from '../lib/fields.js';
import type { OrderModel } from '../models/orders.js';
import type { CartService } from '../services/cart-service.js';
import type { CheckoutService } from '../services/checkout-service.js';
import type { RazorpayGateway } from '../services/razorpay-gateway.js';

const callbackBody = z.object({
  razorpay_order_id: z.string().regex(/^order_[A-Za-z0-9]{6,40}$/),
  razorpay_payment_id: z.string().regex(/^pay_[A-Za-z0-9]{6,40}$/),
  razorpay_signature: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The checkout page and the payment callback (Razorpay's redirect mode and the test-mode page). */
export function createCheckoutController(deps: { cart: CartService; checkout: CheckoutService; gateway: RazorpayGateway; orders: OrderModel; emulator: boolean; storeName: string }) {
  return {
    /** GET /checkout[?buy=<productId>]: order summary and the Pay button (for the cart, or one product: "Buy now"). */
    async page(req: Request, res: Response) {
      if (!req.user) throw new UnauthorizedError();
      const buy = req.query.buy === undefined ? undefined : pathId(req.query.buy);
      if (req.query.buy !== undefined && !buy) throw new NotFoundError('That product is not available.');
      const cart = buy ? await deps.cart.single(req.user.id, buy) : await deps.cart.getCart(req.user.id);
      if (cart.items.length === 0) return res.redirect(303, '/cart');
      // Back from a failed or cancelled payment (Razorpay's redirect mode, or the test page).
      const notice = req.query.failed !== undefined ? 'failed' : req.query.cancelled !== undefined ? 'cancelled' : undefined;
      res.set('Cache-Control', 'no-store').render('shop/checkout', { title: 'Checkout', cart, buy, notice, testMode: deps.emulator || deps.gateway.keyId.startsWith('rzp_test_'), emulator: deps.emulator });
    },

    /**
     * POST /checkout/callback: Razorpay posts the payment here (form fields). It comes from
     * another site, so there is no session cookie and no CSRF token: the HMAC signature over OUR
     * stored order id is what proves it. The buyer then lands on their order page.
     */
    async callback(req: Request, res: Response) {
      // A failed payment comes back as Razorpay's error[...] fields. They are unsigned, so they
      // only choose the page: the payment.failed webhook records what really happened.
      if (typeof req.body?.['error[code]'] === 'string') return res.redirect(303, '/checkout?failed=1');
      const parsed = callbackBody.safeParse(req.body ?? {});
      if (!parsed.success) throw new AppError(400, 'INVALID_PAYMENT_RESPONSE', 'The payment response was incomplete. If money was taken, your order will be updated within minutes.');
      const order = await deps.orders.findByRazorpayOrderId(parsed.data.razorpay_order_id);
      if (!order) throw new AppError(404, 'NOT_FOUND', 'We could not find that order.');
      await deps.checkout.verifyPayment(order.user_id, parsed.data);
      res.redirect(303, `/orders/${order.id}?paid=1`);
    },
  };
}
