import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { formatINR } from '../lib/money.js';
import type { CartModel } from '../models/cart.js';
import type { EntitlementModel } from '../models/entitlements.js';
import type { OrderModel, OrderRow } from '../models/orders.js';
import type { PaymentModel } from '../models/payments.js';
import type { UserModel } from '../models/users.js';
import type { CartService } from './cart-service.js';
import type { MailService } from './mail-service.js';
import type { RazorpayGateway, RzpPayment } from './razorpay-gateway.js';

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
  gateway: RazorpayGateway;
  mail: MailService;
  clock: Clock;
  logger: Logger;
  settings: { baseUrl: string; storeName: string; downloadLimit: number };
  /** A download link for an entitlement (the downloads feature). */
  downloadLink?: (entitlementId: number, userId: number) => string;
  /** Told about failed payments (the alerts feature sends them to Discord/Slack). */
  onPaymentFailed?: (info: { orderId: number; razorpayPaymentId: string; reason: string | null }) => void;
}

const WAIT_FOR_OTHER_REQUEST_MS = 10_000;

export function createCheckoutService(d: CheckoutDeps) {
  const { db, orders, gateway, clock } = d;

  async function waitForRazorpayId(orderId: number): Promise<OrderRow> {
    const deadline = Date.now() + WAIT_FOR_OTHER_REQUEST_MS;
    for (;;) {
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
  async function markPaid(razorpayOrderId: string, payment: RzpPayment, trx: Knex.Transaction): Promise<{ order: OrderRow; fulfilled: boolean; outboxId?: number }> {
    const order = await orders.findByRazorpayOrderIdForUpdate(razorpayOrderId, trx);
    if (!order) throw new NotFoundError('Unknown order.');
    await d.payments.upsert(
      { order_id: order.id, razorpay_payment_id: payment.id, status: payment.status, amount_paise: payment.amount, currency: payment.currency, method: payment.method ?? null, error_code: null, error_description: null },
      trx,
    );
    if (order.status === 'paid' || order.status === 'refunded') return { order, fulfilled: false };
    if (payment.amount !== order.total_paise || payment.currency !== order.currency) {
      // Never fulfil a payment that does not match what we asked for; a person must look.
      d.logger.error({ orderId: order.id, paymentId: payment.id, amount: payment.amount, expected: order.total_paise }, 'payment amount mismatch');
      return { order, fulfilled: false };
    }
    const now = clock.now();
    await orders.update(order.id, { status: 'paid', paid_at: now, fulfilled_at: now, failure_reason: null }, trx);
    const items = await orders.items(order.id, trx);
    await d.entitlements.createForOrder(items.map((i) => ({ user_id: order.user_id, order_id: order.id, product_id: i.product_id, max_downloads: d.settings.downloadLimit * i.quantity })), trx);
    await d.carts.removeLines(order.user_id, items.map((i) => i.product_id), trx);
    const user = await d.users.findById(order.user_id, trx);
    const rights = await d.entitlements.forOrder(order.id, trx);
    const linkOf = (productId: number) => {
      const right = rights.find((r) => r.product_id === productId);
      return right && d.downloadLink ? d.downloadLink(right.id, order.user_id) : `${d.settings.baseUrl}/orders/${order.id}`;
    };
    let outboxId: number | undefined;
    if (user) {
      outboxId = await d.mail.queue(
        'order-confirmation',
        user.email,
        `Your ${d.settings.storeName} order #${order.id} is ready to download`,
        {
          name: user.name,
          orderId: order.id,
          total: formatINR(order.total_paise),
          items: items.map((i) => ({ title: i.title, quantity: i.quantity, license: i.license_type, lineTotal: formatINR(i.line_total_paise), link: linkOf(i.product_id) })),
          orderLink: `${d.settings.baseUrl}/orders/${order.id}`,
        },
        trx,
      );
    }
    return { order: { ...order, status: 'paid', paid_at: now }, fulfilled: true, outboxId };
  }

  /** Runs markPaid in its own transaction and sends the email after commit. */
  async function fulfil(razorpayOrderId: string, payment: RzpPayment) {
    const result = await db.transaction((trx) => markPaid(razorpayOrderId, payment, trx));
    if (result.outboxId) d.mail.sendSoon([result.outboxId]);
    return result;
  }

  /** Takes a payment Razorpay reports: capture it if only authorized, fulfil if captured. */
  async function settle(razorpayOrderId: string, payment: RzpPayment) {
    let p = payment;
    if (p.status === 'authorized') p = await gateway.capture(p.id, p.amount, p.currency);
    if (p.status === 'captured') return fulfil(razorpayOrderId, p);
    return undefined;
  }

  return {
    fulfil,
    settle,

    /**
     * Creates (or reuses) the pending order for the user's cart and its Razorpay order. A double
     * click, a second tab or 20 parallel requests for the same cart share one order.
     */
    async createOrder(userId: number) {
      const user = await d.users.findById(userId);
      if (!user) throw new AppError(401, 'UNAUTHORIZED', 'Please sign in to continue.');
      const cart = await d.cart.getCart(userId);
      if (cart.items.length === 0) throw new AppError(400, 'CART_EMPTY', 'Your cart is empty.');
      const fingerprint = createHash('sha256')
        .update(JSON.stringify(cart.items.map((i) => [i.productId, i.quantity, i.salePrice])) + `|${cart.total}`)
        .digest('hex');

      for (let attempt = 0; attempt < 3; attempt++) {
        const created = await db.transaction(async (trx) => {
          const order = await orders.insertPendingIfNone(
            { user_id: userId, currency: cart.currency, subtotal_paise: cart.subtotal, discount_paise: cart.discount, total_paise: cart.total, cart_fingerprint: fingerprint },
            trx,
          );
          if (order) {
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
              })),
              trx,
            );
          }
          return order;
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
          order = await waitForRazorpayId(existing.id);
          if (order.status !== 'pending' || !order.razorpay_order_id) continue;
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
      await settle(order.razorpay_order_id as string, payment);
      const latest = await orders.findById(order.id);
      return { orderId: order.id, status: latest?.status ?? order.status };
    },

    /** A failed payment attempt: recorded, and the order stays open for a retry (never un-paid). */
    async recordFailedPayment(payment: RzpPayment) {
      const order = await orders.findByRazorpayOrderId(payment.order_id);
      if (!order) return;
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
      d.onPaymentFailed?.({ orderId: order.id, razorpayPaymentId: payment.id, reason: payment.error_description });
    },

    /** A processed refund: the order becomes refunded and its download rights end. */
    async recordRefund(paymentId: string) {
      await db.transaction(async (trx) => {
        const payment = (await trx('payments').where({ razorpay_payment_id: paymentId }).first()) as { order_id: number } | undefined;
        if (!payment) return;
        const order = (await trx('orders').where({ id: payment.order_id }).forUpdate().first()) as OrderRow | undefined;
        if (!order || order.status === 'refunded') return;
        const now = clock.now();
        await orders.update(order.id, { status: 'refunded', refunded_at: now }, trx);
        await trx('payments').where({ razorpay_payment_id: paymentId }).update({ status: 'refunded', updated_at: trx.fn.now() });
        await d.entitlements.revokeForOrder(order.id, now, trx);
      });
    },
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
