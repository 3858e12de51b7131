import { expect } from 'chai';
import { sendAdminDigestJob } from '../jobs/send-admin-digest.js';
import { createScheduler, jobContextOf } from '../src/scheduler.js';
import { apiLogin, makeUser } from './support/accounts.js';
import type { TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';
import { mailTo, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

/**
 * The admins' daily digest (issue 13, item 7): yesterday (Mon 23 Nov, India time) against the day
 * before and Monday 16 Nov, sent once after 08:00 IST even when two workers run it at once, never
 * to an admin who turned it off.
 */
describe('admin digest: the morning email', function () {
  this.timeout(60_000);
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  let wants: { id: number; email: string; password: string };
  let optedOut: { id: number; email: string };
  let disabled: { id: number; email: string };
  const at = (iso: string) => new Date(iso);
  const digests = () => mailbox.messages.filter((m) => m.subject?.includes(' on '));

  before(async () => {
    ({ t, mailbox } = env);
    wants = await makeUser(t.db, { role: 'admin', name: 'Kavya' });
    optedOut = await makeUser(t.db, { role: 'admin' });
    await t.db('users').where({ id: optedOut.id }).update({ admin_digest_opt_out: true });
    disabled = await makeUser(t.db, { role: 'admin' }); // a departed admin, disabled but still an admin
    await t.db('users').where({ id: disabled.id }).update({ disabled_at: new Date() });
    await makeUser(t.db); // a shopper: never gets it
    const font = await makeProduct(t.db, { title: 'Digest Font', price_paise: 50_000 });
    const buyer = await makeUser(t.db);
    const paid = async (paidAt: string, total: number) => {
      const [o] = await t.db('orders').insert({ user_id: buyer.id, status: 'paid', subtotal_paise: total, total_paise: total, paid_at: at(paidAt), created_at: at(paidAt) }).returning('id');
      await t.db('order_items').insert({ order_id: (o as { id: number }).id, product_id: font.id, title: 'Digest Font', unit_price_paise: total, sale_price_paise: total, quantity: 1, line_total_paise: total, license_type: 'personal' });
    };
    await paid('2026-11-23T05:00:00Z', 50_000); // Mon 23 Nov
    await paid('2026-11-23T06:00:00Z', 30_000);
    await paid('2026-11-22T06:00:00Z', 40_000); // Sun 22 Nov
    await paid('2026-11-16T06:00:00Z', 80_000); // Mon 16 Nov
    await t.db('cart_events').insert({ anonymous_id: 'guest-digest01', product_id: font.id, action: 'add', created_at: at('2026-11-22T20:00:00Z') });
    await t.db('testimonials').insert({ name: 'Ria', quote: 'Lovely fonts, would buy again.', rating: 5, status: 'pending' });
  });

  it('waits for 08:00 India time', async () => {
    t.clock.set(at('2026-11-24T02:29:00Z')); // 07:59 IST
    expect(await t.deps.services.adminDigest.sendDue()).to.equal(0);
    expect(await t.db('admin_digests')).to.have.length(0);
  });

  it('two workers at once send it once, to the admins who want it, with the figures compared', async () => {
    t.clock.set(at('2026-11-24T02:31:00Z')); // 08:01 IST
    const sent = await Promise.all([t.deps.services.adminDigest.sendDue(), t.deps.services.adminDigest.sendDue()]);
    expect(sent.sort()).to.deep.equal([0, 1]);
    const mail = await mailbox.waitFor(mailTo(wants.email));
    await new Promise((r) => setTimeout(r, 300));
    expect(digests()).to.have.length(1);
    expect(mailbox.to(optedOut.email)).to.have.length(0);
    expect(mailbox.to(disabled.email)).to.have.length(0);
    expect(mail.subject).to.equal('Pixel Bazaar on 23 Nov 2026: ₹800 from 2 orders');
    const text = mail.text!;
    // ₹800 against ₹400 the day before (+100%) and ₹800 last Monday (0%).
    expect(text).to.include('Revenue (net of refunds): ₹800 (day before ₹400, ▲ 100%; last week ₹800, ● 0%)');
    expect(text).to.include('Paid orders: 2 (day before 1, ▲ 100%; last week 1, ▲ 100%)');
    expect(text).to.include('Abandoned carts: 1 (day before 0, new; last week 0, new)');
    expect(text).to.include('1. Digest Font: ₹800');
    expect(text).to.include('₹500 was left in abandoned carts');
    expect(text).to.include('Testimonials waiting for review: 1 (http://store.test/admin/testimonials?status=pending)');
    expect(mail.html).to.include('Open the dashboard');
    const [row] = await t.db('admin_digests');
    expect(row).to.include({ recipients: 1 });
    expect(row.sent_at).to.be.instanceOf(Date);
    // Later the same day: nothing more.
    t.clock.set(at('2026-11-24T12:00:00Z'));
    expect(await t.deps.services.adminDigest.sendDue()).to.equal(0);
  });

  it('the job on two schedulers sends the next day once', async () => {
    t.clock.set(at('2026-11-25T03:00:00Z')); // 25 Nov 08:30 IST: the digest of 24 Nov
    const opts = { processEvery: 100, lockLifetimeMs: 2000, definitions: [sendAdminDigestJob] };
    // One after the other: two Agendas set up their schema as they are created, and two at the
    // same instant race (one never starts). Both are running before the job's first run ends.
    const a = createScheduler(jobContextOf(t.deps), opts);
    await a.start();
    const b = createScheduler(jobContextOf(t.deps), opts);
    await b.start();
    try {
      const deadline = Date.now() + 20_000;
      while (!(await t.db('admin_digests').where({ day: '2026-11-24' }).whereNotNull('sent_at').first()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await t.deps.services.adminDigest.sendDue(); // a third try, for good measure
      await mailbox.waitFor((m) => mailTo(wants.email)(m) && (m.subject ?? '').includes('24 Nov 2026'));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await Promise.all([a.stop(2000), b.stop(2000)]);
    }
    expect(digests().filter((m) => m.subject!.includes('24 Nov 2026'))).to.have.length(1);
  });

  it('an admin turns it off and on from the overview; a bad value is a 400', async () => {
    t.clock.set(at('2026-11-24T10:00:00Z'));
    const admin = t.agent();
    const token = (await apiLogin(admin, wants.email, wants.password)).body.csrfToken as string;
    expect((await admin.get('/admin').expect(200)).text).to.match(/data-digest-state>On</);
    await admin.post('/admin/digest').type('form').send({ _csrf: token, wanted: 'off' }).expect(303);
    expect((await t.db('users').where({ id: wants.id }).first()).admin_digest_opt_out).to.equal(true);
    expect((await admin.get('/admin').expect(200)).text).to.match(/data-digest-state>Off</);
    await admin.post('/admin/digest').type('form').send({ _csrf: token, wanted: 'maybe' }).expect(400);
    expect((await t.db('users').where({ id: wants.id }).first()).admin_digest_opt_out).to.equal(true);
    await admin.post('/admin/digest').type('form').send({ _csrf: token, wanted: 'on' }).expect(303);
    expect((await t.db('users').where({ id: wants.id }).first()).admin_digest_opt_out).to.equal(false);
    // Without the CSRF token nothing changes.
    await admin.post('/admin/digest').type('form').send({ wanted: 'off' }).expect(403);
    expect((await t.db('users').where({ id: wants.id }).first()).admin_digest_opt_out).to.equal(false);
  });
});
