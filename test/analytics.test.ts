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
    // 3 orders ÷ 5 visitors. Carts: u1 and u2 paid after their last change (converted); the two
    // guests never signed in to pay, and their 24 h have passed (abandoned): 2 ÷ 4.
    expect(figure(res.body, 'conversion').value).to.be.closeTo(60, 1e-9);
    expect(figure(res.body, 'abandonment').value).to.be.closeTo(50, 1e-9);
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
      'day,revenue_net_inr,paid_orders,average_order_value_inr,new_customers,conversion_percent,abandoned_cart_percent,failed_payments',
      '2026-11-18,0.00,0,0.00,0,0,0,0',
      '2026-11-19,0.00,0,0.00,0,0,0,0',
      '2026-11-20,0.00,0,0.00,0,0,0,0',
      '2026-11-21,0.00,0,0.00,0,0,0,0',
      '2026-11-22,400.00,1,400.00,1,0,0,1',
      '2026-11-23,1290.00,3,600.00,2,60,50,2',
      '2026-11-24,200.00,1,200.00,1,0,0,0',
    ]);
    // The purchases CSV: refunds by amount and count, failures, per day.
    const purchases = await admin.get('/admin/analytics/purchases.csv?range=custom&from=2026-11-22&to=2026-11-23').expect(200);
    expect(purchases.text.trim().split('\r\n')).to.deep.equal([
      'day,revenue_net_inr,paid_orders,refunded_inr,refunds,failed_payments',
      '2026-11-22,400.00,1,0.00,0,1',
      '2026-11-23,1290.00,3,510.00,2,2',
    ]);
    // chart.js itself is served from node_modules.
    const js = await admin.get('/vendor/chart.js/chart.umd.min.js').expect(200);
    expect(js.text.length).to.be.above(100_000);
  });

  it('purchases: what sold (today live too), categories, refunds, failures by reason and offers used (item 4)', async () => {
    const font = await makeProduct(t.db, { title: 'Report Font', price_paise: 100_000 });
    const deck = await makeProduct(t.db, { title: 'Report Deck', price_paise: 10_000 });
    const orderOf = async (paidAt: string) => (await t.db('orders').where({ paid_at: at(paidAt) }).first('id')).id as number;
    const [offer] = await t.db('offers').insert({ name: 'Report Sale', kind: 'automatic', discount_type: 'percent', amount: 10, starts_at: at('2026-11-01T00:00:00Z'), ends_at: at('2026-12-31T00:00:00Z') }).returning('id');
    const item = (order_id: number, product: { id: number }, title: string, line: number, quantity: number, extra: Record<string, unknown> = {}) => ({ order_id, product_id: product.id, title, unit_price_paise: line / quantity, sale_price_paise: line / quantity, quantity, line_total_paise: line, license_type: 'personal', ...extra });
    await t.db('order_items').insert([
      item(await orderOf('2026-11-22T18:30:00Z'), font, 'Report Font', 100_000, 1, { offer_id: (offer as { id: number }).id, offer_name: 'Report Sale' }),
      item(await orderOf('2026-11-23T18:29:59Z'), deck, 'Report Deck', 30_000, 3),
      item(await orderOf('2026-11-23T18:30:00Z'), deck, 'Report Deck', 20_000, 2), // today: live
    ]);
    await t.deps.services.analytics.rollupRecent();
    const res = await admin.get('/api/admin/analytics/purchases?range=7d').expect(200);
    expect(res.body.topByRevenue).to.deep.equal([
      { id: font.id, name: 'Report Font', value: 100_000 },
      { id: deck.id, name: 'Report Deck', value: 50_000 },
    ]);
    expect(res.body.topByUnits.map((r: { name: string; value: number }) => [r.name, r.value])).to.deep.equal([['Report Deck', 5], ['Report Font', 1]]);
    expect(res.body.categories).to.have.length(2);
    expect(res.body.refunds).to.deep.equal({ count: 2, paise: 51_000 });
    expect(res.body.failures).to.deep.equal([{ reason: 'BAD_REQUEST_ERROR', count: 3 }]);
    expect(res.body.offers).to.deep.equal([{ id: (offer as { id: number }).id, name: 'Report Sale', value: 1 }]);
    const page = await admin.get('/admin/analytics/purchases?range=7d').expect(200);
    expect(page.text).to.include('Report Font').and.include('BAD_REQUEST_ERROR').and.include('Report Sale').and.include('aria-current="page">Purchases');
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
    // Days nobody rolled up yet, asked for by several requests at once: each day is rolled once at a time.
    const q = '?range=custom&from=2025-06-01&to=2025-06-30';
    const all = await Promise.all([...Array(4)].map((_, i) => admin.get(`/api/admin/analytics/${i % 2 ? 'purchases' : 'overview'}${q}`)));
    expect(all.map((r) => r.status)).to.deep.equal([200, 200, 200, 200]);
    expect(Number((await t.db('analytics_daily').where({ day: '2025-06-15', metric: 'orders_paid' }).count('* as n').first())!.n)).to.equal(1);
  });
});
