import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { createRazorpayGateway, PaymentGatewayError, type RazorpayGateway } from '../src/services/razorpay-gateway.js';
import { freePort } from './support/database.js';
import { startRazorpayEmulator, TEST_KEYS } from './support/razorpay.js';

/** The emulator through the official SDK: the same calls the store makes to Razorpay. */
describe('Razorpay gateway (official SDK) against the emulator', () => {
  let rzp: Awaited<ReturnType<typeof startRazorpayEmulator>>;
  let gateway: RazorpayGateway;
  before(async () => {
    rzp = await startRazorpayEmulator();
    gateway = createRazorpayGateway({ ...TEST_KEYS, apiBase: rzp.apiBase });
  });
  after(() => rzp.close());

  const newOrder = (amount = 49_900) => gateway.createOrder({ amount, currency: 'INR', receipt: 'order-1', notes: { orderId: '1' } });

  async function gatewayError(p: Promise<unknown>): Promise<PaymentGatewayError> {
    try {
      await p;
    } catch (err) {
      expect(err).to.be.instanceOf(PaymentGatewayError);
      return err as PaymentGatewayError;
    }
    throw new Error('expected a PaymentGatewayError');
  }

  it('creates orders shaped as Razorpay documents them', async () => {
    const order = await newOrder();
    expect(order.id).to.match(/^order_[A-Za-z0-9]{14}$/);
    expect(order).to.include({ entity: 'order', amount: 49_900, amount_paid: 0, amount_due: 49_900, currency: 'INR', receipt: 'order-1', status: 'created', attempts: 0 });
    expect(order.notes).to.deep.equal({ orderId: '1' });
    expect(order.created_at).to.be.a('number');
    expect(await gateway.fetchOrder(order.id)).to.deep.equal(order);
  });

  it('turns Razorpay 4xx answers into a typed error with the field', async () => {
    const small = await gatewayError(gateway.createOrder({ amount: 99, currency: 'INR', receipt: 'r', notes: {} }));
    expect(small.status).to.equal(502);
    expect(small.gatewayStatus).to.equal(400);
    expect(small.gatewayError).to.include({ code: 'BAD_REQUEST_ERROR', field: 'amount' });
    const longReceipt = await gatewayError(gateway.createOrder({ amount: 100, currency: 'INR', receipt: 'x'.repeat(41), notes: {} }));
    expect(longReceipt.gatewayError?.field).to.equal('receipt');
    const unknown = await gatewayError(gateway.fetchOrder('order_DoesNotExist01'));
    expect(unknown.gatewayError?.description).to.equal('The id provided does not exist');
  });

  it('reports bad credentials and an unreachable API clearly', async () => {
    const wrongKey = createRazorpayGateway({ ...TEST_KEYS, keySecret: 'wrong', apiBase: rzp.apiBase });
    const auth = await gatewayError(wrongKey.createOrder({ amount: 100, currency: 'INR', receipt: 'r', notes: {} }));
    expect(auth.gatewayStatus).to.equal(401);
    expect(auth.message).to.match(/rejected our credentials/);
    const down = createRazorpayGateway({ ...TEST_KEYS, apiBase: `http://127.0.0.1:${await freePort()}` });
    const unreachable = await gatewayError(down.fetchOrder('order_x'));
    expect(unreachable.status).to.equal(503);
    expect(unreachable.gatewayStatus).to.equal(null);
  });

  it('verifies Checkout signatures in constant time, never throwing on missing fields', async () => {
    const order = await newOrder();
    const { response, payment } = rzp.emulator.pay(order.id);
    expect(gateway.verifyPaymentSignature(order.id, response.razorpay_payment_id, response.razorpay_signature)).to.equal(true);
    expect(gateway.verifyPaymentSignature(order.id, response.razorpay_payment_id, response.razorpay_signature.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')))).to.equal(false);
    // A signature made for another order is refused for ours (we use OUR stored order id).
    const other = await newOrder();
    const otherPaid = rzp.emulator.pay(other.id);
    expect(gateway.verifyPaymentSignature(order.id, otherPaid.response.razorpay_payment_id, otherPaid.response.razorpay_signature)).to.equal(false);
    expect(gateway.verifyPaymentSignature(order.id, undefined, response.razorpay_signature)).to.equal(false);
    expect(gateway.verifyPaymentSignature(order.id, payment.id, undefined)).to.equal(false);
    expect(gateway.verifyPaymentSignature(order.id, payment.id, ['x'])).to.equal(false);
  });

  it('moves an order to paid on a captured payment and refuses a second payment', async () => {
    const order = await newOrder();
    expect(rzp.emulator.pay(order.id, { outcome: 'failed' }).payment.status).to.equal('failed');
    expect((await gateway.fetchOrder(order.id)).status).to.equal('attempted');
    rzp.emulator.pay(order.id);
    const paid = await gateway.fetchOrder(order.id);
    expect(paid).to.include({ status: 'paid', amount_paid: 49_900, amount_due: 0, attempts: 2 });
    const items = await gateway.fetchOrderPayments(order.id);
    expect(items.map((p) => p.status)).to.deep.equal(['failed', 'captured']);
    expect(() => rzp.emulator.pay(order.id)).to.throw(/already been paid/);
  });

  it('captures an authorized payment and refunds idempotently', async () => {
    const order = await newOrder(29_900);
    const { payment } = rzp.emulator.pay(order.id, { outcome: 'authorized' });
    expect((await gateway.fetchPayment(payment.id)).status).to.equal('authorized');
    const captured = await gateway.capture(payment.id, 29_900, 'INR');
    expect(captured).to.include({ status: 'captured', captured: true });
    const first = await gateway.refund(payment.id, { idempotencyKey: 'refund-order-77' });
    const again = await gateway.refund(payment.id, { idempotencyKey: 'refund-order-77' });
    expect(again.id).to.equal(first.id);
    expect(first).to.include({ entity: 'refund', amount: 29_900, payment_id: payment.id, status: 'processed' });
    expect((await gateway.fetchPayment(payment.id)).status).to.equal('refunded');
  });

  it('signs webhooks over the raw body with the webhook secret', async () => {
    const received: { body: Buffer; signature: string; eventId: string }[] = [];
    const app = express();
    app.post('/hook', express.raw({ type: 'application/json' }), (req, res) => {
      received.push({ body: req.body as Buffer, signature: String(req.get('x-razorpay-signature')), eventId: String(req.get('x-razorpay-event-id')) });
      res.status(200).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const hooked = await startRazorpayEmulator({ webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
    try {
      const gw = createRazorpayGateway({ ...TEST_KEYS, apiBase: hooked.apiBase });
      const order = await gw.createOrder({ amount: 100, currency: 'INR', receipt: 'w', notes: {} });
      const { payment } = hooked.emulator.pay(order.id);
      const sent = await hooked.emulator.sendWebhook('payment.captured', { payment });
      expect(sent.status).to.equal(200);
      const [hook] = received;
      const event = JSON.parse(hook!.body.toString());
      expect(event).to.include({ entity: 'event', event: 'payment.captured' });
      expect(event.contains).to.deep.equal(['payment']);
      expect(event.payload.payment.entity.id).to.equal(payment.id);
      expect(hook!.eventId).to.match(/^evt_/);
      expect(hook!.signature).to.equal(createHmac('sha256', TEST_KEYS.webhookSecret).update(hook!.body).digest('hex'));
      expect(gw.verifyWebhookSignature(hook!.body, hook!.signature)).to.equal(true);
      expect(gw.verifyWebhookSignature(Buffer.from(hook!.body.toString().replace('captured', 'failed')), hook!.signature)).to.equal(false);
      expect(gw.verifyWebhookSignature(hook!.body, undefined)).to.equal(false);
    } finally {
      await hooked.close();
      await new Promise((r) => server.close(r));
    }
  });
});
