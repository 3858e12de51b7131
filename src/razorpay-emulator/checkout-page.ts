import express, { type Router } from 'express';
import { formatINR } from '../lib/money.js';
import type { RazorpayEmulator } from './emulator.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="icon" href="/img/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/css/site.css"><script src="/js/site.js" defer></script></head>
<body><div class="test-mode-banner">TEST MODE — Razorpay emulator. No real money moves.</div><main class="container auth-page"><div class="auth-card">${body}</div></main></body></html>`;
}

/** Hidden inputs for a form. */
const hidden = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');

/** What the tester can pick, with the test credentials Razorpay documents for each method. */
const METHODS = [
  { value: 'upi', label: 'UPI', success: 'success@razorpay', failure: 'failure@razorpay' },
  { value: 'card', label: 'Card', success: '4100 2800 0000 1007 (any CVV, future expiry)', failure: '4000 0000 0000 0002 (declined)' },
  { value: 'netbanking', label: 'Netbanking', success: 'Test bank: Success', failure: 'Test bank: Failure' },
] as const;

/**
 * The stand-in for Razorpay Checkout when the store runs on the emulator: a clearly marked test
 * page where the tester picks a method and whether the payment succeeds, fails or is cancelled.
 * Then, like Razorpay's redirect mode, the browser goes back to the store by itself: a success
 * posts the signed fields to the callback, a failure posts Razorpay's error fields, and a cancel
 * returns to checkout. Webhooks go out as Razorpay's would.
 */
export function emulatorCheckoutRoutes(emulator: RazorpayEmulator, opts: { callbackPath: string; cancelPath?: string }): Router {
  const r = express.Router();
  r.use(express.urlencoded({ extended: false, limit: '10kb' }));
  const cancelPath = opts.cancelPath ?? '/checkout?cancelled=1';

  r.get('/checkout', (req, res) => {
    const order = emulator.orders.get(String(req.query.order_id ?? ''));
    res.set('Cache-Control', 'no-store');
    if (!order) return res.status(404).send(page('Unknown order', '<h1>Unknown order</h1><p>This payment link is not valid.</p>'));
    const amount = esc(formatINR(order.amount));
    const methods = METHODS.map(
      (m, i) =>
        `<label class="choice"><input type="radio" name="method" value="${m.value}"${i === 0 ? ' checked' : ''}> <span><strong>${m.label}</strong><br><span class="muted small">succeeds: ${esc(m.success)} · fails: ${esc(m.failure)}</span></span></label>`,
    ).join('');
    res.send(
      page(
        'Pay (test mode)',
        `<h1>Pay ${amount}</h1>
<p class="muted small">Order ${esc(order.id)}</p>
<form method="post" action="/__razorpay/checkout/pay">${hidden({ order_id: order.id })}
<fieldset class="choices"><legend>Payment method</legend>${methods}</fieldset>
<button class="btn btn-primary btn-block" type="submit" name="outcome" value="captured">Pay ${amount} (succeeds)</button>
<button class="btn btn-ghost btn-block spaced" type="submit" name="outcome" value="failed">Simulate a failed payment</button>
<button class="btn btn-ghost btn-block spaced" type="submit" name="outcome" value="cancelled">Cancel and go back</button>
</form>`,
      ),
    );
  });

  r.post('/checkout/pay', async (req, res) => {
    const orderId = String(req.body?.order_id ?? '');
    const outcome = req.body?.outcome === 'failed' ? 'failed' : req.body?.outcome === 'cancelled' ? 'cancelled' : 'captured';
    const method = METHODS.find((m) => m.value === req.body?.method)?.value ?? 'upi';
    res.set('Cache-Control', 'no-store');
    if (outcome === 'cancelled') return res.redirect(303, cancelPath);
    let result: ReturnType<RazorpayEmulator['pay']>;
    try {
      result = emulator.pay(orderId, { outcome, method });
    } catch (err) {
      return res.status(400).send(page('Payment not possible', `<h1>Payment not possible</h1><p>${esc((err as Error).message)}</p><p><a href="/orders">Your orders</a></p>`));
    }
    // Webhooks go out as Razorpay's would; the page does not wait for them.
    void emulator.sendWebhook(outcome === 'captured' ? 'payment.captured' : 'payment.failed', { payment: result.payment });
    const p = result.payment;
    const fields =
      outcome === 'captured'
        ? result.response
        : {
            'error[code]': p.error_code ?? 'BAD_REQUEST_ERROR',
            'error[description]': p.error_description ?? 'Payment failed',
            'error[source]': p.error_source ?? 'bank',
            'error[step]': p.error_step ?? 'payment_authorization',
            'error[reason]': p.error_reason ?? 'payment_failed',
            'error[metadata]': JSON.stringify({ order_id: p.order_id, payment_id: p.id }),
          };
    const heading = outcome === 'captured' ? 'Payment successful' : 'Payment failed';
    res.send(
      page(
        heading,
        `<h1>${heading}</h1><p>${outcome === 'captured' ? `${esc(formatINR(p.amount))} paid in test mode.` : esc(p.error_description ?? 'The payment did not go through.')} Returning you to the store…</p>
<form method="post" action="${esc(opts.callbackPath)}" data-auto-submit>${hidden(fields)}<button class="btn btn-primary btn-block" type="submit">Return to the store</button></form>`,
      ),
    );
  });
  return r;
}
