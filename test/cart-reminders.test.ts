import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import supertest from 'supertest';
import { SEND_CART_REMINDERS, sendCartRemindersJob } from '../jobs/send-cart-reminders.js';
import { createScheduler, jobContextOf } from '../src/scheduler.js';
import { createCartReminderService } from '../src/services/cart-reminder-service.js';
import { makeUser } from './support/accounts.js';
import { startCheckoutWorld, type CheckoutWorld, type Shopper } from './support/checkout-world.js';
import { makeProduct } from './support/factories.js';
import { linkIn, mailTo } from './support/mailbox.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('cart reminders (abandoned cart recovery emails)', function () {
  this.timeout(30_000);
  let w: CheckoutWorld;

  before(async () => {
    w = await startCheckoutWorld();
  });
  after(async () => {
    await w?.close();
  });

  const run = () => w.t.deps.services.cartReminders.run();
  const advance = (ms: number) => w.t.clock.advance(ms);
  const remindersOf = (userId: number) => w.t.db('cart_reminders').where({ user_id: userId }).orderBy('id');
  const queuedTo = (email: string) => w.t.db('email_outbox').where({ to_address: email, template: 'cart-reminder' }).orderBy('id');
  const mailsTo = (email: string) => w.mailbox.messages.filter((m) => mailTo(email)(m) && /cart/i.test(m.subject ?? ''));
  const reminderMail = (email: string, n = 1) => w.mailbox.waitFor(() => mailsTo(email).length >= n).then(() => mailsTo(email)[n - 1]!);
  const header = (m: ParsedMail, name: string) => m.headerLines.find((h) => h.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, '') ?? '';
  const unsubscribeUrlOf = (m: ParsedMail) => /<([^>]+)>/.exec(header(m, 'list-unsubscribe'))![1]!;
  const pathOf = (url: string) => url.replace('http://store.test', '');

  async function pay(s: Shopper, productId?: number) {
    const created = await s.agent.post('/api/orders/create').set('X-CSRF-Token', s.csrf).send(productId ? { productId } : {}).expect(201);
    const { response } = w.rzp.emulator.pay(created.body.razorpayOrderId as string);
    await w.verify(s, response).expect(200);
    const order = await w.orderRow(created.body.orderId as number);
    expect(order.status).to.equal('paid');
    return order as { id: number; paid_at: Date; total_paise: number };
  }

  it('sends nothing at 59 minutes, the first at 60+, the second at 24 hours and never a third', async () => {
    const s = await w.shopperWithCart();
    const cart = (await s.agent.get('/api/cart').expect(200)).body as { total: number };
    advance(59 * MINUTE);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(0);

    advance(2 * MINUTE);
    await run();
    const [first] = await remindersOf(s.user.id);
    expect(first).to.include({ step: 1, item_count: 2, cart_total_paise: cart.total, coupon_code: null });
    const mail = await reminderMail(s.user.email);
    expect(mail.subject).to.equal('You left something in your cart');
    expect(mail.text).to.contain('Pitch Deck').and.to.contain('Resume Kit').and.to.contain('Total: ₹');
    // Current prices: 25% off ₹1,299 is ₹974 (rounded to rupees), the same the cart shows.
    expect(mail.text).to.contain('₹974').and.to.contain('(was ₹1,299)');
    expect(linkIn(mail, '/cart/return/')).to.match(/^http:\/\/store\.test\/cart\/return\/\d+\.[A-Za-z0-9_-]{43}$/);
    expect(header(mail, 'list-unsubscribe')).to.match(/^<http:\/\/store\.test\/cart-reminders\/unsubscribe\?token=\d+\.[A-Za-z0-9_-]{43}>$/);
    expect(header(mail, 'list-unsubscribe-post')).to.equal('List-Unsubscribe=One-Click');
    expect(mail.html).to.contain('data-unsubscribe');

    // Runs in between send nothing more.
    advance(5 * MINUTE);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(1);

    advance(24 * HOUR - 66 * MINUTE); // 23 h 59 min after the change
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(1);
    advance(2 * MINUTE);
    await run();
    const rows = await remindersOf(s.user.id);
    expect(rows.map((r) => r.step)).to.deep.equal([1, 2]);
    const second = await reminderMail(s.user.email, 2);
    expect(second.subject).to.equal('Still thinking it over? Your cart is saved');

    advance(5 * 24 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(2);
    expect(await queuedTo(s.user.email)).to.have.length(2);
  });

  it('a cart change restarts the clock, and an emptied cart gets none', async () => {
    const s = await w.shopperWithCart([w.products[0]!.id]);
    // The first add creates the cart and stamps it in the same statement.
    const created = (await w.t.db('carts').where({ user_id: s.user.id }).first()).changed_at as Date;
    expect(created.getTime()).to.equal(w.t.clock.now().getTime());
    advance(30 * MINUTE);
    await s.agent.post('/api/cart/add').set('X-CSRF-Token', s.csrf).send({ productId: w.products[1]!.id }).expect(200);
    advance(31 * MINUTE); // 61 min after the first add, 31 after the change
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(0);
    advance(30 * MINUTE);
    await run();
    expect((await remindersOf(s.user.id)).map((r) => r.step)).to.deep.equal([1]);

    // A change after the first reminder: the second counts 24 h from that change.
    advance(HOUR);
    await s.agent.post('/api/cart/remove').set('X-CSRF-Token', s.csrf).send({ productId: w.products[1]!.id }).expect(200);
    const changedAt = (await w.t.db('carts').where({ user_id: s.user.id }).first()).changed_at as Date;
    expect(changedAt.getTime()).to.equal(w.t.clock.now().getTime());
    advance(23 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(1);
    advance(HOUR + MINUTE);
    await run();
    const rows = await remindersOf(s.user.id);
    expect(rows.map((r) => r.step)).to.deep.equal([1, 2]);
    expect(rows[1].item_count).to.equal(1);
    // At most two per cart: yet another change does not start a third.
    await s.agent.post('/api/cart/add').set('X-CSRF-Token', s.csrf).send({ productId: w.products[1]!.id }).expect(200);
    advance(25 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(2);

    const emptied = await w.shopperWithCart([w.products[0]!.id]);
    await emptied.agent.post('/api/cart/remove').set('X-CSRF-Token', emptied.csrf).send({ productId: w.products[0]!.id }).expect(200);
    advance(2 * HOUR);
    await run();
    expect(await remindersOf(emptied.user.id)).to.have.length(0);
  });

  it('buying stops them, and the purchase marks the reminder recovered', async () => {
    const s = await w.shopperWithCart();
    advance(61 * MINUTE);
    await run();
    const [first] = await remindersOf(s.user.id);
    expect(first.step).to.equal(1);
    expect(first.recovered_order_id).to.equal(null);

    advance(2 * HOUR);
    const order = await pay(s);
    // The cart is empty after paying; the job matches the order on its next run.
    await run();
    const [marked] = await remindersOf(s.user.id);
    expect(marked).to.include({ recovered_order_id: order.id, recovered_total_paise: order.total_paise });
    expect(new Date(marked.recovered_at as Date).getTime()).to.equal(new Date(order.paid_at).getTime());
    advance(24 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(1);
  });

  it('a paid order after the last change stops them even when lines are left in the cart', async () => {
    const s = await w.shopperWithCart();
    advance(10 * MINUTE);
    await pay(s, w.products[1]!.id); // "Buy now" of one product; the other stays in the cart
    expect((await s.agent.get('/api/cart').expect(200)).body.count).to.equal(1);
    advance(2 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(0);
  });

  it('does not match an order paid more than 7 days after the reminder', async () => {
    const s = await w.shopperWithCart();
    advance(61 * MINUTE);
    await run();
    advance(24 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(2);
    advance(7 * 24 * HOUR + MINUTE);
    await pay(s);
    await run();
    expect((await remindersOf(s.user.id)).map((r) => r.recovered_order_id)).to.deep.equal([null, null]);
  });

  it('skips unverified and disabled accounts', async () => {
    const unverified = await makeUser(w.t.db, { verified: false });
    await w.t.deps.services.cart.add(unverified.id, w.products[0]!.id);
    const disabled = await makeUser(w.t.db);
    await w.t.deps.services.cart.add(disabled.id, w.products[0]!.id);
    await w.t.db('users').where({ id: disabled.id }).update({ disabled_at: w.t.clock.now() });
    advance(2 * HOUR);
    await run();
    expect(await remindersOf(unverified.id)).to.have.length(0);
    expect(await remindersOf(disabled.id)).to.have.length(0);
  });

  it('one-click unsubscribe (a POST with no cookies) stops them; the page asks first', async () => {
    const s = await w.shopperWithCart();
    advance(61 * MINUTE);
    await run();
    const mail = await reminderMail(s.user.email);
    const url = unsubscribeUrlOf(mail);
    expect(linkIn(mail, '/cart-reminders/unsubscribe')).to.equal(url);

    // GET only asks (mail scanners follow links).
    const page = await supertest(w.t.app).get(pathOf(url)).expect(200);
    expect(page.text).to.contain('Stop cart reminders');
    expect(await w.t.db('cart_reminder_opt_outs').where({ user_id: s.user.id })).to.have.length(0);

    // A forged token changes nothing.
    const forged = url.replace(/token=(\d+)\./, `token=${s.user.id + 1}.`);
    const refused = await supertest(w.t.app).post(pathOf(forged)).type('form').send('List-Unsubscribe=One-Click');
    // 403 here means the app's CSRF check does not skip CART_REMINDER_CSRF_EXEMPT (src/routes/cart-reminders.ts).
    expect(refused.status, 'the one-click path must skip the CSRF check in app.ts').to.equal(400);
    expect(await w.t.db('cart_reminder_opt_outs').where({ user_id: s.user.id })).to.have.length(0);

    // RFC 8058: the mail provider posts List-Unsubscribe=One-Click, with no session and no CSRF token.
    const res = await supertest(w.t.app).post(pathOf(url)).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(res.text).to.contain('Cart reminders are off');
    expect(res.headers['set-cookie']).to.equal(undefined);
    expect(await w.t.db('cart_reminder_opt_outs').where({ user_id: s.user.id }).first()).to.include({ source: 'one-click' });
    // Twice is fine.
    await supertest(w.t.app).post(pathOf(url)).type('form').send('List-Unsubscribe=One-Click').expect(200);

    advance(24 * HOUR);
    await run();
    expect(await remindersOf(s.user.id)).to.have.length(1);
    const again = await supertest(w.t.app).get(pathOf(url)).expect(200);
    expect(again.text).to.contain('already off');
  });

  it('the page button turns them off and back on', async () => {
    const s = await w.shopperWithCart();
    const url = w.t.deps.services.cartReminders.unsubscribeUrl(s.user.id);
    const browser = w.t.agent();
    const page = await browser.get(pathOf(url)).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const off = await browser.post(pathOf(url)).type('form').send({ _csrf: csrf }).expect(200);
    expect(off.text).to.contain('Turn reminders back on');
    expect(await w.t.db('cart_reminder_opt_outs').where({ user_id: s.user.id }).first()).to.include({ source: 'unsubscribe-page' });
    // Without the token the button is refused (403) and nothing changes.
    await browser.post(pathOf(url).replace('unsubscribe', 'resubscribe')).type('form').send({}).expect(403);
    const csrf2 = /name="_csrf" value="([^"]+)"/.exec(off.text)![1]!;
    const on = await browser.post(pathOf(url).replace('unsubscribe', 'resubscribe')).type('form').send({ _csrf: csrf2 }).expect(200);
    expect(on.text).to.contain('Cart reminders are on again');
    expect(await w.t.db('cart_reminder_opt_outs').where({ user_id: s.user.id })).to.have.length(0);
    await supertest(w.t.app).get('/cart-reminders/unsubscribe?token=nonsense').expect(400);
  });

  it('the return link leads to sign-in when signed out (never signing in) and to the cart when signed in, and records the click', async () => {
    const s = await w.shopperWithCart();
    advance(61 * MINUTE);
    await run();
    const mail = await reminderMail(s.user.email);
    const link = pathOf(linkIn(mail, '/cart/return/'));

    const guest = w.t.agent();
    const out = await guest.get(link).expect(303);
    expect(out.headers.location).to.equal('/login?next=%2Fcart');
    await guest.get('/api/auth/me').expect(401);
    const [clicked] = await remindersOf(s.user.id);
    expect(new Date(clicked.clicked_at as Date).getTime()).to.equal(w.t.clock.now().getTime());

    advance(MINUTE);
    const inside = await s.agent.get(link).expect(303);
    expect(inside.headers.location).to.equal('/cart');
    await s.agent.get('/cart').expect(200);
    // The first click's time is kept.
    const [same] = await remindersOf(s.user.id);
    expect(new Date(same.clicked_at as Date).getTime()).to.equal(new Date(clicked.clicked_at as Date).getTime());

    // A tampered link: 400, nothing recorded.
    const other = await w.shopperWithCart();
    advance(61 * MINUTE);
    await run();
    const [theirs] = await remindersOf(other.user.id);
    const forged = link.replace(/\/(\d+)\./, `/${theirs.id}.`);
    await w.t.agent().get(forged).expect(400);
    await w.t.agent().get('/cart/return/not-a-token').expect(400);
    expect((await remindersOf(other.user.id))[0].clicked_at).to.equal(null);
  });

  it('two concurrent job runs send one email', async () => {
    const s = await w.shopperWithCart();
    advance(61 * MINUTE);
    const results = await Promise.all([run(), run(), run()]);
    expect(await remindersOf(s.user.id)).to.have.length(1);
    expect(await queuedTo(s.user.email)).to.have.length(1);
    expect(results.reduce((n, r) => n + r.sent, 0)).to.be.at.least(1);
    await reminderMail(s.user.email);
    await new Promise((r) => setTimeout(r, 200));
    expect(mailsTo(s.user.email)).to.have.length(1);
  });

  it('two schedulers running the send-cart-reminders job at once send one email', async () => {
    const s = await w.shopperWithCart();
    advance(61 * MINUTE);
    const options = { processEvery: 100, lockLifetimeMs: 2000, definitions: [sendCartRemindersJob] };
    // Created and started one after the other: two Agendas setting up their schema at the same
    // instant race in @agendajs/postgres-backend (one never starts). Both then run the job at once.
    const schedulers: ReturnType<typeof createScheduler>[] = [];
    const done = new Set<string>();
    try {
      for (let i = 0; i < 2; i++) {
        const sc = createScheduler(jobContextOf(w.t.deps), options);
        schedulers.push(sc);
        sc.agenda.on(`complete:${SEND_CART_REMINDERS}`, (job: { attrs: { _id?: unknown } }) => done.add(String(job.attrs._id)));
        await sc.agenda.start();
      }
      const jobs = await Promise.all(schedulers.map((sc) => sc.agenda.now(SEND_CART_REMINDERS)));
      const deadline = Date.now() + 10_000;
      while (!jobs.every((j) => done.has(String(j.attrs._id)))) {
        if (Date.now() > deadline) throw new Error('the jobs did not both run within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await Promise.all(schedulers.map((sc) => sc.stop(2000)));
    }
    expect(await remindersOf(s.user.id)).to.have.length(1);
    expect(await queuedTo(s.user.email)).to.have.length(1);
  });

  it('the second reminder offers the configured live coupon, and its link applies it', async () => {
    const now = w.t.clock.now().getTime();
    // The code covers one product only, so the earlier tests' carts (without it) are not offered it.
    const special = await makeProduct(w.t.db, { title: 'Font Bundle', price_paise: 100_000 });
    const [offer] = await w.t.db('offers').insert({ name: 'Come back 10%', kind: 'coupon', code: 'COMEBACK10', discount_type: 'percent', amount: 10, scope: 'products', starts_at: new Date(now - HOUR), ends_at: new Date(now + 30 * 24 * HOUR) }).returning('id');
    await w.t.db('offer_products').insert({ offer_id: (offer as { id: number }).id, product_id: special.id });
    const deps = w.t.deps;
    const withCoupon = (code: string) =>
      createCartReminderService({
        db: deps.db,
        reminders: deps.models.cartReminders,
        cart: deps.services.cart,
        deals: deps.services.deals,
        mail: deps.mail,
        clock: deps.clock,
        logger: deps.logger,
        settings: { baseUrl: deps.config.baseUrl, storeName: deps.config.storeName, dataKeys: deps.config.dataKeys, firstMinutes: 60, secondHours: 24, couponCode: code },
      });
    deps.services.deals.clearCache();

    const s = await w.shopperWithCart([special.id]);
    const plain = await w.shopperWithCart([w.products[1]!.id]);
    advance(61 * MINUTE);
    await withCoupon('COMEBACK10').run();
    expect((await remindersOf(s.user.id))[0]).to.include({ step: 1, coupon_code: null });
    advance(24 * HOUR);
    await withCoupon('COMEBACK10').run();
    const rows = await remindersOf(s.user.id);
    expect(rows[1]).to.include({ step: 2, coupon_code: 'COMEBACK10' });
    // A cart the code does not apply to is not offered it.
    expect((await remindersOf(plain.user.id))[1]).to.include({ step: 2, coupon_code: null });

    const mail = await reminderMail(s.user.email, 2);
    expect(mail.subject).to.equal('Your cart is saved, and code COMEBACK10 takes ₹100 off');
    expect(mail.text).to.contain('Use code COMEBACK10 (Come back 10%) and save ₹100: your total becomes ₹900.');
    expect(mail.html).to.contain('data-coupon');

    expect((await s.agent.get('/api/cart').expect(200)).body.coupon).to.equal(undefined);
    await s.agent.get(pathOf(linkIn(mail, '/cart/return/'))).expect(303);
    const cart = (await s.agent.get('/api/cart').expect(200)).body as { coupon?: { code: string; applied: boolean }; total: number };
    expect(cart.coupon).to.include({ code: 'COMEBACK10', applied: true });
    expect(cart.total).to.equal(90_000);

    // A code that is not live is never offered.
    const late = await w.shopperWithCart([special.id]);
    advance(61 * MINUTE);
    await withCoupon('NOSUCHCODE').run();
    advance(24 * HOUR);
    await withCoupon('NOSUCHCODE').run();
    expect((await remindersOf(late.user.id)).map((r) => r.coupon_code)).to.deep.equal([null, null]);
  });
});
