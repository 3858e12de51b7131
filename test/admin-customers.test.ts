import { expect } from 'chai';
import type supertest from 'supertest';
import { AppError } from '../src/lib/errors.js';
import { apiLogin, makeUser, uniqueEmail } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

type Agent = ReturnType<typeof supertest.agent>;

/** The admin customers module (issue 11, item 11): list, detail, sign-outs, disabling, admins. */
describe('admin customers (issue 11, item 11)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let admin: Agent;
  let token: string;
  let adminUser: Awaited<ReturnType<typeof makeUser>>;

  before(async () => {
    t = await createTestContext();
    adminUser = await makeUser(t.db, { role: 'admin', email: uniqueEmail('boss') });
    admin = t.agent();
    token = (await apiLogin(admin, adminUser.email, adminUser.password)).body.csrfToken as string;
  });
  after(async () => {
    await t?.close();
  });

  /** A customer signed in on their own browser. */
  async function signedIn(over: Parameters<typeof makeUser>[1] = {}) {
    const user = await makeUser(t.db, over);
    const agent = t.agent();
    expect((await apiLogin(agent, user.email, user.password)).status).to.equal(200);
    return { user, agent };
  }
  const act = (id: number, action: string, agent = admin, csrf = token) => agent.post(`/api/admin/customers/${id}/${action}`).set('X-CSRF-Token', csrf).send({});
  const sessionsOf = (userId: number) => t.db('session').where({ user_id: userId });
  const auditOf = (userId: number, action: string) => t.db('audit_log').where({ entity_type: 'user', entity_id: userId, action });
  const isSignedIn = async (agent: Agent) => (await agent.get('/api/auth/sessions')).status === 200;

  it('lists and searches by the beginning of an email or name, newest first, with role, verified, 2FA, disabled and orders', async () => {
    const a = await makeUser(t.db, { email: uniqueEmail('kavya'), name: 'Kavya Menon' });
    const b = await makeUser(t.db, { email: uniqueEmail('zubin'), name: 'Kavya Iyer', verified: false });
    await t.db('users').where({ id: b.id }).update({ totp_enabled_at: new Date(), disabled_at: new Date() });
    await t.db('orders').insert([
      { user_id: a.id, status: 'paid', subtotal_paise: 100, total_paise: 100 },
      { user_id: a.id, status: 'refunded', subtotal_paise: 100, total_paise: 100 },
      { user_id: a.id, status: 'failed', subtotal_paise: 100, total_paise: 100 },
    ]);
    const byName = await admin.get('/api/admin/customers').query({ q: 'KAVYA' }).expect(200);
    expect(byName.body.items.map((i: { id: number }) => i.id)).to.deep.equal([b.id, a.id]);
    expect(byName.body.items[0]).to.include({ verified: false, twoFactor: true, disabled: true, role: 'user', orders: 0 });
    expect(byName.body.items[1]).to.include({ verified: true, twoFactor: false, disabled: false, paidOrders: 2, orders: 3 });
    expect(byName.body).to.include({ total: 2, totalCapped: false });
    const byEmail = await admin.get('/api/admin/customers').query({ q: b.email.slice(0, 8).toUpperCase() }).expect(200);
    expect(byEmail.body.items.map((i: { id: number }) => i.id)).to.deep.equal([b.id]);
    // Only the beginning matches, and % is a character.
    expect((await admin.get('/api/admin/customers').query({ q: 'Menon' }).expect(200)).body.items).to.deep.equal([]);
    expect((await admin.get('/api/admin/customers').query({ q: '%' }).expect(200)).body.items).to.deep.equal([]);
    await admin.get('/api/admin/customers').query({ sort: 'name' }).expect(400);

    const page = await admin.get('/admin/customers').query({ q: 'kavya' }).expect(200);
    expect(page.text).to.include(`data-customer-id="${b.id}"`).and.include(`data-customer-id="${a.id}"`).and.include('data-disabled').and.include('Not verified').and.include('(3 tried)');
    const all = await admin.get('/admin/customers').expect(200);
    expect(all.text.indexOf(`data-customer-id="${b.id}"`)).to.be.lessThan(all.text.indexOf(`data-customer-id="${a.id}"`));
  });

  it('the customer page shows the profile, orders, sign-ins (new device flagged), failed sign-ins, downloads and history', async () => {
    const { user } = await signedIn({ email: uniqueEmail('detail'), name: 'Ravi Shah' });
    // A wrong password, then a sign-in from a phone.
    expect((await apiLogin(t.agent(), user.email, 'not the password')).status).to.equal(401);
    expect((await apiLogin(t.agent(), user.email, user.password, { 'User-Agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36' })).status).to.equal(200);
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 49_900, total_paise: 49_900 }).returning('id');
    const product = await makeProduct(t.db, { title: 'Sitar Samples', price_paise: 49_900 });
    await t.db('entitlements').insert({ user_id: user.id, order_id: order.id, product_id: product.id, max_downloads: 5, download_count: 2 });

    const page = await admin.get(`/admin/customers/${user.id}`).expect(200);
    expect(page.text).to.include('Ravi Shah').and.include(`href="/admin/orders/${order.id}"`).and.include('₹499');
    expect(page.text).to.include('data-sign-ins').and.include('New device').and.include('data-failed-sign-ins').and.include('bad password');
    expect(page.text).to.include('Sitar Samples').and.include('2 of 5');
    const api = await admin.get(`/api/admin/customers/${user.id}`).expect(200);
    expect(api.body.customer).to.include({ email: user.email, role: 'user', twoFactor: false, disabledAt: null });
    expect(api.body.customer).not.to.have.property('password_hash');
    expect(api.body.signIns).to.have.length(2);
    expect(api.body.signIns.map((s: { newDevice: boolean }) => s.newDevice)).to.deep.equal([true, true]); // first ever, then a phone
    expect(api.body.failedSignIns.map((f: { reason: string }) => f.reason)).to.deep.equal(['bad_password']);
    expect(api.body.sessions).to.equal(2);
    await admin.get('/admin/customers/99999999').expect(404);
    await admin.get('/admin/customers/x').expect(404);
    await admin.get(`/admin/customers/${user.id}/explode`).expect(404);
  });

  it('signs a customer out everywhere: their session rows are deleted, audited', async () => {
    const { user, agent } = await signedIn();
    const second = t.agent();
    expect((await apiLogin(second, user.email, user.password)).status).to.equal(200);
    expect(await sessionsOf(user.id)).to.have.length(2);
    const confirm = await admin.get(`/admin/customers/${user.id}/sign-out`).expect(200);
    expect(confirm.text).to.include('Sign this customer out everywhere?').and.include(user.email).and.include(`action="/admin/customers/${user.id}/sign-out"`);
    await admin.post(`/admin/customers/${user.id}/sign-out`).type('form').send({ _csrf: token }).expect(303);
    expect(await sessionsOf(user.id)).to.have.length(0);
    expect(await isSignedIn(agent)).to.equal(false);
    expect(await isSignedIn(second)).to.equal(false);
    const [entry] = await auditOf(user.id, 'user.sign-out-everywhere');
    expect(entry.summary).to.include('2 sessions ended');
    expect(await isSignedIn(admin)).to.equal(true);
  });

  it('disable ends their sessions at once and refuses sign-in (403); enable lets them back', async () => {
    const { user, agent } = await signedIn();
    expect(await isSignedIn(agent)).to.equal(true);
    const res = await admin.post(`/admin/customers/${user.id}/disable`).type('form').send({ _csrf: token }).expect(303);
    expect(res.headers.location).to.equal(`/admin/customers/${user.id}`);
    const row = await t.db('users').where({ id: user.id }).first();
    expect(row.disabled_at).to.be.instanceOf(Date);
    expect(await sessionsOf(user.id)).to.have.length(0);
    expect(await isSignedIn(agent)).to.equal(false);
    const refused = await apiLogin(t.agent(), user.email, user.password);
    expect(refused.status).to.equal(403);
    expect(refused.body.error).to.deep.equal({ code: 'ACCOUNT_DISABLED', message: 'This account is disabled. Contact support.' });
    // The sign-in page says so too, and a wrong password still just says wrong.
    expect((await apiLogin(t.agent(), user.email, 'wrong password here')).status).to.equal(401);
    const [entry] = await auditOf(user.id, 'user.disable');
    expect(entry.changes.disabled_at[0]).to.equal(null);
    const page = await admin.get(`/admin/customers/${user.id}`).expect(200);
    expect(page.text).to.include('data-disabled').and.include('Enable the account');

    await act(user.id, 'enable').expect(200);
    expect((await t.db('users').where({ id: user.id }).first()).disabled_at).to.equal(null);
    const back = t.agent();
    expect((await apiLogin(back, user.email, user.password)).status).to.equal(200);
    expect(await isSignedIn(back)).to.equal(true);
    expect(await auditOf(user.id, 'user.enable')).to.have.length(1);
  });

  it('a session of an account disabled behind its back runs signed out', async () => {
    const { user, agent } = await signedIn();
    await t.db('users').where({ id: user.id }).update({ disabled_at: new Date() });
    expect(await sessionsOf(user.id)).to.have.length(1);
    expect(await isSignedIn(agent)).to.equal(false);
    // A page renders for a guest: no account menu.
    expect((await agent.get('/account')).status).to.equal(303);
  });

  it('makes and removes admins, audited; the new admin gets the admin area', async () => {
    const { user, agent } = await signedIn();
    await agent.get('/api/admin/customers').expect(403);
    const confirm = await admin.get(`/admin/customers/${user.id}/make-admin`).expect(200);
    expect(confirm.text).to.include('Make this customer an admin?').and.include(user.email);
    await admin.post(`/admin/customers/${user.id}/make-admin`).type('form').send({ _csrf: token }).expect(303);
    expect((await t.db('users').where({ id: user.id }).first()).role).to.equal('admin');
    await agent.get('/api/admin/customers').expect(200);
    expect((await auditOf(user.id, 'user.make-admin'))[0].changes.role).to.deep.equal(['user', 'admin']);

    const removed = await act(user.id, 'remove-admin').expect(200);
    expect(removed.body.customer.role).to.equal('user');
    await agent.get('/api/admin/customers').expect(403);
    expect(await auditOf(user.id, 'user.remove-admin')).to.have.length(1);
  });

  it('an admin cannot disable, demote or sign out their own account', async () => {
    for (const action of ['disable', 'remove-admin', 'sign-out']) {
      const res = await act(adminUser.id, action).expect(403);
      expect(res.body.error.code).to.equal('NOT_YOURSELF');
    }
    const me = await t.db('users').where({ id: adminUser.id }).first();
    expect(me).to.include({ role: 'admin', disabled_at: null });
    expect(await isSignedIn(admin)).to.equal(true);
    const page = await admin.get(`/admin/customers/${adminUser.id}`).expect(200);
    expect(page.text).to.include('This is your own account').and.not.include(`/admin/customers/${adminUser.id}/disable"`);
  });

  it('never removes or disables the last enabled admin, even when two admins demote each other at once', async () => {
    // Only the store's admin rows count: leave exactly two enabled admins, A and B.
    await t.db('users').where({ role: 'admin' }).whereNot({ id: adminUser.id }).update({ role: 'user' });
    const b = await signedIn({ role: 'admin' });
    const bToken = (await b.agent.get('/api/auth/csrf').expect(200)).body.csrfToken as string;
    const results = await Promise.all([act(b.user.id, 'remove-admin'), act(adminUser.id, 'remove-admin', b.agent, bToken)]);
    const admins = await t.db('users').where({ role: 'admin' }).whereNull('disabled_at').pluck('id');
    expect(admins).to.have.length(1);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).to.equal(200);
    // The loser is refused: as the last admin (409) if both got in, or as no longer an admin (403).
    expect([403, 409]).to.include(statuses[1]);

    // The service refuses it outright when the target is the only enabled admin left.
    const [only] = admins as number[];
    const outsider = { id: b.user.id === only ? adminUser.id : b.user.id, email: 'other@example.test', ip: null };
    for (const attempt of [() => t.deps.services.customerAdmin.removeAdmin(only!, outsider), () => t.deps.services.customerAdmin.disable(only!, outsider)]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(AppError);
      expect((err as AppError).code).to.equal('LAST_ADMIN');
    }
    expect(await t.db('users').where({ id: only }).first()).to.include({ role: 'admin', disabled_at: null });
    // Put things back for anyone after.
    await t.db('users').where({ id: adminUser.id }).update({ role: 'admin' });
  });

  it('a demotion waits for one in progress and then sees it (the admin rows are locked)', async () => {
    await t.db('users').where({ role: 'admin' }).whereNot({ id: adminUser.id }).update({ role: 'user' });
    const b = await makeUser(t.db, { role: 'admin' });
    const third = await makeUser(t.db);
    const outsider = { id: third.id, email: third.email, ip: null };
    // Another admin's demotion of adminUser, holding the same locks, not yet committed.
    const other = await t.db.transaction();
    await other('users').where({ role: 'admin' }).whereNull('disabled_at').orderBy('id').forUpdate().pluck('id');
    const demoteB = t.deps.services.customerAdmin.removeAdmin(b.id, outsider).then(
      () => 'done',
      (e: unknown) => (e as AppError).code,
    );
    // Wait until it is queued behind those locks.
    for (let i = 0; i < 100; i++) {
      const waiting = await t.db.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
      if (waiting.rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await other('users').where({ id: adminUser.id }).update({ role: 'user' });
    await other.commit();
    expect(await demoteB).to.equal('LAST_ADMIN');
    expect((await t.db('users').where({ id: b.id }).first()).role).to.equal('admin');
    await t.db('users').where({ id: adminUser.id }).update({ role: 'admin' });
  });
});
