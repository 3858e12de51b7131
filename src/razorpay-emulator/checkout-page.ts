import express, { type Router } from 'express';
import { formatINR } from '../lib/money.js';
import type { RazorpayEmulator } from './emulator.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="icon" href="/img/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/css/site.css"></head>
<body><div class="test-mode-banner">TEST MODE — Razorpay emulator. No real money moves.</div><main class="container auth-page"><div class="auth-card">${body}</div></main></body></html>`;
}

/**
 * The stand-in for Razorpay Checkout when the store runs on the emulator: a clearly marked test
 * page where the shopper chooses to pay or fail. A successful payment posts the signed fields
 * to the store's callback, exactly as Razorpay's redirect mode does, and fires the webhooks.
 */
export function emulatorCheckoutRoutes(emulator: RazorpayEmulator, opts: { callbackPath: string }): Router {
  const r = express.Router();
  r.use(express.urlencoded({ extended: false, limit: '10kb' }));

  r.get('/checkout', (req, res) => {
    const order = emulator.orders.get(String(req.query.order_id ?? ''));
    res.set('Cache-Control', 'no-store');
    if (!order) return res.status(404).send(page('Unknown order', '<h1>Unknown order</h1><p>This payment link is not valid.</p>'));
    res.send(
      page(
        'Pay (test mode)',
        `<h1>Pay ${esc(formatINR(order.amount))}</h1>
<p class="muted">Order ${esc(order.id)} · test card 4100 2800 0000 1007 or UPI success@razorpay</p>
<form method="post" action="/__razorpay/checkout/pay"><input type="hidden" name="order_id" value="${esc(order.id)}"><input type="hidden" name="outcome" value="captured">
<button class="btn btn-primary btn-block" type="submit">Pay ${esc(formatINR(order.amount))} (succeeds)</button></form>
<form method="post" action="/__razorpay/checkout/pay" class="inline-form"><input type="hidden" name="order_id" value="${esc(order.id)}"><input type="hidden" name="outcome" value="failed">
<button class="btn btn-ghost btn-block" type="submit">Simulate a failed payment</button></form>
<p class="auth-links"><a href="/checkout">Cancel and go back</a></p>`,
      ),
    );
  });

  r.post('/checkout/pay', async (req, res) => {
    const orderId = String(req.body?.order_id ?? '');
    const outcome = req.body?.outcome === 'failed' ? 'failed' : 'captured';
    let result: ReturnType<RazorpayEmulator['pay']>;
    try {
      result = emulator.pay(orderId, { outcome, method: 'upi' });
    } catch (err) {
      return res.status(400).send(page('Payment not possible', `<h1>Payment not possible</h1><p>${esc((err as Error).message)}</p><p><a href="/orders">Your orders</a></p>`));
    }
    // Webhooks go out as Razorpay's would; the page does not wait for them.
    void emulator.sendWebhook(outcome === 'captured' ? 'payment.captured' : 'payment.failed', { payment: result.payment });
    if (outcome === 'failed') {
      return res.send(page('Payment failed', `<h1>Payment failed</h1><p>${esc(result.payment.error_description ?? 'The payment did not go through.')}</p><a class="btn btn-primary btn-block" href="/checkout">Try again</a>`));
    }
    const fields = Object.entries(result.response).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
    res.send(
      page(
        'Payment successful',
        `<h1>Payment successful</h1><p>${esc(formatINR(result.payment.amount))} paid in test mode.</p>
<form method="post" action="${esc(opts.callbackPath)}">${fields}<button class="btn btn-primary btn-block" type="submit">Return to the store</button></form>`,
      ),
    );
  });
  return r;
}
