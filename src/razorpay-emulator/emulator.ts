import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';

/**
 * A local stand-in for the parts of Razorpay's API the store uses, following
 * shared/docs/razorpay.md: Basic-auth orders API, payments, capture, refunds and signed webhooks.
 * The store talks to it through the official SDK (RAZORPAY_API_BASE), exactly as to Razorpay.
 * It backs the tests and the no-keys development start; production refuses it.
 */

export interface EmulatorOptions {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** Where signed webhooks are POSTed (the store's /api/webhooks/razorpay); none if unset. */
  webhookUrl?: string;
  /** Unix seconds; injectable so tests can move time. */
  now?: () => number;
}

export interface EmuOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  offer_id: null;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  notes: Record<string, string>;
  created_at: number;
}

export interface EmuPayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string;
  method: string;
  captured: boolean;
  amount_refunded: number;
  refund_status: null | 'partial' | 'full';
  email: string;
  contact: string;
  notes: Record<string, string>;
  fee: number | null;
  tax: number | null;
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  created_at: number;
}

export interface EmuRefund {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  notes: Record<string, string>;
  receipt: string | null;
  status: 'pending' | 'processed' | 'failed';
  speed_requested: string;
  created_at: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function razorpayId(prefix: string): string {
  const bytes = randomBytes(14);
  return `${prefix}_${[...bytes].map((b) => ALNUM[b % ALNUM.length]).join('')}`;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly field: string | null = null,
  ) {
    super(description);
  }
}

const hmac = (secret: string, data: string | Buffer) => createHmac('sha256', secret).update(data).digest('hex');

export function createRazorpayEmulator(opts: EmulatorOptions) {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const orders = new Map<string, EmuOrder>();
  const payments = new Map<string, EmuPayment>();
  const refunds = new Map<string, EmuRefund>();
  const refundKeys = new Map<string, string>();
  const delivered: { eventId: string; event: string; status: number | 'error' }[] = [];

  function auth(req: Request, _res: Response, next: NextFunction) {
    const header = req.get('authorization') ?? '';
    const expected = `Basic ${Buffer.from(`${opts.keyId}:${opts.keySecret}`).toString('base64')}`;
    const ok = header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
    if (!ok) return next(new ApiError(401, 'Authentication failed'));
    next();
  }

  function validateOrder(body: Record<string, unknown>) {
    const allowed = new Set(['amount', 'currency', 'receipt', 'notes', 'partial_payment']);
    for (const k of Object.keys(body)) if (!allowed.has(k)) throw new ApiError(400, `${k} is/are not required and should not be sent`, k);
    const { amount, currency, receipt, notes } = body;
    if (typeof amount !== 'number' || !Number.isInteger(amount)) throw new ApiError(400, 'The amount must be an integer.', 'amount');
    if (amount < 100) throw new ApiError(400, 'The amount must be atleast INR 1.00', 'amount');
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw new ApiError(400, 'The currency must be 3 characters.', 'currency');
    if (receipt !== undefined && (typeof receipt !== 'string' || receipt.length > 40)) throw new ApiError(400, 'The receipt may not be greater than 40 characters.', 'receipt');
    if (notes !== undefined) {
      if (typeof notes !== 'object' || notes === null || Array.isArray(notes)) throw new ApiError(400, 'The notes must be an array.', 'notes');
      const entries = Object.entries(notes);
      if (entries.length > 15) throw new ApiError(400, 'Number of fields in notes should be less than or equal to 15', 'notes');
      for (const [, v] of entries) if (String(v).length > 256) throw new ApiError(400, 'Notes value should be less than or equal to 256 characters', 'notes');
    }
    return { amount, currency, receipt: (receipt as string | undefined) ?? null, notes: (notes as Record<string, string> | undefined) ?? {} };
  }

  function findOrder(id: string) {
    const o = orders.get(id);
    if (!o) throw new ApiError(400, 'The id provided does not exist', 'id');
    return o;
  }
  function findPayment(id: string) {
    const p = payments.get(id);
    if (!p) throw new ApiError(400, 'The id provided does not exist', 'id');
    return p;
  }

  /** Signs and POSTs one event to the webhook URL; resolves with the HTTP status. */
  async function sendWebhook(event: string, entities: { payment?: EmuPayment; order?: EmuOrder; refund?: EmuRefund }, eventId = razorpayId('evt')) {
    const contains = Object.keys(entities);
    const payload: Record<string, { entity: unknown }> = {};
    for (const [k, v] of Object.entries(entities)) if (v) payload[k] = { entity: structuredClone(v) };
    const body = JSON.stringify({ entity: 'event', account_id: 'acc_EmulatorAcct01', event, contains, payload, created_at: now() });
    if (!opts.webhookUrl) return { eventId, body, status: 0 as number | 'error' };
    let status: number | 'error';
    try {
      const res = await fetch(opts.webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Razorpay-Signature': hmac(opts.webhookSecret, body), 'X-Razorpay-Event-Id': eventId },
        body,
        signal: AbortSignal.timeout(5000),
      });
      status = res.status;
    } catch {
      status = 'error';
    }
    delivered.push({ eventId, event, status });
    return { eventId, body, status };
  }

  /**
   * What Checkout does when a shopper pays: a payment on the order, captured (auto-capture, the
   * default), authorized only, or failed. Returns the fields Checkout hands to the success
   * handler, signed as Razorpay signs them.
   */
  function pay(orderId: string, p: { outcome?: 'captured' | 'authorized' | 'failed'; method?: string; email?: string; contact?: string } = {}) {
    const order = findOrder(orderId);
    if (order.status === 'paid') throw new ApiError(400, 'Order has already been paid');
    const outcome = p.outcome ?? 'captured';
    const payment: EmuPayment = {
      id: razorpayId('pay'),
      entity: 'payment',
      amount: order.amount,
      currency: order.currency,
      status: outcome,
      order_id: order.id,
      method: p.method ?? 'upi',
      captured: outcome === 'captured',
      amount_refunded: 0,
      refund_status: null,
      email: p.email ?? 'shopper@example.com',
      contact: p.contact ?? '+919999999999',
      notes: order.notes,
      fee: outcome === 'captured' ? Math.round(order.amount * 0.02) : null,
      tax: outcome === 'captured' ? Math.round(order.amount * 0.0036) : null,
      error_code: outcome === 'failed' ? 'BAD_REQUEST_ERROR' : null,
      error_description: outcome === 'failed' ? 'Payment failed because the bank declined it.' : null,
      error_source: outcome === 'failed' ? 'bank' : null,
      error_step: outcome === 'failed' ? 'payment_authorization' : null,
      error_reason: outcome === 'failed' ? 'payment_declined' : null,
      created_at: now(),
    };
    payments.set(payment.id, payment);
    order.attempts += 1;
    if (order.status === 'created') order.status = 'attempted';
    if (outcome === 'captured') markPaid(order, payment);
    return {
      payment,
      order,
      response: { razorpay_payment_id: payment.id, razorpay_order_id: order.id, razorpay_signature: hmac(opts.keySecret, `${order.id}|${payment.id}`) },
    };
  }

  function markPaid(order: EmuOrder, payment: EmuPayment) {
    order.status = 'paid';
    order.amount_paid = payment.amount;
    order.amount_due = 0;
  }

  /** Every authenticated API call, "POST /v1/payments/pay_…/capture", for tests to count. */
  const calls: string[] = [];
  const router: Router = express.Router();
  router.use(express.json({ limit: '100kb' }));
  router.use('/v1', auth);
  router.use('/v1', (req, _res, next) => {
    calls.push(`${req.method} /v1${req.path}`);
    next();
  });

  router.post('/v1/orders', (req, res) => {
    const input = validateOrder((req.body ?? {}) as Record<string, unknown>);
    const order: EmuOrder = {
      id: razorpayId('order'),
      entity: 'order',
      amount: input.amount,
      amount_paid: 0,
      amount_due: input.amount,
      currency: input.currency,
      receipt: input.receipt,
      offer_id: null,
      status: 'created',
      attempts: 0,
      notes: input.notes,
      created_at: now(),
    };
    orders.set(order.id, order);
    res.json(order);
  });
  router.get('/v1/orders/:id', (req, res) => {
    res.json(findOrder(String(req.params.id)));
  });
  router.get('/v1/orders/:id/payments', (req, res) => {
    const order = findOrder(String(req.params.id));
    const items = [...payments.values()].filter((p) => p.order_id === order.id);
    res.json({ entity: 'collection', count: items.length, items });
  });
  router.get('/v1/payments/:id', (req, res) => {
    res.json(findPayment(String(req.params.id)));
  });
  router.post('/v1/payments/:id/capture', (req, res) => {
    const payment = findPayment(String(req.params.id));
    const { amount, currency } = (req.body ?? {}) as { amount?: unknown; currency?: unknown };
    if (payment.status !== 'authorized') throw new ApiError(400, 'This payment has already been captured', 'id');
    if (amount !== payment.amount) throw new ApiError(400, 'Capture amount must be equal to the amount authorized', 'amount');
    if (currency !== undefined && currency !== payment.currency) throw new ApiError(400, 'The currency does not match', 'currency');
    payment.status = 'captured';
    payment.captured = true;
    markPaid(findOrder(payment.order_id), payment);
    res.json(payment);
  });
  router.post('/v1/payments/:id/refund', (req, res) => {
    const payment = findPayment(String(req.params.id));
    const key = req.get('x-refund-idempotency');
    if (key !== undefined && key.length < 10) throw new ApiError(400, 'X-Refund-Idempotency must be at least 10 characters', 'X-Refund-Idempotency');
    if (key && refundKeys.has(key)) return res.json(refunds.get(refundKeys.get(key)!));
    if (payment.status !== 'captured' && payment.status !== 'refunded') throw new ApiError(400, 'The payment has not been captured');
    const body = (req.body ?? {}) as { amount?: number; speed?: string; notes?: Record<string, string>; receipt?: string };
    const amount = body.amount ?? payment.amount - payment.amount_refunded;
    if (!Number.isInteger(amount) || amount < 100 || amount > payment.amount - payment.amount_refunded) {
      throw new ApiError(400, 'The refund amount provided is greater than amount captured', 'amount');
    }
    const refund: EmuRefund = {
      id: razorpayId('rfnd'),
      entity: 'refund',
      amount,
      currency: payment.currency,
      payment_id: payment.id,
      notes: body.notes ?? {},
      receipt: body.receipt ?? null,
      status: 'processed',
      speed_requested: body.speed ?? 'normal',
      created_at: now(),
    };
    refunds.set(refund.id, refund);
    if (key) refundKeys.set(key, refund.id);
    payment.amount_refunded += amount;
    payment.refund_status = payment.amount_refunded === payment.amount ? 'full' : 'partial';
    if (payment.refund_status === 'full') payment.status = 'refunded';
    res.json(refund);
  });

  router.use((_req, _res, next) => next(new ApiError(400, 'The requested URL was not found on the server.')));
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err instanceof ApiError ? err : new ApiError(400, (err as { type?: string }).type === 'entity.parse.failed' ? 'Invalid JSON body' : 'Bad request');
    res.status(e.status).json({
      error: { code: 'BAD_REQUEST_ERROR', description: e.description, field: e.field, source: 'business', step: 'payment_initiation', reason: 'input_validation_failed', metadata: {} },
    });
  });

  return { router, orders, payments, refunds, delivered, calls, pay, sendWebhook, findOrder };
}

export type RazorpayEmulator = ReturnType<typeof createRazorpayEmulator>;
