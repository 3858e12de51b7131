import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { queueOrderConfirmation } from './order-confirmation.js';
import type { CartModel } from '../models/cart.js';
import type { EntitlementModel } from '../models/entitlements.js';
import type { OrderModel, OrderRow } from '../models/orders.js';
import type { PaymentModel } from '../models/payments.js';
import type { UserModel } from '../models/users.js';
import type { CartService } from './cart-service.js';
import type { MailService } from './mail-service.js';
import type { AlertService } from './alert-service.js';
import { CouponError, type DealService } from './deal-service.js';
import { PaymentGatewayError, type RazorpayGateway, type RzpPayment } from './razorpay-gateway.js';

/**
 * Orders and payments. Every captured payment must end in exactly one fulfilled order, whichever
 * of the browser's verify call and Razorpay's webhooks arrives first, twice, or not at all:
 * fulfilment happens in one transaction holding the order row lock, and only from `pending`
 * (or `expired`/`failed`, since the money was taken anyway) to `paid`, never backwards.
 */

export interface CheckoutDeps {
  db: Db;
  orders: OrderModel;
  payments: PaymentModel;
  entitlements: EntitlementModel;
  carts: CartModel;
  users: UserModel;
  cart: CartService;
  deals: DealService;
  gateway: RazorpayGateway;
  mail: MailService;
  clock: Clock;
  logger: Logger;
  settings: { baseUrl: string; storeName: string; downloadLimit: number };
  /** A download link for an entitlement (the downloads feature). */
  downloadLink?: (entitlementId: number, userId: number) => string;
  alerts: AlertService;
}

/** How long a concurrent request may be creating the Razorpay order (the SDK times out at 15 s). */
const WAIT_FOR_OTHER_REQUEST_MS = 10_000;
/**
 * A pending order still without a Razorpay order id this long after it was made belongs to a
 * request that died mid-checkout (crash, deploy). Nobody can have paid it: the shopper only ever
 * sees a Razorpay order id we stored. So it is closed and the checkout starts afresh.
 */
export const STALE_UNSENT_ORDER_SECONDS = 30;

/** What settling a payment concluded, for the webhook log and the reconciler. */
export type SettleOutcome = 'fulfilled' | 'already_paid' | 'unknown_order' | 'amount_mismatch' | 'not_captured';

export function createCheckoutService(d: CheckoutDeps) {
  const { db, orders, gateway, clock } = d;

  /**
   * Another request is creating this order's Razorpay order: wait for it. If that request died
   * (the order stays without an id past the stale age), close the order so the caller starts over.
   */
  async function waitForRazorpayId(orderId: number): Promise<OrderRow | undefined> {
    const deadline = Date.now() + WAIT_FOR_OTHER_REQUEST_MS;
    for (;;) {
      if (await orders.closeIfUnsent(orderId, STALE_UNSENT_ORDER_SECONDS)) return undefined;
      const row = await orders.findById(orderId);
      if (!row) throw new AppError(409, 'ORDER_CHANGED', 'Your order changed while we were preparing it. Please try again.');
      if (row.razorpay_order_id || row.status !== 'pending') return row;
      if (Date.now() > deadline) throw new AppError(503, 'ORDER_NOT_READY', 'We are still preparing your order. Please try again in a moment.');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Marks an order paid and fulfils it (entitlements, confirmation email, cart cleared), once.
   * Returns whether this call did it. `payment` is Razorpay's payment entity, re-fetched or
   * from a verified webhook.
   */
  async function markPaid(razorpayOrderId: string, payment: RzpPayment, trx: Knex.Transaction): Promise<{ order: OrderRow; fulfilled: boolean; outcome: SettleOutcome; outboxId?: number }> {
    const order = await orders.findByRazorpayOrderIdForUpdate(razorpayOrderId, trx);
    if (!order) throw new NotFoundError('Unknown order.');
    await d.payments.upsert(
      { order_id: order.id, razorpay_payment_id: payment.id, status: payment.status, amount_paise: payment.amount, currency: payment.currency, method: payment.method ?? null, error_code: null, error_description: null },
      trx,
    );
    if (order.status === 'paid' || order.status === 'refunded') return { order, fulfilled: false, outcome: 'already_paid' };
    if (isMismatch(order, payment)) {
      await flagMismatch(order, payment, trx);
      return { order, fulfilled: false, outcome: 'amount_mismatch' };
    }
    // Paid after it had left pending: its code's use was given back meanwhile and may be gone.
    if (order.status !== 'pending' && order.coupon_offer_id && (await d.deals.overLimitOnLatePayment(trx, order.coupon_offer_id, order.user_id))) {
      await orders.flagAttention(order.id, `Paid late with code ${order.coupon_code}, which was used up meanwhile: refund the difference or accept it`, clock.now(), trx);
      await d.alerts.raise(
        { kind: 'coupon_over_limit', fingerprint: `order:${order.id}`, title: `Order #${order.id}: code ${order.coupon_code} used beyond its limit by a late payment`, detail: { orderId: order.id, offerId: order.coupon_offer_id, code: order.coupon_code } },
        trx,
      );
    }
    const now = clock.now();
    await orders.update(order.id, { status: 'paid', paid_at: now, fulfilled_at: now, failure_reason: null }, trx);
    const items = await orders.items(order.id, trx);
    await d.entitlements.createForOrder(items.map((i) => ({ user_id: order.user_id, order_id: order.id, product_id: i.product_id, max_downloads: d.settings.downloadLimit * i.quantity })), trx);
    await d.carts.removeLines(order.user_id, items.map((i) => i.product_id), trx);
    // The code was spent on this order: the cart starts the next one without it.
    if (order.coupon_code) await d.carts.clearCoupon(order.user_id, order.coupon_code, trx);
    const outboxId = (await queueOrderConfirmation({ ...d, orders }, order, trx, items))?.outboxId;
    return { order: { ...order, status: 'paid', paid_at: now }, fulfilled: true, outcome: 'fulfilled', outboxId };
  }

  const isMismatch = (order: OrderRow, payment: RzpPayment) => payment.amount !== order.total_paise || payment.currency !== order.currency;

  /**
   * A payment that does not match what we asked for is never fulfilled (nor captured): the order
   * is flagged for a person, the owner is alerted once, and the reconciler leaves it alone.
   */
  async function flagMismatch(order: OrderRow, payment: RzpPayment, trx: Knex.Transaction) {
    const reason = `Payment ${payment.id} is ${payment.amount} ${payment.currency}; the order is ${order.total_paise} ${order.currency}`;
    const flagged = await orders.flagAttention(order.id, reason, clock.now(), trx);
    if (!flagged) return;
    await d.alerts.raise(
      {
        kind: 'amount_mismatch',
        fingerprint: `order:${order.id}`,
        title: `Order #${order.id}: payment amount or currency does not match`,
        detail: { orderId: order.id, razorpayOrderId: order.razorpay_order_id, paymentId: payment.id, paid: payment.amount, paidCurrency: payment.currency, expected: order.total_paise, currency: order.currency },
      },
      trx,
    );
  }

  /** Runs markPaid in its own transaction and sends the email after commit. */
  async function fulfil(razorpayOrderId: string, payment: RzpPayment) {
    const result = await db.transaction((trx) => markPaid(razorpayOrderId, payment, trx));
    if (result.outboxId) d.mail.sendSoon([result.outboxId]);
    return result;
  }

  /**
   * Takes a payment Razorpay reports: capture it if only authorized, fulfil if captured. A
   * webhook's payment is a snapshot from when the event happened (deliveries come late and out of
   * order), so unless the caller has just fetched it, the payment is fetched again first.
   * Nothing is captured for an order we do not know or whose amount differs.
   */
  async function settle(payment: RzpPayment, opts: { fresh?: boolean } = {}): Promise<{ outcome: SettleOutcome; orderId?: number }> {
    const order = await orders.findByRazorpayOrderId(payment.order_id);
    if (!order) return { outcome: 'unknown_order' };
    let p = opts.fresh ? payment : await gateway.fetchPayment(payment.id);
    if (p.order_id !== order.razorpay_order_id) return { outcome: 'unknown_order' };
    if (p.status === 'authorized') {
      if (isMismatch(order, p)) {
        await db.transaction((trx) => flagMismatch(order, p, trx));
        return { outcome: 'amount_mismatch', orderId: order.id };
      }
      p = await captureOnce(p);
    }
    if (p.status !== 'captured') return { outcome: 'not_captured', orderId: order.id };
    const result = await fulfil(order.razorpay_order_id, p);
    return { outcome: result.outcome, orderId: order.id };
  }

  /** Captures an authorized payment; "already captured" (a race with auto-capture or another call) is success. */
  async function captureOnce(p: RzpPayment): Promise<RzpPayment> {
    try {
      return await gateway.capture(p.id, p.amount, p.currency);
    } catch (err) {
      if (!(err instanceof PaymentGatewayError) || err.gatewayStatus !== 400) throw err;
      const now = await gateway.fetchPayment(p.id);
      if (now.status === 'captured' || now.status === 'refunded') return now;
      throw err;
    }
  }

  return {
    fulfil,
    settle,

    /**
     * Creates (or reuses) the pending order for the user's cart and its Razorpay order. A double
     * click, a second tab or 20 parallel requests for the same cart share one order. With
     * `productId` ("Buy now") the order holds that product alone and the cart is left as it is.
     */
    async createOrder(userId: number, opts: { productId?: number } = {}) {
      const user = await d.users.findById(userId);
      if (!user) throw new AppError(401, 'UNAUTHORIZED', 'Please sign in to continue.');
      const cart = opts.productId ? await d.cart.single(userId, opts.productId) : await d.cart.getCart(userId);
      if (cart.items.length === 0) throw new AppError(400, 'CART_EMPTY', 'Your cart is empty.');
      // The code the shopper saw applied can no longer be used (used up meanwhile, expired): never
      // charge the higher price silently. The cart has dropped it; the next checkout is at full price.
      if (cart.couponDropped) throw new CouponError(cart.couponDropped.reason, `${cart.couponDropped.message} Your cart is now priced without it.`, 409);
      // What was priced, offers and coupon included: a pending order is reused only for the same.
      const coupon = cart.coupon?.applied ? cart.coupon : undefined;
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([cart.items.map((i) => [i.productId, i.quantity, i.salePrice, i.offer?.id ?? null, i.couponDiscount]), coupon?.offerId ?? null, coupon?.code ?? null]) + `|${cart.total}`)
        .digest('hex');

      for (let attempt = 0; attempt < 3; attempt++) {
        const created = await db.transaction(async (trx) => {
          // Racing checkouts with one code queue here, before any row is written.
          if (coupon) await d.deals.lockIfLimited(trx, coupon.offerId);
          const order = await orders.insertPendingIfNone(
            {
              user_id: userId,
              currency: cart.currency,
              subtotal_paise: cart.subtotal,
              discount_paise: cart.discount + cart.couponDiscount,
              total_paise: cart.total,
              cart_fingerprint: fingerprint,
              coupon_offer_id: coupon?.offerId ?? null,
              coupon_code: coupon?.code ?? null,
              coupon_name: coupon?.name ?? null,
              coupon_discount_paise: cart.couponDiscount,
            },
            trx,
          );
          if (order) {
            // One use of the code, held by this order (the offer's lock counts racing checkouts in turn).
            if (coupon) await d.deals.hold(trx, coupon.offerId, order.id, userId, coupon.code);
            await orders.insertItems(
              order.id,
              cart.items.map((i) => ({
                product_id: i.productId,
                title: i.title,
                unit_price_paise: i.unitPrice,
                discount_percent: i.discountPercent,
                sale_price_paise: i.salePrice,
                quantity: i.quantity,
                line_total_paise: i.lineTotal,
                license_type: i.licenseType,
                offer_id: i.offer?.id ?? null,
                offer_name: i.offer?.name ?? null,
                coupon_discount_paise: i.couponDiscount,
              })),
              trx,
            );
          }
          return order;
        }).catch(async (err: unknown) => {
          // Used up (or used by them) between the cart and now: the cart drops the code and says why.
          if (err instanceof CouponError && !opts.productId) await d.cart.removeCoupon(userId);
          throw err;
        });

        let order: OrderRow;
        if (created) {
          try {
            const receipt = `order_${created.id}`;
            const rzp = await gateway.createOrder({ amount: created.total_paise, currency: created.currency, receipt, notes: { store_order_id: String(created.id), user_id: String(userId) } });
            await orders.update(created.id, { razorpay_order_id: rzp.id, receipt });
            order = { ...created, razorpay_order_id: rzp.id, receipt };
          } catch (err) {
            // Free the slot so the shopper can try again; nothing was charged.
            await orders.leavePending(created.id, 'failed', 'Could not create the payment order');
            throw err;
          }
        } else {
          const existing = await orders.findPendingForUser(userId);
          if (!existing) continue; // it just left pending; try again
          if (existing.cart_fingerprint !== fingerprint) {
            // The cart changed since: that order is abandoned. (A late payment on it is still fulfilled.)
            await orders.leavePending(existing.id, 'expired', 'Replaced by a newer checkout');
            continue;
          }
          const ready = await waitForRazorpayId(existing.id);
          if (!ready || ready.status !== 'pending' || !ready.razorpay_order_id) continue;
          order = ready;
        }
        return {
          orderId: order.id,
          razorpayOrderId: order.razorpay_order_id as string,
          amount: order.total_paise,
          currency: order.currency,
          keyId: gateway.keyId,
          name: user.name,
          email: user.email,
        };
      }
      throw new AppError(409, 'ORDER_CHANGED', 'Your cart changed while we were preparing the order. Please try again.');
    },

    /**
     * The browser's success callback. The signature is checked against the Razorpay order id WE
     * stored for this user's order; then the payment is re-fetched before anything is trusted.
     */
    async verifyPayment(userId: number, body: { razorpay_order_id: string; razorpay_payment_id: string; razorpay_signature: string }) {
      const order = await orders.findByRazorpayOrderId(body.razorpay_order_id);
      if (!order || order.user_id !== userId) throw new NotFoundError('We could not find that order.');
      if (!gateway.verifyPaymentSignature(order.razorpay_order_id as string, body.razorpay_payment_id, body.razorpay_signature)) {
        throw new AppError(400, 'INVALID_SIGNATURE', 'We could not confirm this payment. If money was taken, it will be matched automatically within minutes.');
      }
      const payment = await gateway.fetchPayment(body.razorpay_payment_id);
      if (payment.order_id !== order.razorpay_order_id) throw new AppError(400, 'INVALID_SIGNATURE', 'That payment belongs to another order.');
      await settle(payment, { fresh: true });
      const latest = await orders.findById(order.id);
      return { orderId: order.id, status: latest?.status ?? order.status };
    },

    /** A failed payment attempt: recorded, and the order stays open for a retry (never un-paid). False for an order we do not know. */
    async recordFailedPayment(payment: RzpPayment): Promise<boolean> {
      const order = await orders.findByRazorpayOrderId(payment.order_id);
      if (!order) return false;
      await d.payments.upsert({
        order_id: order.id,
        razorpay_payment_id: payment.id,
        status: 'failed',
        amount_paise: payment.amount,
        currency: payment.currency,
        method: payment.method ?? null,
        error_code: payment.error_code,
        error_description: payment.error_description,
      });
      if (order.status === 'pending') await orders.update(order.id, { failure_reason: payment.error_description?.slice(0, 300) ?? 'Payment failed' });
      // One pending alert gathers every failure until it is sent ("12 failed payments …").
      await d.alerts.raise({
        kind: 'payment_failed',
        fingerprint: 'payments',
        title: 'A payment failed',
        detail: { orderId: order.id, paymentId: payment.id, code: payment.error_code, reason: payment.error_description, method: payment.method },
      });
      return true;
    },
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
