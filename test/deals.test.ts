import { expect } from 'chai';
import { apiLogin, makeUser } from './support/accounts.js';
import { startCheckoutWorld, type CheckoutWorld, type Shopper } from './support/checkout-world.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { mailTo } from './support/mailbox.js';

/** Deals and coupons (issue 12, items 1–5), through the real app, database and Razorpay emulator. */
describe('deals: festive offers and coupon codes', () => {
  let w: CheckoutWorld;
  let admin: { agent: Shopper['agent']; csrf: string };
  const HOUR = 3600_000;
  // datetime-local values in India time around the test clock (2026-11-24T10:00Z = 15:30 IST).
  const ist = (offsetHours: number) => new Date(w.t.clock.now().getTime() + offsetHours * HOUR + 330 * 60_000).toISOString().slice(0, 16);

  before(async () => {
    w = await startCheckoutWorld();
    const a = await makeUser(w.t.db, { role: 'admin' });
    const agent = w.t.agent();
    admin = { agent, csrf: (await apiLogin(agent, a.email, a.password)).body.csrfToken };
  });
  after(async () => {
    await w?.close();
  });
  afterEach(async () => {
    // Each test starts with no offer running.
    await w.t.db('offers').update({ is_active: false });
    w.t.deps.services.deals.clearCache();
  });

  const form = (over: Record<string, unknown>) => ({
    _csrf: admin.csrf,
    name: 'Diwali Sale',
    kind: 'automatic',
    discountType: 'percent',
    amount: '40',
    scope: 'all',
    startsAt: ist(-1),
    endsAt: ist(48),
    isActive: 'on',
    ...over,
  });
  async function createOffer(over: Record<string, unknown>): Promise<number> {
    const res = await admin.agent.post('/admin/deals').type('form').send(form(over)).expect(303);
    return Number(/\/admin\/deals\/(\d+)/.exec(String(res.headers.location))![1]);
  }
  const applyCoupon = (s: Shopper, code: string) => s.agent.post('/api/cart/coupon').set('X-CSRF-Token', s.csrf).send({ code });

  it('an admin creates an automatic offer and a coupon, in India time, audited (item 1)', async () => {
    const id = await createOffer({ name: 'Store anniversary', bannerText: '3 years of Pixel Bazaar: 40% off everything' });
    const row = await w.t.db('offers').where({ id }).first();
    expect(row).to.include({ kind: 'automatic', discount_type: 'percent', amount: 40, scope: 'all', code: null, is_active: true, banner_text: '3 years of Pixel Bazaar: 40% off everything' });
    // 15:30 IST typed one hour before the clock → stored as the instant 09:00Z.
    expect(new Date(row.starts_at).toISOString()).to.equal('2026-11-24T09:00:00.000Z');
    const couponId = await createOffer({ name: 'Welcome', kind: 'coupon', code: 'welcome10', discountType: 'fixed', amount: '100', minCart: '500', maxUses: '10', maxUsesPerCustomer: '1' });
    expect(await w.t.db('offers').where({ id: couponId }).first()).to.include({ code: 'WELCOME10', discount_type: 'fixed', amount: 10_000, min_cart_paise: 50_000, max_uses: 10, max_uses_per_customer: 1 });
    expect(await w.t.db('audit_log').where({ entity_type: 'offer' }).whereIn('entity_id', [id, couponId]).pluck('action')).to.have.members(['offer.create', 'offer.create']);
    const page = await admin.agent.get(`/admin/deals/${id}`).expect(200);
    expect(page.text).to.include(`value="${ist(-1)}"`);
    // The sidebar marks the module the admin is in.
    expect(page.text).to.include('<a href="/admin/deals" class="active" aria-current="page">Deals</a>');
  });

  it('refuses bad offers with field messages and stores nothing (item 1)', async () => {
    const before = Number((await w.t.db('offers').count('* as n').first())!.n);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ amount: '95' }, 'amount'],
      [{ amount: 'lots' }, 'amount'],
      [{ endsAt: ist(-2) }, 'endsAt'],
      [{ startsAt: '2026-02-31T10:00' }, 'startsAt'],
      [{ kind: 'coupon', code: '' }, 'code'],
      [{ minCart: '500' }, 'minCart'], // automatic offers have no minimum
      [{ maxUses: '5' }, 'maxUses'],
      [{ scope: 'categories' }, 'categoryIds'],
      [{ scope: 'products', products: 'no-such-product' }, 'products'],
      [{ kind: 'coupon', code: 'bad code!' }, 'code'],
    ];
    for (const [over, field] of cases) {
      const res = await admin.agent.post('/admin/deals').type('form').send(form(over)).expect(400);
      expect(res.text, field).to.include(`data-field-error="${field}"`);
    }
    await createOffer({ kind: 'coupon', code: 'FESTIVE' });
    const dup = await admin.agent.post('/admin/deals').type('form').send(form({ kind: 'coupon', code: 'festive' })).expect(400);
    expect(dup.text).to.include('Another offer already has this code');
    expect(Number((await w.t.db('offers').count('* as n').first())!.n)).to.equal(before + 1);
    // Not an admin: no deals.
    const s = await w.shopperWithCart([]);
    await s.agent.post('/api/admin/deals').set('X-CSRF-Token', s.csrf).send({}).expect(403);
    // Guessing codes is throttled per account: the 31st try in 15 minutes is refused.
    for (let i = 0; i < 30; i++) await applyCoupon(s, `GUESS${i}`).expect(400);
    const limited = await applyCoupon(s, 'GUESS30').expect(429);
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
  });

  it('one price everywhere: card, product page, cart, checkout, Razorpay order, order items, receipt and email (item 2)', async () => {
    const cat = await makeCategory(w.t.db);
    const p = await makeProduct(w.t.db, { category_id: cat.id, title: 'Festive Font Pack', price_paise: 99_900, discount_percent: 10 });
    await createOffer({ name: 'Diwali Sale', scope: 'categories', categoryIds: String(cat.id), amount: '25', bannerText: 'Diwali Sale: 25% off fonts' });
    // 25% off ₹999 is ₹749 (whole rupees), better than the product's own 10% (₹899).
    const listing = await w.t.agent().get(`/products?category=${cat.slug}`).expect(200);
    expect(listing.text).to.include('₹749').and.include('Diwali Sale').and.include('ends in <time').and.include('Diwali Sale: 25% off fonts');
    const page = await w.t.agent().get(`/products/${p.slug}`).expect(200);
    expect(page.text).to.include('₹749').and.include('2 d 0 h').and.include('25% off');
    const s = await w.shopperWithCart([p.id]);
    const cart = (await s.agent.get('/api/cart').expect(200)).body;
    expect(cart.items[0]).to.include({ salePrice: 74_900, lineTotal: 74_900 });
    expect(cart.items[0].offer.name).to.equal('Diwali Sale');
    const created = await w.createOrder(s).expect(201);
    expect(created.body.amount).to.equal(74_900);
    expect(w.rzp.emulator.orders.get(created.body.razorpayOrderId)!.amount).to.equal(74_900);
    const item = await w.t.db('order_items').where({ order_id: created.body.orderId }).first();
    expect(item).to.include({ sale_price_paise: 74_900, line_total_paise: 74_900, offer_name: 'Diwali Sale', discount_percent: 25 });
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    await w.verify(s, response).expect(200);
    const receipt = await s.agent.get(`/orders/${created.body.orderId}`).expect(200);
    expect(receipt.text).to.include('Diwali Sale price').and.include('₹749');
    const mail = await w.mailbox.waitFor(mailTo(s.user.email));
    expect(mail.text).to.include('Diwali Sale price').and.include('Total paid: ₹749');
  });

  it('coupon codes: applied in any case, removed, and every refusal has its message (item 3)', async () => {
    const [a, b] = [await makeProduct(w.t.db, { price_paise: 40_000 }), await makeProduct(w.t.db, { price_paise: 20_000 })];
    await createOffer({ name: 'Ten off', kind: 'coupon', code: 'TEN', amount: '10', scope: 'products', products: String(a.id) });
    await createOffer({ name: 'Big spender', kind: 'coupon', code: 'BIG500', discountType: 'fixed', amount: '500', minCart: '1000' });
    await createOffer({ name: 'Soon', kind: 'coupon', code: 'SOON', startsAt: ist(2), endsAt: ist(5) });
    await createOffer({ name: 'Gone', kind: 'coupon', code: 'GONE', startsAt: ist(-5), endsAt: ist(-2) });
    await createOffer({ name: 'Off', kind: 'coupon', code: 'OFFLINE', isActive: '' });
    const s = await w.shopperWithCart([a.id, b.id]);
    const refusals: [string, number, string, string][] = [
      ['NOPE', 400, 'COUPON_UNKNOWN', 'do not recognise'],
      ['soon', 400, 'COUPON_NOT_STARTED', 'starts on'],
      ['GONE', 400, 'COUPON_EXPIRED', 'expired on'],
      ['offline', 400, 'COUPON_INACTIVE', 'no longer active'],
      ['big500', 400, 'COUPON_BELOW_MINIMUM', 'Add ₹400 more'],
      ['bad code', 400, 'VALIDATION_ERROR', 'letters, digits'],
    ];
    for (const [code, status, errorCode, text] of refusals) {
      const res = await applyCoupon(s, code).expect(status);
      expect(res.body.error.code, code).to.equal(errorCode);
      expect(res.body.error.fields.code, code).to.include(text);
    }
    expect(await w.t.db('carts').where({ user_id: s.user.id }).first('coupon_code')).to.deep.equal({ coupon_code: null });
    const applied = await applyCoupon(s, 'ten').expect(200);
    // 10% of the ₹400 line only.
    expect(applied.body).to.include({ couponDiscount: 4_000, total: 56_000 });
    expect(applied.body.coupon).to.include({ code: 'TEN', applied: true, name: 'Ten off' });
    expect(applied.body.items.map((i: { couponDiscount: number }) => i.couponDiscount)).to.deep.equal([4_000, 0]);
    const removed = await s.agent.post('/api/cart/coupon/remove').set('X-CSRF-Token', s.csrf).send({}).expect(200);
    expect(removed.body).to.include({ couponDiscount: 0, total: 60_000 });
    // Not applicable: a code for products the cart does not hold.
    const other = await w.shopperWithCart([b.id]);
    expect((await applyCoupon(other, 'TEN').expect(400)).body.error.code).to.equal('COUPON_NOT_APPLICABLE');
    // A guest applies a code to the lines kept in the browser, and the quote prices with it.
    const g = w.t.agent();
    const token = (await g.get('/api/auth/csrf').expect(200)).body.csrfToken;
    const gq = await g.post('/api/cart/coupon').set('X-CSRF-Token', token).send({ code: 'ten', items: [{ productId: a.id, quantity: 1 }] }).expect(200);
    expect(gq.body).to.include({ total: 36_000, couponDiscount: 4_000 });
    expect((await g.get(`/api/cart/quote?items=${a.id}:1&coupon=TEN`).expect(200)).body.total).to.equal(36_000);
    // Signing in merges the guest's lines and brings the code along to the saved cart.
    const user = await makeUser(w.t.db);
    const signed = (await apiLogin(g, user.email, user.password)).body.csrfToken as string;
    const merged = await g.post('/api/cart/merge').set('X-CSRF-Token', signed).send({ items: [{ productId: a.id, quantity: 1 }], coupon: 'ten' }).expect(200);
    expect(merged.body).to.include({ total: 36_000, couponDiscount: 4_000 });
    expect(merged.body.coupon).to.include({ code: 'TEN', applied: true });
    expect((await w.t.db('carts').where({ user_id: user.id }).first('coupon_code')).coupon_code).to.equal('ten');
  });

  it('a per-customer limit holds, and an expired pending order gives its use back (item 3)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 50_000 });
    const q = await makeProduct(w.t.db, { price_paise: 30_000 });
    const id = await createOffer({ name: 'Once each', kind: 'coupon', code: 'ONCE', amount: '20', maxUses: '1', maxUsesPerCustomer: '1' });
    const s = await w.shopperWithCart([p.id]);
    await applyCoupon(s, 'ONCE').expect(200);
    const created = await w.createOrder(s).expect(201);
    expect(created.body.amount).to.equal(40_000);
    expect(await w.t.db('offer_redemptions').where({ offer_id: id })).to.have.length(1);
    // Held by the pending order: a second shopper finds it used up.
    const other = await w.shopperWithCart([q.id]);
    expect((await applyCoupon(other, 'ONCE').expect(409)).body.error.code).to.equal('COUPON_USED_UP');
    // The pending order expires (the reconciler, or a newer checkout): the use is free again.
    await w.t.db('orders').where({ id: created.body.orderId }).update({ status: 'expired' });
    await applyCoupon(other, 'ONCE').expect(200);
    // Paid, it counts for good; the same customer cannot use it twice.
    await w.t.db('orders').where({ id: created.body.orderId }).update({ status: 'paid' });
    const again = await w.shopperWithCart([q.id]);
    expect((await applyCoupon(again, 'ONCE').expect(409)).body.error.code).to.equal('COUPON_USED_UP');
    await w.t.db('offers').where({ id }).update({ max_uses: null });
    await s.agent.post('/api/cart/add').set('X-CSRF-Token', s.csrf).send({ productId: q.id }).expect(200);
    expect((await applyCoupon(s, 'ONCE').expect(409)).body.error.code).to.equal('COUPON_ALREADY_USED');
  });

  it('retrying a payment keeps the code: the shopper\'s own pending order never counts against it (item 3)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 50_000 });
    await createOffer({ name: 'One each', kind: 'coupon', code: 'ONEEACH', amount: '20', maxUses: '1', maxUsesPerCustomer: '1' });
    const s = await w.shopperWithCart([p.id]);
    await applyCoupon(s, 'ONEEACH').expect(200);
    const first = await w.createOrder(s).expect(201);
    // The Razorpay window closed, the page reloaded, "Try again": the same order, the same price.
    const page = await s.agent.get('/checkout').expect(200);
    expect(page.text).to.include('Pay ₹400').and.not.include('data-coupon-dropped');
    const again = await w.createOrder(s).expect(201);
    expect(again.body).to.include({ orderId: first.body.orderId, amount: 40_000 });
    // Taking the code off and putting it back is allowed too.
    await s.agent.post('/api/cart/coupon/remove').set('X-CSRF-Token', s.csrf).send({}).expect(200);
    await applyCoupon(s, 'ONEEACH').expect(200);
    expect((await w.createOrder(s).expect(201)).body.amount).to.equal(40_000);
  });

  it('a late payment on an order that had given its use back is fulfilled and flagged when the code ran out meanwhile (item 3)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 50_000 });
    const q = await makeProduct(w.t.db, { price_paise: 30_000 });
    await createOffer({ name: 'Single', kind: 'coupon', code: 'SINGLE', amount: '20', maxUses: '1' });
    const a = await w.shopperWithCart([p.id]);
    await applyCoupon(a, 'SINGLE').expect(200);
    const x = await w.createOrder(a).expect(201);
    // A changes the cart and checks out again: order X is replaced (expired) and frees the use.
    await a.agent.post('/api/cart/add').set('X-CSRF-Token', a.csrf).send({ productId: q.id }).expect(200);
    await a.agent.post('/api/cart/coupon/remove').set('X-CSRF-Token', a.csrf).send({}).expect(200);
    await w.createOrder(a).expect(201);
    expect((await w.orderRow(x.body.orderId)).status).to.equal('expired');
    const b = await w.shopperWithCart([q.id]);
    await applyCoupon(b, 'SINGLE').expect(200);
    const bo = await w.createOrder(b).expect(201);
    await w.verify(b, w.rzp.emulator.pay(bo.body.razorpayOrderId).response).expect(200);
    // Now A pays X's Razorpay order after all: the money is taken, so X is fulfilled, and flagged.
    const { payment } = w.rzp.emulator.pay(x.body.razorpayOrderId);
    await w.t.deps.services.checkout.settle(payment as never, { fresh: true });
    const late = await w.orderRow(x.body.orderId);
    expect(late.status).to.equal('paid');
    expect(late.attention_reason).to.include('SINGLE');
    expect(await w.alerts('coupon_over_limit')).to.have.length(1);
  });

  it('"Buy now" with a dead code in the cart prices without it; the checkout page says why a code fell off (items 2, 3)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 50_000 });
    const q = await makeProduct(w.t.db, { price_paise: 30_000 });
    const id = await createOffer({ name: 'Short', kind: 'coupon', code: 'SHORT', amount: '10' });
    const s = await w.shopperWithCart([p.id]);
    await applyCoupon(s, 'SHORT').expect(200);
    await w.t.db('offers').where({ id }).update({ ends_at: new Date(w.t.clock.now().getTime() - 1000), starts_at: new Date(w.t.clock.now().getTime() - HOUR) });
    w.t.deps.services.deals.clearCache();
    const buy = await s.agent.post('/api/orders/create').set('X-CSRF-Token', s.csrf).send({ productId: q.id }).expect(201);
    expect(buy.body.amount).to.equal(30_000);
    const page = await s.agent.get('/checkout').expect(200);
    expect(page.text).to.include('data-coupon-dropped').and.include('SHORT').and.include('expired').and.include('Pay ₹500');
    expect((await w.t.db('carts').where({ user_id: s.user.id }).first('coupon_code')).coupon_code).to.equal(null);
  });

  it('admin form input that names nothing real is a 400, never a 500 (item 1)', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ scope: 'categories', categoryIds: '999999' }, 'categoryIds'],
      [{ scope: 'categories', categoryIds: '99999999999' }, 'categoryIds'],
      [{ scope: 'categories', categoryIds: 'fonts' }, 'categoryIds'],
      [{ scope: 'products', products: '9999999999' }, 'products'],
      [{ scope: 'products', products: Array.from({ length: 501 }, (_, i) => `p-${i}`).join('\n') }, 'products'],
      [{ amount: '1e400' }, 'amount'],
      [{ kind: 'coupon', code: 'OK', maxUses: '99999999999' }, 'maxUses'],
    ];
    for (const [over, field] of cases) {
      const res = await admin.agent.post('/admin/deals').type('form').send(form(over));
      expect(res.status, JSON.stringify(over).slice(0, 80)).to.equal(400);
      expect(res.text, `${field} ${JSON.stringify(over).slice(0, 60)}`).to.include(`data-field-error="${field}"`);
    }
  });

  it('a guest\'s quotes with a code that does not exist are throttled like applying one (item 3)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 10_000 });
    const g = w.t.agent();
    // Every guest of these tests comes from 127.0.0.1: start that network's count afresh.
    await w.t.deps.limits.couponIp.reset('ip:127.0.0.1');
    for (let i = 0; i < 30; i++) await g.get(`/api/cart/quote?items=${p.id}:1&coupon=TRY${i}`).expect(200);
    await g.get(`/api/cart/quote?items=${p.id}:1&coupon=TRY31`).expect(429);
    // Without a code the cart still prices.
    await g.get(`/api/cart/quote?items=${p.id}:1`).expect(200);
    await w.t.deps.limits.couponIp.reset('ip:127.0.0.1');
  });

  it('50 concurrent checkouts for a code with 10 uses left → exactly 10 orders carry it (item 3)', async function () {
    this.timeout(60_000);
    const p = await makeProduct(w.t.db, { price_paise: 80_000 });
    const id = await createOffer({ name: 'Flash', kind: 'coupon', code: 'FLASH', amount: '50', maxUses: '12' });
    // Two uses already taken by paid orders: 10 left.
    for (let i = 0; i < 2; i++) {
      const s = await w.shopperWithCart([p.id]);
      await applyCoupon(s, 'FLASH').expect(200);
      const created = await w.createOrder(s).expect(201);
      await w.t.db('orders').where({ id: created.body.orderId }).update({ status: 'paid' });
    }
    const shoppers: Shopper[] = [];
    for (let i = 0; i < 50; i++) {
      const s = await w.shopperWithCart([p.id]);
      await applyCoupon(s, 'FLASH').expect(200);
      shoppers.push(s);
    }
    const results = await Promise.all(shoppers.map((s) => w.createOrder(s)));
    const ok = results.filter((r) => r.status === 201);
    expect(results.map((r) => r.status).filter((st) => st !== 201 && st !== 409), JSON.stringify(results.find((r) => r.status !== 201 && r.status !== 409)?.body)).to.deep.equal([]);
    const refused = results.filter((r) => r.status === 409);
    expect(ok).to.have.length(10);
    expect(refused).to.have.length(40);
    expect(refused.every((r) => r.body.error.code === 'COUPON_USED_UP')).to.equal(true);
    expect(ok.every((r) => r.body.amount === 40_000)).to.equal(true);
    expect(await w.t.db('orders').where({ coupon_offer_id: id }).whereIn('status', ['pending', 'paid'])).to.have.length(12);
    expect(await w.t.db('offer_redemptions').where({ offer_id: id })).to.have.length(12);
    // The 40 carts dropped the code, so their next checkout is at the full price.
    const next = await w.createOrder(shoppers.find((s, i) => results[i]!.status === 409)!).expect(201);
    expect(next.body.amount).to.equal(80_000);
  });

  it('an offer starts and ends at its exact second, and the guest page cache never shows a stale price (item 4)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 100_000, title: 'Timed Template' });
    const start = new Date(w.t.clock.now().getTime() + HOUR);
    const connected = new Promise<void>((resolve) => w.t.deps.catalogChanges.once('connected', () => resolve()));
    w.t.deps.catalogChanges.start();
    await connected;
    try {
      await createOffer({ name: 'Midnight Sale', startsAt: ist(1), endsAt: ist(3), amount: '50' });
      const guest = () => w.t.agent().get(`/products/${p.slug}`).expect(200);
      const first = await guest();
      expect(first.text).to.include('₹1,000').and.not.include('Midnight Sale');
      expect((await guest()).headers['x-page-cache']).to.equal('hit');
      w.t.clock.set(new Date(start.getTime() - 1000));
      expect((await guest()).text).not.to.include('₹500');
      w.t.clock.set(start);
      const during = await guest();
      expect(during.headers['x-page-cache']).not.to.equal('hit');
      expect(during.text).to.include('₹500').and.include('Midnight Sale');
      w.t.clock.set(new Date(start.getTime() + 2 * HOUR));
      expect((await guest()).text).to.include('₹1,000').and.not.include('Midnight Sale');
      // An offer written by another process (here: straight into the table, as psql or a second
      // web process would) reaches this one through NOTIFY catalog_changed, not its 30 s refresh.
      expect((await guest()).headers['x-page-cache']).to.equal('hit');
      const heard = new Promise<void>((resolve) => w.t.deps.catalogChanges.once('notification', () => resolve()));
      await w.t.db('offers').insert({ name: 'Elsewhere Sale', kind: 'automatic', discount_type: 'percent', amount: 20, starts_at: new Date(w.t.clock.now().getTime() - HOUR), ends_at: new Date(w.t.clock.now().getTime() + HOUR) });
      await heard;
      const after = await guest();
      expect(after.headers['x-page-cache']).not.to.equal('hit');
      expect(after.text).to.include('₹800').and.include('Elsewhere Sale');
    } finally {
      w.t.clock.set(new Date('2026-11-24T10:00:00Z'));
      await w.t.deps.catalogChanges.close();
    }
  });

  it('orders record the offer and code of each line; the admin sees uses and revenue per offer (items 2, 5)', async () => {
    const p = await makeProduct(w.t.db, { price_paise: 60_000 });
    const q = await makeProduct(w.t.db, { price_paise: 40_000 });
    const sale = await createOffer({ name: 'Anniversary', scope: 'products', products: `${p.slug}`, amount: '50' });
    const code = await createOffer({ name: 'Extra', kind: 'coupon', code: 'EXTRA', discountType: 'fixed', amount: '100' });
    const s = await w.shopperWithCart([p.id, q.id]);
    const cart = (await applyCoupon(s, 'EXTRA').expect(200)).body;
    // ₹300 (sale) + ₹400, then ₹100 off shared 3:4 → ₹42.85 and ₹57.15 (the left-over paisa to the larger line).
    expect(cart).to.include({ subtotal: 100_000, discount: 30_000, couponDiscount: 10_000, total: 60_000 });
    expect(cart.items.map((i: { couponDiscount: number }) => i.couponDiscount)).to.deep.equal([4_285, 5_715]);
    const created = await w.createOrder(s).expect(201);
    expect(created.body.amount).to.equal(60_000);
    const order = await w.orderRow(created.body.orderId);
    expect(order).to.include({ coupon_offer_id: code, coupon_code: 'EXTRA', coupon_name: 'Extra', coupon_discount_paise: 10_000, discount_paise: 40_000, total_paise: 60_000 });
    const items = await w.t.db('order_items').where({ order_id: order.id }).orderBy('id');
    expect(items.map((i: { offer_id: number | null; coupon_discount_paise: number }) => [i.offer_id, i.coupon_discount_paise])).to.deep.equal([[sale, 4_285], [null, 5_715]]);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId);
    await w.verify(s, response).expect(200);
    const receipt = await s.agent.get(`/orders/${order.id}`).expect(200);
    expect(receipt.text).to.include('data-coupon').and.include('EXTRA').and.include('− ₹100').and.include('Anniversary price').and.include('You saved ₹400 in all');
    const list = await admin.agent.get('/admin/deals').expect(200);
    const row = (id: number) => list.text.slice(list.text.indexOf(`data-offer-id="${id}"`), list.text.indexOf('</tr>', list.text.indexOf(`data-offer-id="${id}"`)));
    expect(row(code)).to.include('₹600').and.include('₹100');
    expect(row(sale)).to.include('₹600').and.include('₹300');
    // Carried by an order: it cannot be deleted, only switched off.
    const del = await admin.agent.post(`/admin/deals/${code}/delete`).type('form').send({ _csrf: admin.csrf });
    expect(del.status).to.equal(409);
    expect(await w.t.db('offers').where({ id: code }).first()).to.not.equal(undefined);
  });
});
