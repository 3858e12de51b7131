import { expect } from 'chai';
import type supertest from 'supertest';
import { apiLogin, makeUser, uniqueEmail } from './support/accounts.js';
import { startCheckoutWorld, type CheckoutWorld } from './support/checkout-world.js';
import { mailTo } from './support/mailbox.js';

type Agent = ReturnType<typeof supertest.agent>;

/** The admin orders module (issue 11, item 10): list, detail, refunds, resend, download resets. */
describe('admin orders (issue 11, item 10)', function () {
  this.timeout(60_000);
  let w: CheckoutWorld;
  let admin: Agent;
  let token: string;
  let adminUser: Awaited<ReturnType<typeof makeUser>>;

  before(async () => {
    w = await startCheckoutWorld();
    adminUser = await makeUser(w.t.db, { role: 'admin' });
    admin = w.t.agent();
    token = (await apiLogin(admin, adminUser.email, adminUser.password)).body.csrfToken as string;
  });
  after(async () => {
    await w?.close();
  });

  /** A shopper's order paid through the emulator and verified: paid, two entitlements, one email. */
  async function paidOrder() {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const paid = w.rzp.emulator.pay(created.body.razorpayOrderId as string);
    await w.verify(s, paid.response).expect(200);
    await w.mailbox.waitFor(mailTo(s.user.email));
    return { s, orderId: created.body.orderId as number, razorpayOrderId: created.body.razorpayOrderId as string, paymentId: paid.response.razorpay_payment_id, paid };
  }

  /** The refund form as the page renders it: its one-time key and the default amount. */
  async function refundFormOf(orderId: number) {
    const page = await admin.get(`/admin/orders/${orderId}/refund`).expect(200);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page.text)?.[1];
    const amount = /name="amount" type="text" value="([^"]*)"/.exec(page.text)?.[1];
    expect(key, 'idempotency key in the form').to.match(/^[0-9a-f-]{36}$/);
    return { page, key: key!, amount: amount! };
  }
  const postRefund = (orderId: number, form: Record<string, string>) => admin.post(`/admin/orders/${orderId}/refund`).type('form').send({ _csrf: token, ...form });
  const refundCalls = (paymentId: string) => w.rzp.emulator.calls.filter((c) => c === `POST /v1/payments/${paymentId}/refund`);
  const auditOf = (orderId: number, action: string) => w.t.db('audit_log').where({ entity_type: 'order', entity_id: orderId, action });

  describe('list and search', () => {
    let buyer: Awaited<ReturnType<typeof makeUser>>;
    const ids: Record<string, number> = {};

    before(async () => {
      buyer = await makeUser(w.t.db, { email: uniqueEmail('orderlist') });
      const other = await makeUser(w.t.db, { email: uniqueEmail('someoneelse') });
      const insert = async (name: string, row: Record<string, unknown>, userId = buyer.id) => {
        const [o] = await w.t.db('orders').insert({ user_id: userId, subtotal_paise: 50_000, total_paise: 50_000, ...row }).returning('id');
        ids[name] = (o as { id: number }).id;
      };
      // Times straddling India's midnights (IST = UTC+05:30).
      await insert('a', { status: 'failed', created_at: new Date('2026-03-01T18:20:00Z') }); // 1 Mar, 23:50 IST
      await insert('b', { status: 'expired', created_at: new Date('2026-03-01T18:40:00Z') }); // 2 Mar, 00:10 IST
      await insert('c', { status: 'paid', attention_at: new Date('2026-03-03T00:00:00Z'), attention_reason: 'amount mismatch', created_at: new Date('2026-03-02T18:29:00Z'), razorpay_order_id: 'order_AdminList000001' }); // 2 Mar, 23:59 IST
      await insert('d', { status: 'refunded', refunded_paise: 50_000, created_at: new Date('2026-03-02T18:31:00Z') }); // 3 Mar, 00:01 IST
      await insert('x', { status: 'paid', created_at: new Date('2026-03-02T10:00:00Z') }, other.id);
      await w.t.db('payments').insert({ order_id: ids.c, razorpay_payment_id: 'pay_AdminList000001', status: 'captured', amount_paise: 50_000, currency: 'INR', method: 'card' });
      await w.t.db('order_items').insert([
        { order_id: ids.c, product_id: w.products[0]!.id, title: 'Pitch Deck', unit_price_paise: 25_000, sale_price_paise: 25_000, line_total_paise: 25_000, license_type: 'personal' },
        { order_id: ids.c, product_id: w.products[1]!.id, title: 'Resume Kit', unit_price_paise: 25_000, sale_price_paise: 25_000, line_total_paise: 25_000, license_type: 'personal' },
      ]);
    });

    const idsOf = async (query: Record<string, string>) => ((await admin.get('/api/admin/orders').query(query).expect(200)).body.items as { id: number }[]).map((i) => i.id);

    it('finds a buyer’s orders by email (any case, whole or its beginning), newest first', async () => {
      expect(await idsOf({ q: buyer.email })).to.deep.equal([ids.d, ids.c, ids.b, ids.a]);
      expect(await idsOf({ q: buyer.email.toUpperCase() })).to.deep.equal([ids.d, ids.c, ids.b, ids.a]);
      expect(await idsOf({ q: buyer.email.slice(0, 14).toUpperCase() })).to.deep.equal([ids.d, ids.c, ids.b, ids.a]);
      // "%" is a character, not a wildcard.
      expect(await idsOf({ q: '%' })).to.deep.equal([]);
    });

    it('finds an order by number (#123 or 123), Razorpay order id and payment id', async () => {
      expect(await idsOf({ q: `#${ids.b}` })).to.deep.equal([ids.b]);
      expect(await idsOf({ q: String(ids.b) })).to.deep.equal([ids.b]);
      expect(await idsOf({ q: 'order_AdminList000001' })).to.deep.equal([ids.c]);
      expect(await idsOf({ q: 'pay_AdminList000001' })).to.deep.equal([ids.c]);
      expect(await idsOf({ q: 'pay_NoSuchPayment01' })).to.deep.equal([]);
    });

    it('filters by status and by "needs attention"', async () => {
      expect(await idsOf({ q: buyer.email, status: 'failed' })).to.deep.equal([ids.a]);
      expect(await idsOf({ q: buyer.email, status: 'paid' })).to.deep.equal([ids.c]);
      expect(await idsOf({ q: buyer.email, status: 'attention' })).to.deep.equal([ids.c]);
      expect(await idsOf({ status: 'refunded' })).to.include(ids.d).and.not.include(ids.c);
    });

    it('takes dates as whole days in India time', async () => {
      expect(await idsOf({ q: buyer.email, from: '2026-03-02', to: '2026-03-02' })).to.deep.equal([ids.c, ids.b]);
      expect(await idsOf({ q: buyer.email, to: '2026-03-01' })).to.deep.equal([ids.a]);
      expect(await idsOf({ q: buyer.email, from: '2026-03-03' })).to.deep.equal([ids.d]);
      expect(await idsOf({ from: '2026-03-02', to: '2026-03-02' })).to.include.members([ids.b, ids.c, ids.x]);
      const bad = await admin.get('/api/admin/orders').query({ from: '2026-03-05', to: '2026-03-01' }).expect(400);
      expect(bad.body.error.fields.to).to.match(/on or before/);
      await admin.get('/api/admin/orders').query({ from: '2026-02-30' }).expect(400);
      await admin.get('/api/admin/orders').query({ sort: 'x' }).expect(400);
    });

    it('the page shows buyer, items, total, status badges and the filters as typed', async () => {
      const page = await admin.get('/admin/orders').query({ q: buyer.email, from: '2026-03-02', to: '2026-03-02' }).expect(200);
      expect(page.text).to.include(`data-order-id="${ids.c}"`).and.include(`data-order-id="${ids.b}"`).and.not.include(`data-order-id="${ids.a}"`);
      expect(page.text).to.include('Needs attention').and.include(`href="/admin/customers/${buyer.id}"`).and.include('₹500');
      expect(page.text).to.include('value="2026-03-02"').and.include('2 orders');
      const row = page.text.slice(page.text.indexOf(`data-order-id="${ids.c}"`));
      expect(/data-label="Items" class="num">(\d+)</.exec(row)?.[1]).to.equal('2');
      expect(page.text).to.include('2 Mar 2026, 11:59 pm'); // shown in India time
    });

    it('stops counting at 10,000 ("More than 10,000") and pages 50 at a time', async () => {
      const many = await makeUser(w.t.db, { email: uniqueEmail('bulkbuyer') });
      await w.t.db.raw(
        `INSERT INTO orders (user_id, status, subtotal_paise, total_paise, created_at)
         SELECT ?, 'failed', 100, 100, timestamptz '2020-01-01 00:00Z' + g * interval '1 minute' FROM generate_series(1, 10005) g`,
        [many.id],
      );
      const api = await admin.get('/api/admin/orders').query({ q: many.email }).expect(200);
      expect(api.body).to.include({ total: 10_000, totalCapped: true, page: 1, pageCount: 200 });
      expect(api.body.items).to.have.length(50);
      const page = await admin.get('/admin/orders').query({ status: 'failed' }).expect(200);
      expect(page.text).to.include('More than 10,000 orders');
      const last = await admin.get('/api/admin/orders').query({ q: many.email, page: '200' }).expect(200);
      expect(last.body.items).to.have.length(50);
      // Past the last page, the page redirects to it.
      const far = await admin.get('/admin/orders').query({ q: buyer.email, page: '9' }).expect(302);
      expect(far.headers.location).to.include('page=1');
    });
  });

  it('the order page shows buyer, amounts, items, payments, webhook events in time order and downloads', async () => {
    const { s, orderId, razorpayOrderId, paid, paymentId } = await paidOrder();
    // Razorpay's webhooks for this payment, in the order they were sent.
    const order = w.rzp.emulator.orders.get(razorpayOrderId)!;
    expect((await w.rzp.emulator.sendWebhook('payment.captured', { payment: paid.payment })).status).to.equal(200);
    expect((await w.rzp.emulator.sendWebhook('order.paid', { payment: paid.payment, order })).status).to.equal(200);
    const page = await admin.get(`/admin/orders/${orderId}`).expect(200);
    expect(page.text).to.include(`Order #${orderId}`).and.include(`data-buyer>${s.user.email}`).and.include(`href="/admin/customers/${s.user.id}"`);
    expect(page.text).to.include('data-order-status="paid"').and.include('₹1,223').and.include('− ₹325');
    expect(page.text).to.include('Pitch Deck').and.include('Resume Kit').and.include(paymentId).and.include('upi');
    const captured = page.text.indexOf('data-event="payment.captured"');
    const orderPaid = page.text.indexOf('data-event="order.paid"');
    expect(captured).to.be.greaterThan(0);
    expect(orderPaid).to.be.greaterThan(captured);
    expect(page.text).to.include('data-entitlements').and.include('0 of');
    expect(page.text).to.include('data-refund-link').and.include('Resend the confirmation email');

    const api = await admin.get(`/api/admin/orders/${orderId}`).expect(200);
    expect(api.body.events.map((e: { event: string }) => e.event)).to.deep.equal(['payment.captured', 'order.paid']);
    expect(api.body.events.every((e: { outcome: string | null }) => typeof e.outcome === 'string')).to.equal(true);
    expect(api.body.order).to.include({ subtotalPaise: 154_800, discountPaise: 32_500, totalPaise: 122_300, refundedPaise: 0, refundablePaise: 122_300 });
    expect(api.body.entitlements).to.have.length(2);

    await admin.get('/admin/orders/99999999').expect(404);
    await admin.get('/admin/orders/abc').expect(404);
    await admin.get('/api/admin/orders/0').expect(404);
  });

  it('is for admins only', async () => {
    const shopper = await makeUser(w.t.db);
    const agent = w.t.agent();
    await apiLogin(agent, shopper.email, shopper.password);
    await agent.get('/api/admin/orders').expect(403);
    await w.t.agent().get('/api/admin/orders').expect(401);
  });

  describe('refunds through Razorpay', () => {
    it('a full refund (the default amount) refunds at Razorpay, revokes downloads, records the refund and audits it', async () => {
      const { orderId, paymentId } = await paidOrder();
      const { page, key, amount } = await refundFormOf(orderId);
      expect(amount).to.equal('1223');
      expect(page.text).to.include('ends the buyer\'s downloads').and.include('data-refundable>₹1,223');
      const res = await postRefund(orderId, { amount, reason: 'Bought by mistake', idempotencyKey: key }).expect(303);
      expect(res.headers.location).to.equal(`/admin/orders/${orderId}`);
      expect(refundCalls(paymentId)).to.have.length(1);

      const order = await w.orderRow(orderId);
      expect(order).to.include({ status: 'refunded', refunded_paise: 122_300 });
      const rights = await w.t.db('entitlements').where({ order_id: orderId });
      expect(rights).to.have.length(2);
      expect(rights.every((r: { revoked_at: Date | null }) => r.revoked_at instanceof Date)).to.equal(true);
      const refunds = await w.t.db('refunds').where({ order_id: orderId });
      expect(refunds.map((r: Record<string, unknown>) => [r.amount_paise, r.status, r.razorpay_payment_id])).to.deep.equal([[122_300, 'processed', paymentId]]);
      expect(w.rzp.emulator.payments.get(paymentId)!.status).to.equal('refunded');
      const [entry, ...more] = await auditOf(orderId, 'order.refund');
      expect(more).to.have.length(0);
      expect(entry).to.include({ actor_id: adminUser.id, actor_email: adminUser.email });
      expect(entry.summary).to.include('₹1,223').and.include('Bought by mistake');
      expect(entry.changes.status).to.deep.equal(['paid', 'refunded']);
      expect(entry.changes.refunded_paise).to.deep.equal([0, 122_300]);

      const after = await admin.get(`/admin/orders/${orderId}`).expect(200);
      expect(after.text).to.include('data-flash').and.include('refunded in full and its downloads have ended');
      expect(after.text).to.include('data-order-status="refunded"').and.include(refunds[0].razorpay_refund_id).and.include('Revoked').and.not.include('data-refund-link');
      // A refunded order cannot be refunded again.
      const again = await admin.get(`/admin/orders/${orderId}/refund`).expect(200);
      expect(again.text).to.include('data-refund-blocked').and.include('already refunded in full').and.not.include('name="idempotencyKey"');
      const twice = await postRefund(orderId, { amount: '10', idempotencyKey: '0b6f9a3e-8e4d-4c1b-9d0e-2f4a6c8e0b11' }).expect(409);
      expect(twice.text).to.include('already refunded in full');
    });

    it('a partial refund keeps the downloads; more than what is left is refused and changes nothing', async () => {
      const { orderId, paymentId } = await paidOrder();
      const { key } = await refundFormOf(orderId);
      await postRefund(orderId, { amount: '223.50', reason: 'Discount missed', idempotencyKey: key }).expect(303);
      let order = await w.orderRow(orderId);
      expect(order).to.include({ status: 'paid', refunded_paise: 22_350 });
      const rights = await w.t.db('entitlements').where({ order_id: orderId });
      expect(rights.map((r: { revoked_at: Date | null }) => r.revoked_at)).to.deep.equal([null, null]);
      const flash = await admin.get(`/admin/orders/${orderId}`).expect(200);
      expect(flash.text).to.include('(partial)').and.include('keeps the downloads').and.include('data-refunded>₹223.50');

      // ₹999.50 is left; ₹1,000 is too much.
      const second = await refundFormOf(orderId);
      expect(second.amount).to.equal('999.50');
      expect(second.key).not.to.equal(key);
      const refused = await postRefund(orderId, { amount: '1,000', reason: '', idempotencyKey: second.key }).expect(400);
      expect(refused.text).to.include('At most ₹999.50');
      expect(refused.text).to.include(`value="${second.key}"`); // the same form can be corrected and sent
      const json = await admin.post(`/api/admin/orders/${orderId}/refund`).set('X-CSRF-Token', token).send({ amountPaise: 100_000, idempotencyKey: 'script-refund-over-1' }).expect(400);
      expect(json.body.error.fields.amount).to.match(/At most/);
      await postRefund(orderId, { amount: 'lots', idempotencyKey: second.key }).expect(400);
      const keyless = await postRefund(orderId, { amount: '10' }).expect(400);
      expect(keyless.text).to.include('This form is out of date');
      order = await w.orderRow(orderId);
      expect(order).to.include({ status: 'paid', refunded_paise: 22_350 });
      expect(await w.t.db('refunds').where({ order_id: orderId })).to.have.length(1);
      expect(refundCalls(paymentId)).to.have.length(1);
      expect(await auditOf(orderId, 'order.refund')).to.have.length(1);

      // The rest ends the downloads.
      await postRefund(orderId, { amount: second.amount, idempotencyKey: second.key }).expect(303);
      order = await w.orderRow(orderId);
      expect(order).to.include({ status: 'refunded', refunded_paise: 122_300 });
      expect((await w.t.db('entitlements').where({ order_id: orderId })).every((r: { revoked_at: Date | null }) => r.revoked_at !== null)).to.equal(true);
    });

    it('the same form sent twice (one after the other, or both at once) refunds once', async () => {
      const { orderId, paymentId } = await paidOrder();
      const { key } = await refundFormOf(orderId);
      await postRefund(orderId, { amount: '100', idempotencyKey: key }).expect(303);
      const second = await postRefund(orderId, { amount: '100', idempotencyKey: key }).expect(303);
      expect(refundCalls(paymentId)).to.have.length(1);
      const page = await admin.get(second.headers.location!).expect(200);
      expect(page.text).to.include('already sent').and.include('Nothing more was refunded');

      // A double click: both requests in flight together.
      const { key: key2 } = await refundFormOf(orderId);
      const both = await Promise.all([postRefund(orderId, { amount: '200', idempotencyKey: key2 }), postRefund(orderId, { amount: '200', idempotencyKey: key2 })]);
      expect(both.map((r) => r.status)).to.deep.equal([303, 303]);
      expect(refundCalls(paymentId)).to.have.length(2); // one per form
      expect([...w.rzp.emulator.refunds.values()].filter((r) => r.payment_id === paymentId).map((r) => r.amount)).to.deep.equal([10_000, 20_000]);
      expect(await w.t.db('refunds').where({ order_id: orderId }).orderBy('id').pluck('amount_paise')).to.deep.equal([10_000, 20_000]);
      expect(await auditOf(orderId, 'order.refund')).to.have.length(2);
      expect((await w.orderRow(orderId)).refunded_paise).to.equal(30_000);

      // A script reusing a key of another order's refund gets a clear refusal, not that refund.
      const other = await paidOrder();
      const reused = await admin.post(`/api/admin/orders/${other.orderId}/refund`).set('X-CSRF-Token', token).send({ amountPaise: 20_000, idempotencyKey: key2 }).expect(409);
      expect(reused.body.error.code).to.equal('IDEMPOTENCY_KEY_REUSED');
      expect(await w.t.db('refunds').where({ order_id: other.orderId })).to.have.length(0);
      expect((await w.orderRow(orderId)).refunded_paise).to.equal(30_000);
    });

    it('refuses orders that are not paid or have no captured payment (409), and a form without its key (400)', async () => {
      const s = await w.shopperWithCart();
      const pending = await w.createOrder(s).expect(201);
      const notPaid = await admin.post(`/api/admin/orders/${pending.body.orderId}/refund`).set('X-CSRF-Token', token).send({ idempotencyKey: 'script-refund-pending-1' }).expect(409);
      expect(notPaid.body.error).to.include({ code: 'ORDER_NOT_PAID' });
      expect(notPaid.body.error.message).to.include('not paid');
      const page = await admin.get(`/admin/orders/${pending.body.orderId}/refund`).expect(200);
      expect(page.text).to.include('data-refund-blocked').and.include('nothing to refund');

      const buyer = await makeUser(w.t.db);
      const [noPayment] = await w.t.db('orders').insert({ user_id: buyer.id, status: 'paid', subtotal_paise: 10_000, total_paise: 10_000, paid_at: new Date() }).returning('id');
      const none = await admin.post(`/api/admin/orders/${noPayment.id}/refund`).set('X-CSRF-Token', token).send({ idempotencyKey: 'script-refund-nopay-1' }).expect(409);
      expect(none.body.error.code).to.equal('NO_CAPTURED_PAYMENT');

      await admin.post('/api/admin/orders/99999999/refund').set('X-CSRF-Token', token).send({ idempotencyKey: 'script-refund-none-1' }).expect(404);
      // CSRF is the app's: a form without the token is refused.
      await admin.post(`/admin/orders/${noPayment.id}/refund`).type('form').send({ amount: '10', idempotencyKey: '6f1c1f8e-3b0a-4f55-9a57-1b2d1f0f0a01' }).expect(403);
      expect(await w.t.db('refunds').whereIn('order_id', [pending.body.orderId, noPayment.id])).to.have.length(0);
    });

    it('a refusal from Razorpay becomes a clear message on the form, never a 500', async () => {
      const { orderId, paymentId } = await paidOrder();
      // Refunded in the Razorpay dashboard, behind the store's back: Razorpay now refuses ours.
      await w.t.deps.services.gateway.refund(paymentId, { idempotencyKey: `dashboard-refund-${orderId}` });
      const { key } = await refundFormOf(orderId);
      const res = await postRefund(orderId, { amount: '1223', idempotencyKey: key }).expect(502);
      expect(res.text).to.include('Razorpay refused the refund; nothing was refunded.').and.include('greater than amount captured');
      expect(res.text).not.to.include(`value="${key}"`); // a fresh key for a fresh attempt
      expect(await w.orderRow(orderId)).to.include({ status: 'paid', refunded_paise: 0 });
      expect(await auditOf(orderId, 'order.refund')).to.have.length(0);
      const json = await admin.post(`/api/admin/orders/${orderId}/refund`).set('X-CSRF-Token', token).send({ idempotencyKey: `script-refund-${orderId}-x` }).expect(502);
      expect(json.body.error.code).to.equal('REFUND_FAILED');
    });
  });

  describe('resend and download resets', () => {
    it('resends the confirmation to the buyer with fresh download links (paid orders only), audited', async () => {
      const { s, orderId } = await paidOrder();
      expect(w.mailbox.to(s.user.email)).to.have.length(1);
      const res = await admin.post(`/admin/orders/${orderId}/resend-confirmation`).type('form').send({ _csrf: token }).expect(303);
      expect(res.headers.location).to.equal(`/admin/orders/${orderId}`);
      const deadline = Date.now() + 5000;
      while (w.mailbox.to(s.user.email).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const mails = w.mailbox.to(s.user.email);
      expect(mails).to.have.length(2);
      expect(mails[1]!.subject).to.equal(`Your Pixel Bazaar order #${orderId} is ready to download`);
      expect(mails[1]!.text).to.include('Pitch Deck').and.include('₹1,223').and.include('http://store.test/downloads/');
      expect(await w.confirmations(s.user.email)).to.have.length(2);
      const [entry] = await auditOf(orderId, 'order.resend-confirmation');
      expect(entry.summary).to.include(s.user.email);
      expect((await admin.get(`/admin/orders/${orderId}`).expect(200)).text).to.include(`on its way to ${s.user.email}`);

      const pending = await w.createOrder(await w.shopperWithCart()).expect(201);
      const refused = await admin.post(`/api/admin/orders/${pending.body.orderId}/resend-confirmation`).set('X-CSRF-Token', token).send({}).expect(409);
      expect(refused.body.error.message).to.include('only a paid order');
    });

    it('resets one item’s download count to 0, audited; a revoked item stays revoked', async () => {
      const { orderId, paymentId } = await paidOrder();
      const [first, second] = await w.t.db('entitlements').where({ order_id: orderId }).orderBy('id');
      await w.t.db('entitlements').whereIn('id', [first.id, second.id]).update({ download_count: 3 });
      await admin.post(`/admin/orders/${orderId}/entitlements/${first.id}/reset`).type('form').send({ _csrf: token }).expect(303);
      expect(await w.t.db('entitlements').where({ order_id: orderId }).orderBy('id').pluck('download_count')).to.deep.equal([0, 3]);
      const [entry] = await auditOf(orderId, 'order.reset-downloads');
      expect(entry.changes.download_count).to.deep.equal([3, 0]);
      expect(entry.summary).to.include('from 3 to 0');

      // Another order's item is not this order's to reset.
      const other = await paidOrder();
      const [foreign] = await w.t.db('entitlements').where({ order_id: other.orderId });
      await admin.post(`/api/admin/orders/${orderId}/entitlements/${foreign.id}/reset`).set('X-CSRF-Token', token).send({}).expect(404);

      // Refunded in full: the count can be reset, access is not given back.
      await w.t.deps.services.gateway.refund(paymentId, { idempotencyKey: `test-full-${orderId}` }).then((r) => w.t.deps.services.refunds.record(r));
      const res = await admin.post(`/api/admin/orders/${orderId}/entitlements/${second.id}/reset`).set('X-CSRF-Token', token).send({}).expect(200);
      expect(res.body).to.include({ was: 3, revoked: true });
      const row = await w.t.db('entitlements').where({ id: second.id }).first();
      expect(row.download_count).to.equal(0);
      expect(row.revoked_at).to.be.instanceOf(Date);
      await admin.post(`/admin/orders/${orderId}/entitlements/${second.id}/reset`).type('form').send({ _csrf: token }).expect(303);
      expect((await admin.get(`/admin/orders/${orderId}`).expect(200)).text).to.include('It stays revoked');
    });
  });
});
