import { istDayStart } from '../lib/india-time.js';
import type { Db } from '../db/knex.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { formatINR } from '../lib/money.js';
import type { EntitlementModel } from '../models/entitlements.js';
import { createOrderAdminQueries, type AdminOrderFilter, type OrderSearch } from '../models/order-admin.js';
import type { OrderModel, OrderRow, OrderStatus } from '../models/orders.js';
import type { PaymentModel } from '../models/payments.js';
import type { RefundModel } from '../models/refunds.js';
import type { UserModel } from '../models/users.js';
import type { Actor, AuditService } from './audit-service.js';
import type { MailService } from './mail-service.js';
import { PaymentGatewayError, type RazorpayGateway, type RzpRefund } from './razorpay-gateway.js';
import { queueOrderConfirmation } from './order-confirmation.js';
import type { RefundOutcome, RefundService } from './refund-service.js';

/** Lists stop counting here ("10,000+"): an exact count of every order costs a full scan. */
export const ORDER_COUNT_CAP = 10_000;
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'failed', 'refunded', 'expired'];
/** An email prefix matching more accounts than this is searched as a subquery instead. */
const BUYER_LOOKUP_CAP = 1_000;
/** Razorpay refunds nothing under ₹1. */
export const MIN_REFUND_PAISE = 100;

/**
 * What the one search box means: "#123" or "123" an order number, "order_…" a Razorpay order,
 * "pay_…" a Razorpay payment, anything else the buyer's email (whole, or its beginning).
 */
export function parseOrderSearch(raw: string): OrderSearch {
  const q = raw.trim();
  const n = /^#?\s*(\d{1,10})$/.exec(q);
  if (n && Number(n[1]) >= 1 && Number(n[1]) <= 2_147_483_647) return { kind: 'id', id: Number(n[1]) };
  if (/^order_[A-Za-z0-9]+$/.test(q)) return { kind: 'razorpay_order', value: q };
  if (/^pay_[A-Za-z0-9]+$/.test(q)) return { kind: 'payment', value: q };
  return { kind: 'email', value: q, exact: /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(q) };
}

export interface RefundRequest {
  /** Paise; the whole refundable amount when left out. */
  amountPaise?: number;
  reason: string;
  /** One per submitted form, so a double submit refunds once. */
  idempotencyKey: string;
}

export interface RefundResult {
  outcome: RefundOutcome;
  amountPaise: number;
  refundId: string;
  refundStatus: string;
  /** The same form was submitted before: nothing new happened. */
  duplicate: boolean;
  order: OrderRow;
}

/**
 * Razorpay refused the refund or could not be reached. `sameKeyIsSafe`: the outcome is unknown
 * (network, 5xx), so the form should be sent again with the same key, which can never refund
 * twice; after a clear refusal the form gets a fresh key.
 */
export class RefundGatewayError extends AppError {
  constructor(
    message: string,
    readonly sameKeyIsSafe: boolean,
  ) {
    super(sameKeyIsSafe ? 503 : 502, 'REFUND_FAILED', message);
  }
}

/**
 * Orders as the admin works them: list and search, an order's whole story, refunds through
 * Razorpay, resending the confirmation, resetting a buyer's download count. Every change is
 * audited in the transaction that makes it; Razorpay is only ever called outside a transaction.
 */
export function createOrderAdminService(deps: {
  db: Db;
  models: { orders: OrderModel; payments: PaymentModel; refunds: RefundModel; entitlements: EntitlementModel; users: UserModel };
  gateway: RazorpayGateway;
  /** The refund.* webhook's own recording, so both paths add refunds up the same way. */
  refunds: RefundService;
  mail: MailService;
  audit: AuditService;
  logger: Logger;
  settings: { baseUrl: string; storeName: string };
  downloadLink: (entitlementId: number, userId: number) => string;
}) {
  const { db, models, audit } = deps;
  const q = createOrderAdminQueries(db);
  /** Refunds of forms still being made in this process, so a double click waits for the first. */
  const inFlight = new Map<string, Promise<RefundResult>>();

  async function orderOrThrow(id: number): Promise<OrderRow> {
    const order = await models.orders.findById(id);
    if (!order) throw new NotFoundError('There is no order with that number.');
    return order;
  }

  /** What can still be refunded, and from which payment; throws when nothing can. */
  async function refundable(order: OrderRow) {
    if (order.status === 'refunded') throw new ConflictError(`Order #${order.id} is already refunded in full.`, 'ALREADY_REFUNDED');
    if (order.status !== 'paid') throw new ConflictError(`Order #${order.id} is ${order.status}, not paid: there is nothing to refund.`, 'ORDER_NOT_PAID');
    const payment = (await q.payments(order.id)).filter((p) => p.status === 'captured').at(-1);
    if (!payment) throw new ConflictError(`Order #${order.id} has no captured payment, so Razorpay has nothing to refund.`, 'NO_CAPTURED_PAYMENT');
    const committed = await q.refundsNotFailed(order.id);
    const remaining = Math.max(0, Math.min(order.total_paise, payment.amount_paise) - committed);
    return { payment, remaining };
  }

  function duplicateOf(order: OrderRow, prior: { changes: Record<string, [unknown, unknown]> }): RefundResult {
    const after = (k: string) => prior.changes[k]?.[1];
    return {
      outcome: (after('outcome') as RefundOutcome | undefined) ?? 'recorded',
      amountPaise: Number(after('refund_amount_paise') ?? 0),
      refundId: String(after('razorpay_refund_id') ?? ''),
      refundStatus: String(after('refund_status') ?? ''),
      duplicate: true,
      order,
    };
  }

  async function askRazorpay(paymentId: string, order: OrderRow, amount: number, req: RefundRequest): Promise<RzpRefund> {
    try {
      return await deps.gateway.refund(paymentId, { amount, idempotencyKey: req.idempotencyKey, notes: { store_order_id: String(order.id), reason: req.reason.slice(0, 250) } });
    } catch (err) {
      if (!(err instanceof PaymentGatewayError)) throw err;
      deps.logger.warn({ err, orderId: order.id, paymentId, gatewayStatus: err.gatewayStatus, gatewayError: err.gatewayError }, 'admin refund refused or failed at Razorpay');
      if (err.gatewayStatus === null || err.gatewayStatus >= 500) {
        throw new RefundGatewayError('Razorpay could not be reached, so we do not know yet whether the refund was made. Send the same form again: it can never refund twice.', true);
      }
      const why = err.gatewayError?.description ? ` Razorpay said: “${err.gatewayError.description}”` : '';
      throw new RefundGatewayError(`Razorpay refused the refund; nothing was refunded.${why}`, false);
    }
  }

  async function refundOnce(orderId: number, req: RefundRequest, actor: Actor): Promise<RefundResult> {
    let order = await orderOrThrow(orderId);
    const prior = await q.refundByKey(order.id, req.idempotencyKey);
    if (prior) return duplicateOf(order, prior);
    const { payment, remaining } = await refundable(order);
    if (remaining <= 0) throw new ConflictError(`Everything paid for order #${order.id} is already refunded or being refunded.`, 'NOTHING_TO_REFUND');
    const amount = req.amountPaise ?? remaining;
    if (amount > remaining) throw new ValidationError(`At most ${formatINR(remaining)} can be refunded for order #${order.id}.`, { amount: `At most ${formatINR(remaining)}.` });
    if (amount < MIN_REFUND_PAISE) throw new ValidationError('Razorpay refunds at least ₹1.', { amount: 'At least ₹1.' });

    // The HTTP call happens with no transaction open; the key makes a repeat of it harmless.
    const refund = await askRazorpay(payment.razorpay_payment_id, order, amount, req);
    // Razorpay answers a reused key with the refund it first made, which may be another payment's.
    if (refund.payment_id !== payment.razorpay_payment_id || refund.amount !== amount) {
      throw new ConflictError('This idempotency key was already used for a different refund. Open the refund form again (or send a new key).', 'IDEMPOTENCY_KEY_REUSED');
    }

    return db.transaction(async (trx) => {
      const locked = await q.lock(order.id, trx);
      if (!locked) throw new NotFoundError('There is no order with that number.');
      // Another process may have finished this same form while Razorpay answered us.
      const again = await q.refundByKey(order.id, req.idempotencyKey, trx);
      if (again) return duplicateOf(locked, again);
      // The webhook's own path (refund-service), run inside this transaction so the refund and
      // its audit entry land together: totals added up, a full refund ends the downloads.
      const { outcome } = await deps.refunds.record({ id: refund.id, payment_id: refund.payment_id, amount: refund.amount, status: refund.status, currency: order.currency }, undefined, trx);
      order = (await models.orders.findById(order.id, trx))!;
      await audit.record(trx, actor, {
        action: 'order.refund',
        entity: 'order',
        id: order.id,
        summary: `Refunded ${formatINR(refund.amount)} of order #${order.id} through Razorpay (${outcome === 'full' ? 'in full: downloads ended' : outcome === 'partial' ? 'partial: downloads kept' : `refund ${refund.status}`}). Reason: ${req.reason || '—'}`,
        before: { status: locked.status, refunded_paise: locked.refunded_paise },
        after: {
          status: order.status,
          refunded_paise: order.refunded_paise,
          refund_amount_paise: refund.amount,
          razorpay_refund_id: refund.id,
          refund_status: refund.status,
          outcome,
          reason: req.reason || null,
          idempotency_key: req.idempotencyKey,
        },
      });
      return { outcome, amountPaise: refund.amount, refundId: refund.id, refundStatus: refund.status, duplicate: false, order };
    });
  }

  return {
    async list(f: { q?: string; status?: OrderStatus | 'attention'; from?: string; to?: string; page: number; pageSize: number }) {
      let search = f.q ? parseOrderSearch(f.q) : undefined;
      if (search?.kind === 'email' && !search.exact) {
        const ids = await q.buyerIdsByEmailPrefix(search.value, BUYER_LOOKUP_CAP + 1);
        if (ids.length <= BUYER_LOOKUP_CAP) search = { kind: 'buyers', ids };
      }
      const filter: AdminOrderFilter = {
        status: f.status,
        search,
        from: f.from ? istDayStart(f.from) : undefined,
        // "To" is the whole of that day in India: up to the start of the next.
        to: f.to ? new Date(istDayStart(f.to).getTime() + 86_400_000) : undefined,
      };
      const [rows, counted] = await Promise.all([q.list(filter, f.pageSize, (f.page - 1) * f.pageSize), q.count(filter, ORDER_COUNT_CAP + 1)]);
      const items = await q.itemCounts(rows.map((r) => r.id));
      const total = Math.min(counted, ORDER_COUNT_CAP);
      return {
        rows: rows.map((r) => ({ ...r, lines: items.get(r.id)?.lines ?? 0, quantity: items.get(r.id)?.quantity ?? 0 })),
        total,
        totalCapped: counted > ORDER_COUNT_CAP,
        page: f.page,
        pageCount: Math.max(1, Math.ceil(total / f.pageSize)),
      };
    },

    /** An order's whole story: buyer, money, items, payments, refunds, webhooks, downloads, history. */
    async get(id: number) {
      const order = await orderOrThrow(id);
      const [buyer, items, payments, refunds, entitlements, history, committed] = await Promise.all([
        models.users.findById(order.user_id),
        models.orders.items(id),
        q.payments(id),
        models.refunds.forOrder(id),
        q.entitlements(id),
        audit.forEntity('order', id),
        q.refundsNotFailed(id),
      ]);
      const [events, downloads] = await Promise.all([q.webhookEvents(order.razorpay_order_id, payments.map((p) => p.razorpay_payment_id)), q.downloads(entitlements.map((e) => e.id))]);
      const captured = payments.filter((p) => p.status === 'captured').at(-1);
      const refundablePaise = order.status === 'paid' && captured ? Math.max(0, Math.min(order.total_paise, captured.amount_paise) - committed) : 0;
      return {
        order,
        buyer: buyer ? { id: buyer.id, email: buyer.email, name: buyer.name } : undefined,
        items,
        payments,
        refunds,
        events,
        entitlements,
        downloads,
        history,
        refundablePaise,
        canResend: order.status === 'paid',
      };
    },

    /** What the refund form needs: the order, the remaining amount, or why it cannot be refunded. */
    async refundQuote(id: number) {
      const order = await orderOrThrow(id);
      const { payment, remaining } = await refundable(order);
      if (remaining <= 0) throw new ConflictError(`Everything paid for order #${order.id} is already refunded or being refunded.`, 'NOTHING_TO_REFUND');
      return { order, payment, remainingPaise: remaining };
    },

    /**
     * Refunds all or part of an order through Razorpay, then records the refund the way the
     * `refund.*` webhook does. One submitted form refunds once: its key is sent to Razorpay
     * (X-Refund-Idempotency) and kept in the audit entry, and a second submit is answered from
     * there (or, while the first is still running here, waits for it).
     */
    async refund(orderId: number, req: RefundRequest, actor: Actor): Promise<RefundResult> {
      const flight = `${orderId}:${req.idempotencyKey}`;
      const running = inFlight.get(flight);
      if (running) return { ...(await running), duplicate: true };
      const p = refundOnce(orderId, req, actor);
      inFlight.set(flight, p);
      try {
        return await p;
      } finally {
        inFlight.delete(flight);
      }
    },

    /** Queues the order-confirmation email again, to the buyer, with fresh download links. */
    async resendConfirmation(orderId: number, actor: Actor): Promise<{ to: string }> {
      const { to, outboxId } = await db.transaction(async (trx) => {
        const order = await q.lock(orderId, trx);
        if (!order) throw new NotFoundError('There is no order with that number.');
        if (order.status !== 'paid') throw new ConflictError(`Order #${order.id} is ${order.status}: only a paid order's confirmation can be sent again.`, 'ORDER_NOT_PAID');
        const sent = await queueOrderConfirmation({ ...deps, ...models }, order, trx);
        if (!sent) throw new NotFoundError('The buyer of this order no longer exists.');
        const { to: email, outboxId: id } = sent;
        await audit.record(trx, actor, { action: 'order.resend-confirmation', entity: 'order', id: order.id, summary: `Sent the confirmation of order #${order.id} again to ${email}`, after: { email_outbox_id: id } });
        return { to: email, outboxId: id };
      });
      deps.mail.sendSoon([outboxId]);
      return { to };
    },

    /**
     * Sets a buyer's download count for one item back to 0. A revoked item (refunded) stays
     * revoked: this only gives back downloads, never access.
     */
    async resetDownloads(orderId: number, entitlementId: number, actor: Actor): Promise<{ title: string; was: number; revoked: boolean }> {
      return db.transaction(async (trx) => {
        const right = await q.lockEntitlement(orderId, entitlementId, trx);
        if (!right) throw new NotFoundError('That order has no such item to download.');
        await q.resetDownloadCount(right.id, trx);
        await audit.record(trx, actor, {
          action: 'order.reset-downloads',
          entity: 'order',
          id: orderId,
          summary: `Reset the downloads of “${right.title}” on order #${orderId} from ${right.download_count} to 0${right.revoked_at ? ' (it stays revoked)' : ''}`,
          before: { entitlement_id: null, download_count: right.download_count },
          after: { entitlement_id: right.id, download_count: 0 },
        });
        return { title: right.title, was: right.download_count, revoked: right.revoked_at !== null };
      });
    },
  };
}

export type OrderAdminService = ReturnType<typeof createOrderAdminService>;
