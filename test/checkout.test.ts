import { expect } from 'chai';
import { reconcilePayments } from '../jobs/reconcile-payments.js';
import { jobContextOf } from '../src/scheduler.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { startCheckoutWorld, type CheckoutWorld } from './support/checkout-world.js';
import { dataAttr, rupees } from './support/html.js';
import { mailTo } from './support/mailbox.js';
import { TEST_KEYS } from './support/razorpay.js';

describe('checkout with Razorpay (emulator through the official SDK)', () => {
  let w: CheckoutWorld;
  before(async () => {
    w = await startCheckoutWorld();
  });
  after(async () => {
    await w?.close();
  });

  it('create → pay → verify → paid, entitlements, one confirmation email, cart emptied', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    expect(created.body).to.include({ amount: 97_400 + 24_900, currency: 'INR', keyId: TEST_KEYS.keyId, email: s.user.email, name: s.user.name });
    expect(created.body.razorpayOrderId).to.match(/^order_/);
    const remote = w.rzp.emulator.orders.get(created.body.razorpayOrderId)!;
    expect(remote).to.include({ amount: 122_300, currency: 'INR', receipt: `order_${created.body.orderId}` });
    expect(remote.notes).to.deep.equal({ store_order_id: String(created.body.orderId), user_id: String(s.user.id) });
    const items = await w.t.db('order_items').where({ order_id: created.body.orderId }).orderBy('id');
    expect(items.map((i: { sale_price_paise: number }) => i.sale_price_paise)).to.deep.equal([97_400, 24_900]);

    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    const verified = await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response).expect(200);
    expect(verified.body).to.deep.equal({ orderId: created.body.orderId, status: 'paid', redirect: `/orders/${created.body.orderId}` });

    const order = await w.orderRow(created.body.orderId);
    expect(order.status).to.equal('paid');
    expect(order.paid_at).to.be.instanceOf(Date);
    expect(await w.t.db('entitlements').where({ order_id: order.id })).to.have.length(2);
    expect(await w.t.db('payments').where({ order_id: order.id }).pluck('status')).to.deep.equal(['captured']);
    expect((await s.agent.get('/api/cart').expect(200)).body.items).to.deep.equal([]);
    const mail = await w.mailbox.waitFor(mailTo(s.user.email));
    expect(mail.subject).to.equal(`Your Pixel Bazaar order #${order.id} is ready to download`);
    expect(mail.text).to.include('Pitch Deck').and.include('₹1,223').and.include(`http://store.test/orders/${order.id}`);
    // Verifying again (a refresh) changes nothing.
    await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response).expect(200);
    expect(await w.confirmations(s.user.email)).to.have.length(1);
    // Bought products cannot be added again.
    await s.agent.post('/api/cart/add').set('X-CSRF-Token', s.csrf).send({ productId: w.products[0]!.id }).expect(409);
  });

  it('checkout and receipt summaries add up as printed: lines at sale prices sum to the subtotal (issue 9, item 6)', async () => {
    const s = await w.shopperWithCart();
    const page = await s.agent.get('/checkout').expect(200);
    const lines = rupees(page.text.slice(page.text.indexOf('class="checkout-lines"'), page.text.indexOf('</ul>', page.text.indexOf('class="checkout-lines"'))));
    expect(lines).to.deep.equal([97_400, 24_900]);
    expect(rupees(dataAttr(page.text, 'data-subtotal') ?? '')).to.deep.equal([122_300]);
    expect(rupees(dataAttr(page.text, 'data-checkout-total') ?? '')).to.deep.equal([122_300]);
    expect(dataAttr(page.text, 'data-saving')).to.include('₹325');

    const created = await w.createOrder(s).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    await w.verify(s, response).expect(200);
    const receipt = (await s.agent.get(`/orders/${created.body.orderId}`).expect(200)).text;
    const body = receipt.slice(receipt.indexOf('<tbody>'), receipt.indexOf('</tbody>'));
    const lineTotals = [...body.matchAll(/<td class="num">(₹[\d,]+)<\/td>/g)].map((m) => rupees(m[1]!)[0]);
    expect(lineTotals).to.deep.equal([97_400, 24_900]);
    expect(rupees(dataAttr(receipt, 'data-subtotal') ?? '')).to.deep.equal([122_300]);
    expect(receipt).not.to.match(/<td colspan="3">Discount<\/td>/);
  });

  it('a tampered signature is refused and the order stays pending', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    const forged = { ...response, razorpay_signature: response.razorpay_signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    const res = await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(forged).expect(400);
    expect(res.body.error.code).to.equal('INVALID_SIGNATURE');
    expect((await w.orderRow(created.body.orderId)).status).to.equal('pending');
    expect(await w.t.db('entitlements').where({ order_id: created.body.orderId })).to.have.length(0);
    await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send({ razorpay_order_id: 'x' }).expect(400);
  });

  it('another user cannot verify my order (404)', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    const other = await w.shopperWithCart();
    await other.agent.post('/api/payments/verify').set('X-CSRF-Token', other.csrf).send(response).expect(404);
  });

  it('20 parallel creates for one cart make one Razorpay order', async () => {
    const s = await w.shopperWithCart();
    const before = w.rzp.emulator.orders.size;
    const results = await Promise.all(Array.from({ length: 20 }, () => w.createOrder(s)));
    expect(results.map((r) => r.status)).to.deep.equal(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body.razorpayOrderId)).size).to.equal(1);
    expect(w.rzp.emulator.orders.size - before).to.equal(1);
    expect(await w.t.db('orders').where({ user_id: s.user.id })).to.have.length(1);
  });

  it('a changed cart gets a new order; the old one expires', async () => {
    const s = await w.shopperWithCart();
    const first = await w.createOrder(s).expect(201);
    await s.agent.post('/api/cart/remove').set('X-CSRF-Token', s.csrf).send({ productId: w.products[1]!.id }).expect(200);
    const second = await w.createOrder(s).expect(201);
    expect(second.body.razorpayOrderId).not.to.equal(first.body.razorpayOrderId);
    expect(second.body.amount).to.equal(97_400);
    expect((await w.orderRow(first.body.orderId)).status).to.equal('expired');
  });

  it('the webhook alone fulfils (tab closed before verify), once for duplicate and concurrent deliveries', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { payment } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    const send = w.signedWebhook('payment.captured', { payment }, 'evt_dup_test_0001');
    const results = await Promise.all(Array.from({ length: 10 }, () => send()));
    expect(results.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    await send().expect(200);
    const order = await w.orderRow(created.body.orderId);
    expect(order.status).to.equal('paid');
    expect(await w.t.db('entitlements').where({ order_id: order.id })).to.have.length(2);
    expect(await w.confirmations(s.user.email)).to.have.length(1);
    expect(await w.t.db('webhook_events').where({ event_id: 'evt_dup_test_0001' })).to.have.length(1);
    // order.paid for the same payment (another event id) is a no-op too.
    await w.signedWebhook('order.paid', { payment, order: w.rzp.emulator.orders.get(created.body.razorpayOrderId) })().expect(200);
    expect(await w.confirmations(s.user.email)).to.have.length(1);
  });

  it('the emulator delivers signed webhooks to the store end to end', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { payment } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    const sent = await w.rzp.emulator.sendWebhook('payment.captured', { payment });
    expect(sent.status).to.equal(200);
    expect((await w.orderRow(created.body.orderId)).status).to.equal('paid');
  });

  it('a late payment.failed never un-pays an order', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response).expect(200);
    const failed = { ...w.rzp.emulator.payments.get(response.razorpay_payment_id)!, status: 'failed', error_description: 'late' };
    await w.signedWebhook('payment.failed', { payment: failed })().expect(200);
    expect((await w.orderRow(created.body.orderId)).status).to.equal('paid');
    expect(await w.t.db('payments').where({ razorpay_payment_id: response.razorpay_payment_id }).pluck('status')).to.deep.equal(['captured']);
  });

  it('a failed attempt is recorded and the order can still be paid', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const failedAttempt = w.rzp.emulator.pay(created.body.razorpayOrderId, { outcome: 'failed' });
    await w.signedWebhook('payment.failed', { payment: failedAttempt.payment })().expect(200);
    const pending = await w.orderRow(created.body.orderId);
    expect(pending.status).to.equal('pending');
    expect(pending.failure_reason).to.match(/declined/);
    expect(await w.t.db('payments').where({ razorpay_payment_id: failedAttempt.payment.id }).first('status', 'error_code', 'error_description', 'order_id')).to.deep.equal({
      status: 'failed',
      error_code: 'BAD_REQUEST_ERROR',
      error_description: 'Payment failed because the bank declined it.',
      order_id: created.body.orderId,
    });
    expect(await w.t.db('entitlements').where({ order_id: created.body.orderId })).to.have.length(0);
    // The owner hears about it (delivered by the alerts job).
    expect((await w.alerts('payment_failed')).map((a: { detail: { paymentId: string } }) => a.detail.paymentId)).to.include(failedAttempt.payment.id);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response).expect(200);
    expect((await w.orderRow(created.body.orderId)).status).to.equal('paid');
  });

  it('captures an authorized payment (auto-capture off) on verify', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId, { outcome: 'authorized' });
    await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response).expect(200);
    expect(w.rzp.emulator.payments.get(response.razorpay_payment_id)!.status).to.equal('captured');
    expect((await w.orderRow(created.body.orderId)).status).to.equal('paid');
  });

  it('refund.processed marks the order refunded and revokes its downloads', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    await s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response).expect(200);
    await w.signedWebhook('refund.processed', { refund: { id: 'rfnd_x', entity: 'refund', payment_id: response.razorpay_payment_id, amount: 122_300, status: 'processed' }, payment: w.rzp.emulator.payments.get(response.razorpay_payment_id) })().expect(200);
    const order = await w.orderRow(created.body.orderId);
    expect(order.status).to.equal('refunded');
    const rights = await w.t.db('entitlements').where({ order_id: order.id });
    expect(rights.every((r: { revoked_at: Date | null }) => r.revoked_at instanceof Date)).to.equal(true);
  });

  it('refuses webhooks with a bad or missing signature and changes nothing', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const { payment } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    const body = JSON.stringify({ event: 'payment.captured', payload: { payment: { entity: payment } } });
    await w.t.agent().post('/api/webhooks/razorpay').set('Content-Type', 'application/json').set('X-Razorpay-Signature', 'deadbeef').send(body).expect(400);
    await w.t.agent().post('/api/webhooks/razorpay').set('Content-Type', 'application/json').send(body).expect(400);
    expect((await w.orderRow(created.body.orderId)).status).to.equal('pending');
    expect(await w.t.db('webhook_events').whereRaw("payload->'payload'->'payment'->'entity'->>'id' = ?", [payment.id])).to.have.length(0);
  });

  it('acknowledges and stores unknown events', async () => {
    const res = await w.signedWebhook('invoice.paid', { invoice: { id: 'inv_1' } }, 'evt_unknown_00001')().expect(200);
    expect(res.body).to.include({ ok: true, duplicate: false, event: 'invoice.paid' });
    const row = await w.t.db('webhook_events').where({ event_id: 'evt_unknown_00001' }).first();
    expect(row.processed_at).to.be.instanceOf(Date);
  });

  it('the reconciler fulfils an order whose webhook and verify were both lost, and expires abandoned ones', async () => {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    w.rzp.emulator.pay(created.body.razorpayOrderId); // paid at Razorpay; the store heard nothing
    const ctx = jobContextOf(w.t.deps);
    // Too recent: the shopper may still be on the payment page.
    await w.t.db('orders').where({ id: created.body.orderId }).update({ created_at: new Date(w.t.clock.now().getTime() - 60_000) });
    await reconcilePayments(ctx);
    expect((await w.orderRow(created.body.orderId)).status).to.equal('pending');

    await w.t.db('orders').where({ id: created.body.orderId }).update({ created_at: new Date(w.t.clock.now().getTime() - 10 * 60_000) });
    const run = await reconcilePayments(ctx);
    expect(run.fulfilled).to.equal(1);
    expect((await w.orderRow(created.body.orderId)).status).to.equal('paid');
    expect(await w.confirmations(s.user.email)).to.have.length(1);
    expect((await reconcilePayments(ctx)).fulfilled).to.equal(0); // nothing left to do

    const abandoned = await w.shopperWithCart();
    const old = await w.createOrder(abandoned).expect(201);
    await w.t.db('orders').where({ id: old.body.orderId }).update({ created_at: new Date(w.t.clock.now().getTime() - 25 * 3600_000) });
    const swept = await reconcilePayments(ctx);
    expect(swept.expired).to.equal(1);
    expect((await w.orderRow(old.body.orderId)).status).to.equal('expired');
    // A payment that still arrives for an expired order is honoured (the money was taken).
    const { payment } = w.rzp.emulator.pay(old.body.razorpayOrderId);
    await w.signedWebhook('payment.captured', { payment })().expect(200);
    expect((await w.orderRow(old.body.orderId)).status).to.equal('paid');
  });

  it('needs a signed-in user with a non-empty cart', async () => {
    await w.t.agent().post('/api/orders/create').send({}).expect(403); // no CSRF token
    const user = await makeUser(w.t.db);
    const agent = w.t.agent();
    const csrf = (await apiLogin(agent, user.email, user.password)).body.csrfToken;
    const empty = await agent.post('/api/orders/create').set('X-CSRF-Token', csrf).send({}).expect(400);
    expect(empty.body.error.code).to.equal('CART_EMPTY');
    const anon = w.t.agent();
    const anonCsrf = (await anon.get('/api/auth/csrf')).body.csrfToken;
    await anon.post('/api/orders/create').set('X-CSRF-Token', anonCsrf).send({}).expect(401);
    await agent.post('/api/orders/create').set('X-CSRF-Token', csrf).send({ total: 1 }).expect(400);
  });
});
