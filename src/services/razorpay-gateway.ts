import { createHmac } from 'node:crypto';
import Razorpay from 'razorpay';
import { AppError } from '../lib/errors.js';
import { safeEqual } from '../lib/tokens.js';

/**
 * The one module that talks to Razorpay, through the official SDK. It aims the SDK at an
 * emulator when configured (never in production: config refuses RAZORPAY_API_BASE there), turns
 * the SDK's two failure shapes into one typed error, and checks signatures in constant time
 * (the SDK's helpers compare with === and throw on a missing field).
 */

export interface RzpOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  notes: Record<string, string>;
  created_at: number;
}

export interface RzpPayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string;
  method: string;
  captured: boolean;
  amount_refunded: number;
  email: string;
  contact: string;
  error_code: string | null;
  error_description: string | null;
  created_at: number;
}

export interface RzpRefund {
  id: string;
  entity: 'refund';
  amount: number;
  payment_id: string;
  status: 'pending' | 'processed' | 'failed';
}

/** Razorpay answered with an error, or could not be reached. */
export class PaymentGatewayError extends AppError {
  constructor(
    message: string,
    readonly gatewayStatus: number | null,
    readonly gatewayError: { code?: string; description?: string; field?: string | null } | null,
  ) {
    super(gatewayStatus === null ? 503 : 502, 'PAYMENT_GATEWAY_ERROR', message);
  }
}

function wrap(err: unknown): PaymentGatewayError {
  const e = err as { statusCode?: number; error?: { code?: string; description?: string; field?: string | null }; response?: { status?: number; data?: { error?: object } } };
  const status = e?.statusCode ?? e?.response?.status;
  if (typeof status === 'number') {
    const detail = (e.error ?? e.response?.data?.error ?? null) as PaymentGatewayError['gatewayError'];
    const message =
      status === 401 || (status === 400 && detail?.description === 'Authentication failed')
        ? 'The payment service rejected our credentials. Please try again later.'
        : 'The payment service could not process the request. Please try again.';
    return new PaymentGatewayError(message, status, detail);
  }
  // The SDK turns a network failure into a TypeError from inside itself.
  return new PaymentGatewayError('The payment service is unreachable right now. Please try again in a minute.', null, null);
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T;
  } catch (err) {
    throw wrap(err);
  }
}

const hmacHex = (secret: string, data: string | Buffer) => createHmac('sha256', secret).update(data).digest('hex');

export function createRazorpayGateway(opts: { keyId: string; keySecret: string; webhookSecret: string; apiBase?: string; timeoutMs?: number }) {
  const sdk = new Razorpay({ key_id: opts.keyId, key_secret: opts.keySecret });
  const rq = (sdk as unknown as { api: { rq: { defaults: { baseURL?: string; timeout?: number }; post: (url: string, data: unknown, cfg: unknown) => Promise<{ data: unknown }> } } }).api.rq;
  if (opts.apiBase) rq.defaults.baseURL = opts.apiBase.replace(/\/+$/, '');
  rq.defaults.timeout = opts.timeoutMs ?? 15_000;

  return {
    keyId: opts.keyId,

    createOrder(input: { amount: number; currency: string; receipt: string; notes: Record<string, string> }): Promise<RzpOrder> {
      return call(sdk.orders.create(input as never));
    },
    fetchOrder: (id: string) => call<RzpOrder>(sdk.orders.fetch(id)),
    async fetchOrderPayments(id: string): Promise<RzpPayment[]> {
      const res = await call<{ items: RzpPayment[] }>(sdk.orders.fetchPayments(id));
      return res.items;
    },
    fetchPayment: (id: string) => call<RzpPayment>(sdk.payments.fetch(id)),
    capture: (paymentId: string, amount: number, currency: string) => call<RzpPayment>(sdk.payments.capture(paymentId, amount, currency)),

    /** A refund, idempotent on `idempotencyKey` (the SDK does not pass that header, so its client is used directly). */
    async refund(paymentId: string, p: { amount?: number; idempotencyKey: string; notes?: Record<string, string> }): Promise<RzpRefund> {
      try {
        const res = await rq.post(`/v1/payments/${encodeURIComponent(paymentId)}/refund`, { ...(p.amount ? { amount: p.amount } : {}), notes: p.notes ?? {} }, { headers: { 'X-Refund-Idempotency': p.idempotencyKey } });
        return res.data as RzpRefund;
      } catch (err) {
        throw wrap(err);
      }
    },

    /** Checkout's success signature: HMAC(key_secret, "<our stored order id>|<payment id>"). */
    verifyPaymentSignature(orderId: string, paymentId: unknown, signature: unknown): boolean {
      if (typeof paymentId !== 'string' || typeof signature !== 'string' || !paymentId || !signature) return false;
      return safeEqual(hmacHex(opts.keySecret, `${orderId}|${paymentId}`), signature);
    },

    /** A webhook's signature: HMAC(webhook_secret, raw body). */
    verifyWebhookSignature(rawBody: Buffer, signature: unknown): boolean {
      if (typeof signature !== 'string' || !signature || !opts.webhookSecret) return false;
      return safeEqual(hmacHex(opts.webhookSecret, rawBody), signature);
    },
  };
}

export type RazorpayGateway = ReturnType<typeof createRazorpayGateway>;
