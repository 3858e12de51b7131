import { expect } from 'chai';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

/**
 * The overview (issue 13, items 1–3): known orders, refunds, failed payments, cart events and
 * product views around India midnight, and the exact figures the page, the JSON and the CSV show,
 * with the previous period's comparison. The clock is 2026-11-24 15:30 IST.
 */
describe('analytics: the overview', () => {
  let t: TestContext;
  let admin: ReturnType<TestContext['agent']>;
  const at = (iso: string) => new Date(iso);

  before(async () => {
    t = await createTestContext();
    const a = await makeUser(t.db, { role: 'admin' });
    admin = t.agent();
    await apiLogin(admin, a.email, a.password);
    const p = await makeProduct(t.db, { price_paise: 50_000 });
    const [u1, u2, u3] = [await makeUser(t.db), await makeUser(t.db), await makeUser(t.db)];
    const order = async (userId: number, total: number, paidAt: string | null, status = 'paid') => {
      const [row] = await t.db('orders').insert({ user_id: userId, status, subtotal_paise: total, total_paise: total, paid_at: paidAt ? at(paidAt) : null, created_at: at(paidAt ?? '2026-11-23T12:00:00Z') }).returning('id');
      return (row as { id: number }).id;
    };
    // 23 Nov IST runs 2026-11-22T18:30Z → 2026-11-23T18:30Z.
    await order(u1.id, 100_000, '2026-11-22T18:30:00Z'); // 23 Nov 00:00 IST: the first second of the day
    const refunded = await order(u2.id, 50_000, '2026-11-23T10:00:00Z', 'refunded'); // 23 Nov
    await order(u1.id, 30_000, '2026-11-23T18:29:59Z'); // 23 Nov 23:59:59 IST (u1's second order: not new)
    await order(u3.id, 20_000, '2026-11-23T18:30:00Z'); // 24 Nov 00:00 IST: today
    await order(u3.id, 99_000, null, 'pending'); // never paid: not revenue
    // 22 Nov (the period before "yesterday"): one order by u2's earlier visit? No: by a fourth buyer.
    const u4 = await makeUser(t.db);
    await order(u4.id, 40_000, '2026-11-22T06:00:00Z');
    await t.db('refunds').insert({ razorpay_refund_id: 'rfnd_a1', razorpay_payment_id: 'pay_a1', order_id: refunded, amount_paise: 50_000, currency: 'INR', status: 'processed', processed_at: at('2026-11-23T12:00:00Z') });
    await t.db('refunds').insert({ razorpay_refund_id: 'rfnd_a2', razorpay_payment_id: 'pay_a2', order_id: refunded, amount_paise: 1_000, currency: 'INR', status: 'pending', processed_at: null });
    const [pending] = await t.db('orders').where({ status: 'pending' }).pluck('id');
    for (const [id, when] of [['pay_f1', '2026-11-23T05:00:00Z'], ['pay_f2', '2026-11-23T06:00:00Z'], ['pay_f3', '2026-11-22T06:00:00Z']] as const) {
      await t.db('payments').insert({ order_id: pending, razorpay_payment_id: id, status: 'failed', amount_paise: 99_000, currency: 'INR', error_code: 'BAD_REQUEST_ERROR', created_at: at(when) });
    }
    // 23 Nov: four shoppers started carts (one guest twice → once), five visitors.
    const events = [
      { user_id: u1.id, action: 'add' },
      { user_id: u2.id, action: 'add' },
      { anonymous_id: 'guest-aaaaaaaa', action: 'add' },
      { anonymous_id: 'guest-aaaaaaaa', action: 'add' },
      { anonymous_id: 'guest-bbbbbbbb', action: 'merge' },
      { user_id: u3.id, action: 'remove' },
    ];
    await t.db('cart_events').insert(events.map((e) => ({ ...e, product_id: p.id, created_at: at('2026-11-23T08:00:00Z') })));
    const views = [{ user_id: u1.id }, { user_id: u2.id }, { anonymous_id: 'guest-aaaaaaaa' }, { anonymous_id: 'guest-bbbbbbbb' }, { anonymous_id: 'guest-cccccccc' }, { anonymous_id: 'guest-cccccccc' }];
    await t.db('product_views').insert(views.map((v) => ({ ...v, product_id: p.id, created_at: at('2026-11-23T09:00:00Z') })));
  });
  after(() => t.close());

  const figure = (body: { figures: { key: string }[] }, key: string) => body.figures.find((f) => f.key === key) as unknown as { value: number; previous: number; change: number | undefined; series: number[] };

  it('yesterday (23 Nov, India time) against the day before, to the paisa', async () => {
    const res = await admin.get('/api/admin/analytics/overview?range=yesterday').expect(200);
    expect(res.body.range).to.include({ from: '2026-11-23', to: '2026-11-23' });
    // Paid 1,000 + 500 + 300 = ₹1,800, minus the processed ₹500 refund (the pending one not yet).
    expect(figure(res.body, 'revenue')).to.include({ value: 130_000, previous: 40_000, change: 225 });
    expect(figure(res.body, 'orders')).to.include({ value: 3, previous: 1, change: 200 });
    expect(figure(res.body, 'aov')).to.include({ value: 60_000, previous: 40_000, change: 50 });
    // u1 and u2 bought for the first time on 23 Nov; u1's second order does not count again.
    expect(figure(res.body, 'newCustomers')).to.include({ value: 2, previous: 1 });
    expect(figure(res.body, 'failedPayments')).to.include({ value: 2, previous: 1, change: 100 });
    // 3 orders ÷ 5 visitors; 1 − 3 ÷ 4 carts started.
    expect(figure(res.body, 'conversion').value).to.be.closeTo(60, 1e-9);
    expect(figure(res.body, 'abandonment').value).to.be.closeTo(25, 1e-9);
    expect(figure(res.body, 'conversion').change).to.equal(undefined); // no visitors the day before
  });

  it('today is live, the first second of an India day belongs to it, and the rollups agree', async () => {
    const today = await admin.get('/api/admin/analytics/overview?range=today').expect(200);
    expect(figure(today.body, 'revenue').value).to.equal(20_000);
    expect(figure(today.body, 'orders')).to.include({ value: 1, previous: 3 });
    // Only closed days are rolled up; today is not.
    expect(await t.db('analytics_rollup_days').where('day', '2026-11-24')).to.have.length(0);
    expect((await t.db('analytics_rollup_days').where('day', '2026-11-23')).length).to.equal(1);
    const seven = await admin.get('/api/admin/analytics/overview?range=7d').expect(200);
    expect(figure(seven.body, 'revenue').series).to.deep.equal([0, 0, 0, 0, 40_000, 130_000, 20_000]);
    expect(figure(seven.body, 'orders').value).to.equal(5);
  });

  it('the job re-rolls closed days, so a late change shows; running it twice changes nothing', async () => {
    await t.db('refunds').where({ razorpay_refund_id: 'rfnd_a2' }).update({ status: 'processed', processed_at: at('2026-11-23T13:00:00Z') });
    const before = await admin.get('/api/admin/analytics/overview?range=yesterday').expect(200);
    expect(figure(before.body, 'revenue').value).to.equal(130_000); // the rollup is from before the change
    await t.deps.services.analytics.rollupRecent();
    await t.deps.services.analytics.rollupRecent();
    const after = await admin.get('/api/admin/analytics/overview?range=yesterday').expect(200);
    expect(figure(after.body, 'revenue').value).to.equal(129_000);
    expect(await t.db('analytics_daily').where({ day: '2026-11-23', metric: 'refunds' })).to.have.length(1);
  });

  it('the page shows the figures with ▲/▼ against the period before, a table and a CSV of the same numbers', async () => {
    const page = await admin.get('/admin?range=yesterday').expect(200);
    const card = (key: string) => page.text.slice(page.text.indexOf(`data-figure="${key}"`), page.text.indexOf('</section>', page.text.indexOf(`data-figure="${key}"`)));
    expect(card('revenue')).to.include('₹1,290').and.include('▲').and.include('+223%').and.include('vs ₹400');
    expect(card('failedPayments')).to.include('figure-bad').and.include('+100%');
    expect(page.text).to.include('compared with the day before').and.include('src="/vendor/chart.js/chart.umd.min.js?v=');
    expect(page.text).to.include('<script type="application/json" id="daily-data">');
    const csv = await admin.get('/admin/overview.csv?range=7d').expect(200);
    expect(csv.headers['content-type']).to.match(/^text\/csv/);
    expect(csv.headers['content-disposition']).to.include('overview-2026-11-18-to-2026-11-24.csv');
    expect(csv.text.trim().split('\r\n')).to.deep.equal([
      'day,revenue_net_inr,paid_orders,failed_payments',
      '2026-11-18,0.00,0,0',
      '2026-11-19,0.00,0,0',
      '2026-11-20,0.00,0,0',
      '2026-11-21,0.00,0,0',
      '2026-11-22,400.00,1,1',
      '2026-11-23,1290.00,3,2',
      '2026-11-24,200.00,1,0',
    ]);
    // chart.js itself is served from node_modules.
    const js = await admin.get('/vendor/chart.js/chart.umd.min.js').expect(200);
    expect(js.text.length).to.be.above(100_000);
  });

  it('a custom range in India days; a bad one is a 400 with the field, never a 500', async () => {
    const res = await admin.get('/api/admin/analytics/overview?range=custom&from=2026-11-22&to=2026-11-23').expect(200);
    expect(figure(res.body, 'revenue').value).to.equal(169_000);
    expect(res.body.range.previous).to.include({ from: '2026-11-20', to: '2026-11-21' });
    const bad = await admin.get('/api/admin/analytics/overview?range=custom&from=2026-11-23&to=2026-11-01').expect(400);
    expect(bad.body.error.fields).to.have.property('to');
    const page = await admin.get('/admin?range=custom&from=nope').expect(400);
    expect(page.text).to.include('data-range-error');
    await admin.get('/admin/overview.csv?range=custom&from=2025-01-01&to=2026-11-01').expect(400);
  });
});
