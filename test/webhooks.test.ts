import { expect } from 'chai';
import { reconcilePayments } from '../jobs/reconcile-payments.js';
import { jobContextOf } from '../src/scheduler.js';
import { startCheckoutWorld, type CheckoutWorld } from './support/checkout-world.js';

/** The money path's hard cases: snapshots, crashes mid-checkout, refunds, mismatches, strangers' events. */
describe('payments hardening: webhooks, refunds, stuck and mismatched orders', () => {
  let w: CheckoutWorld;
  before(async () => {
    w = await startCheckoutWorld();
  });
  after(async () => {
    await w?.close();
  });

  /** A shopper whose order is created and paid at Razorpay (auto-capture), the store not yet told. */
  async function paidAtRazorpay(outcome: 'captured' | 'authorized' = 'captured') {
    const s = await w.shopperWithCart();
    const created = await w.createOrder(s).expect(201);
    const paid = w.rzp.emulator.pay(created.body.razorpayOrderId as string, { outcome });
    return { s, orderId: created.body.orderId as number, rzpOrderId: created.body.razorpayOrderId as string, ...paid };
  }

  describe('snapshots are re-fetched (item 3)', () => {
    it('payment.authorized arriving after Razorpay auto-captured → 2xx, order paid once, no second capture', async () => {
      const { s, orderId, payment } = await paidAtRazorpay('captured');
      const snapshot = { ...payment, status: 'authorized', captured: false };
      const res = await w.signedWebhook('payment.authorized', { payment: snapshot })().expect(200);
      expect(res.body).to.include({ ok: true, duplicate: false, outcome: 'applied' });
      expect((await w.orderRow(orderId)).status).to.equal('paid');
      // The captured event that follows is a no-op.
      await w.signedWebhook('payment.captured', { payment })().expect(200);
      expect(await w.confirmations(s.user.email)).to.have.length(1);
      expect(await w.t.db('entitlements').where({ order_id: orderId })).to.have.length(2);
      expect(await w.t.db('payments').where({ order_id: orderId }).pluck('status')).to.deep.equal(['captured']);
      const events = await w.t.db('webhook_events').whereRaw("payload->'payload'->'payment'->'entity'->>'id' = ?", [payment.id]).orderBy('id');
      expect(events.map((e: { processed_at: Date | null; error: string | null }) => [Boolean(e.processed_at), e.error])).to.deep.equal([
        [true, null],
        [true, null],
      ]);
    });

    it('an authorized payment (auto-capture off) is captured once from its webhook', async () => {
      const { orderId, payment } = await paidAtRazorpay('authorized');
      const captures = () => w.rzp.emulator.calls.filter((c) => c === `POST /v1/payments/${payment.id}/capture`).length;
      await w.signedWebhook('payment.authorized', { payment })().expect(200);
      expect(w.rzp.emulator.payments.get(payment.id)!.status).to.equal('captured');
      expect((await w.orderRow(orderId)).status).to.equal('paid');
      expect(captures()).to.equal(1);
      // Razorpay delivers at least once: the same snapshot again (a new event id) captures nothing.
      await w.signedWebhook('payment.authorized', { payment })().expect(200);
      expect(captures()).to.equal(1);
      expect(await w.t.db('payments').where({ razorpay_payment_id: payment.id })).to.have.length(1);
    });
  });

  describe('a checkout is never stuck (item 4)', () => {
    /**
     * The state a crash leaves: the shopper's pending order (same cart) whose Razorpay order id
     * was never stored, made `ageSeconds` ago.
     */
    async function crashedOrder(s: Awaited<ReturnType<CheckoutWorld['shopperWithCart']>>, ageSeconds: number) {
      const created = await w.createOrder(s).expect(201);
      await w.t.db.raw('UPDATE orders SET razorpay_order_id = NULL, created_at = now() - make_interval(secs => ?) WHERE id = ?', [ageSeconds, created.body.orderId]);
      return created.body.orderId as number;
    }

    it('checkout replaces an order its request died creating, and the new one can be paid', async () => {
      const s = await w.shopperWithCart();
      const stuck = await crashedOrder(s, 120);
      const res = await w.createOrder(s).expect(201);
      expect(res.body.orderId).not.to.equal(stuck);
      expect(res.body.razorpayOrderId).to.match(/^order_/);
      const old = await w.orderRow(stuck);
      expect(old.status).to.equal('failed');
      expect(old.failure_reason).to.match(/interrupted/);
      const { response } = w.rzp.emulator.pay(res.body.razorpayOrderId as string);
      await w.verify(s, response).expect(200);
      expect((await w.orderRow(res.body.orderId as number)).status).to.equal('paid');
    });

    it('the reconciler closes such orders even if the shopper never comes back', async () => {
      const s = await w.shopperWithCart();
      const stuck = await crashedOrder(s, 3600);
      const run = await reconcilePayments(jobContextOf(w.t.deps));
      expect(run.interrupted).to.be.at.least(1);
      expect((await w.orderRow(stuck)).status).to.equal('failed');
    });
  });

  describe('refunds are recorded once each; partial ones keep access (item 5)', () => {
    it('a partial refund keeps the downloads and shows on the order; the rest ends them', async () => {
      const { s, orderId, response } = await paidAtRazorpay();
      await w.verify(s, response).expect(200);
      const paymentId = response.razorpay_payment_id;
      const gateway = w.t.deps.services.gateway;

      const first = await gateway.refund(paymentId, { amount: 50_000, idempotencyKey: `test-refund-${orderId}-1` });
      const payment = () => w.rzp.emulator.payments.get(paymentId)!;
      const sent = await w.rzp.emulator.sendWebhook('refund.processed', { refund: w.rzp.emulator.refunds.get(first.id)!, payment: payment() });
      expect(sent.status).to.equal(200);
      // The same refund again under another event id (Razorpay redelivers) counts once.
      await w.signedWebhook('refund.processed', { refund: first, payment: payment() })().expect(200);
      let order = await w.orderRow(orderId);
      expect(order).to.include({ status: 'paid', refunded_paise: 50_000 });
      const rights = await w.t.db('entitlements').where({ order_id: orderId });
      expect(rights.map((r: { revoked_at: Date | null }) => r.revoked_at)).to.deep.equal([null, null]);
      expect(await w.t.db('refunds').where({ order_id: orderId }).select('razorpay_refund_id', 'amount_paise', 'status')).to.deep.equal([
        { razorpay_refund_id: first.id, amount_paise: 50_000, status: 'processed' },
      ]);
      const page = await s.agent.get(`/orders/${orderId}`).expect(200);
      expect(page.text).to.include('Partly refunded').and.include('data-refunded').and.include('− ₹500').and.include('Net paid').and.include('₹723');
      expect(page.text).to.include('data-download');

      const rest = await gateway.refund(paymentId, { idempotencyKey: `test-refund-${orderId}-2` });
      expect(rest.amount).to.equal(72_300);
      await w.rzp.emulator.sendWebhook('refund.processed', { refund: w.rzp.emulator.refunds.get(rest.id)!, payment: payment() });
      order = await w.orderRow(orderId);
      expect(order).to.include({ status: 'refunded', refunded_paise: 122_300 });
      const revoked = await w.t.db('entitlements').where({ order_id: orderId });
      expect(revoked.every((r: { revoked_at: Date | null }) => r.revoked_at instanceof Date)).to.equal(true);
      expect(await w.t.db('payments').where({ razorpay_payment_id: paymentId }).pluck('status')).to.deep.equal(['refunded']);
    });

    it('refund.created then a late refund.created after processed never undoes it', async () => {
      const { s, orderId, response } = await paidAtRazorpay();
      await w.verify(s, response).expect(200);
      const refund = { id: `rfnd_Late${orderId}x`, entity: 'refund', payment_id: response.razorpay_payment_id, amount: 122_300, currency: 'INR' };
      await w.signedWebhook('refund.created', { refund: { ...refund, status: 'pending' } })().expect(200);
      expect((await w.orderRow(orderId)).status).to.equal('paid');
      await w.signedWebhook('refund.processed', { refund: { ...refund, status: 'processed' } })().expect(200);
      await w.signedWebhook('refund.created', { refund: { ...refund, status: 'pending' } })().expect(200);
      expect((await w.orderRow(orderId)).status).to.equal('refunded');
      expect(await w.t.db('refunds').where({ razorpay_refund_id: refund.id }).pluck('status')).to.deep.equal(['processed']);
    });

    it('a refund for a payment we have no record of is kept and raises one alert', async () => {
      const refund = { id: 'rfnd_Stranger000001', entity: 'refund', payment_id: 'pay_NotOurs00000001', amount: 9_900, currency: 'INR', status: 'processed' };
      const res = await w.signedWebhook('refund.processed', { refund })().expect(200);
      expect(res.body.outcome).to.equal('unmatched_refund');
      await w.signedWebhook('refund.processed', { refund })().expect(200);
      expect(await w.t.db('refunds').where({ razorpay_refund_id: refund.id }).select('order_id', 'amount_paise', 'status')).to.deep.equal([{ order_id: null, amount_paise: 9_900, status: 'processed' }]);
      const alerts = await w.alerts('unmatched_refund');
      expect(alerts).to.have.length(1);
      expect(alerts[0]).to.include({ fingerprint: `refund:${refund.id}`, occurrences: 1 });
    });
  });

  describe('an amount mismatch is flagged once and left alone (item 6)', () => {
    it('flags the order, alerts once, never fulfils, and the reconciler stops asking', async () => {
      const { s, orderId, payment } = await paidAtRazorpay();
      // What the shopper paid no longer matches the order (e.g. an edited order row).
      await w.t.db('orders').where({ id: orderId }).update({ total_paise: 99_900 });
      await w.signedWebhook('payment.captured', { payment })().expect(200);
      await w.signedWebhook('order.paid', { payment })().expect(200);
      let order = await w.orderRow(orderId);
      expect(order.status).to.equal('pending');
      expect(order.attention_at).to.be.instanceOf(Date);
      expect(order.attention_reason).to.include(payment.id);
      expect(await w.confirmations(s.user.email)).to.have.length(0);

      await w.t.db('orders').where({ id: orderId }).update({ created_at: new Date(w.t.clock.now().getTime() - 10 * 60_000) });
      const ctx = jobContextOf(w.t.deps);
      const fetched: string[] = [];
      const gateway = { ...ctx.gateway, fetchOrderPayments: (id: string) => (fetched.push(id), ctx.gateway.fetchOrderPayments(id)) };
      await reconcilePayments({ ...ctx, gateway });
      await reconcilePayments({ ...ctx, gateway });
      expect(fetched).not.to.include(order.razorpay_order_id);
      order = await w.orderRow(orderId);
      expect(order.status).to.equal('pending');
      const alerts = (await w.alerts('amount_mismatch')).filter((a: { fingerprint: string }) => a.fingerprint === `order:${orderId}`);
      expect(alerts).to.have.length(1);
      expect(alerts[0].occurrences).to.equal(1);
    });

    it('does not capture an authorized payment whose amount differs', async () => {
      const { orderId, payment } = await paidAtRazorpay('authorized');
      await w.t.db('orders').where({ id: orderId }).update({ total_paise: 99_900 });
      await w.signedWebhook('payment.authorized', { payment })().expect(200);
      expect(w.rzp.emulator.payments.get(payment.id)!.status).to.equal('authorized');
      expect((await w.orderRow(orderId)).attention_at).to.be.instanceOf(Date);
    });
  });

  describe('events this store cannot use are acknowledged and recorded (items 14, 15)', () => {
    it('a signed event for an order this store never made → 2xx, recorded, one alert', async () => {
      const stranger = { id: 'pay_Stranger00000001', entity: 'payment', amount: 50_000, currency: 'INR', status: 'captured', order_id: 'order_NotOurs0000001', method: 'upi' };
      const first = await w.signedWebhook('payment.captured', { payment: stranger }, 'evt_stranger_00001')().expect(200);
      expect(first.body.outcome).to.equal('unknown_order');
      await w.signedWebhook('order.paid', { payment: stranger })().expect(200);
      await w.signedWebhook('payment.failed', { payment: { ...stranger, status: 'failed' } })().expect(200);
      const row = await w.t.db('webhook_events').where({ event_id: 'evt_stranger_00001' }).first();
      expect(row.processed_at).to.be.instanceOf(Date);
      expect(row.outcome).to.equal('unknown_order');
      const alerts = (await w.alerts('unknown_order_webhook')).filter((a: { fingerprint: string }) => a.fingerprint === stranger.order_id);
      expect(alerts).to.have.length(1);
    });

    const malformed: [string, string][] = [
      ['not JSON', '{"event": "payment.captured", '],
      ['JSON null', 'null'],
      ['a JSON array', '[1,2,3]'],
      ['an event name that is not a string', JSON.stringify({ event: 42, payload: {} })],
      ['a very long event name', JSON.stringify({ event: 'x'.repeat(500), payload: {} })],
      ['a payment without ids', JSON.stringify({ event: 'payment.captured', payload: { payment: { entity: { amount: 100 } } } })],
      ['a payment with an amount beyond 32 bits', JSON.stringify({ event: 'payment.captured', payload: { payment: { entity: { id: 'pay_A1', order_id: 'order_B2', amount: 2 ** 40, currency: 'INR', status: 'captured' } } } })],
      ['a payload with NUL characters', JSON.stringify({ event: 'payment.failed', payload: { payment: { entity: { id: 'pay_A1\u0000', error_description: 'bad\u0000' } } } })],
      ['a refund without a payment id', JSON.stringify({ event: 'refund.processed', payload: { refund: { entity: { id: 'rfnd_1', amount: 100, status: 'processed' } } } })],
      ['no payload at all', JSON.stringify({ event: 'payment.captured' })],
    ];
    for (const [what, body] of malformed) {
      it(`signed but malformed: ${what} → 200, recorded`, async () => {
        const eventId = `evt_malformed_${Math.random().toString(36).slice(2, 12)}`;
        const res = await w.signedBody(body, eventId)();
        expect(res.status, res.text).to.equal(200);
        const row = await w.t.db('webhook_events').where({ event_id: eventId }).first();
        expect(row.processed_at).to.be.instanceOf(Date);
        expect(['malformed', 'ignored']).to.include(row.outcome);
      });
    }

    it('a signed event with an odd event id header is still recorded once', async () => {
      const body = JSON.stringify({ event: 'invoice.paid', payload: {} });
      await w.signedBody(body, 'evt with spaces \u00e9')().expect(200);
      await w.signedBody(body, 'evt with spaces \u00e9')().expect(200);
      expect(await w.t.db('webhook_events').where('event_id', 'like', 'body_%').andWhere({ event: 'invoice.paid' })).to.have.length(1);
    });
  });
});
