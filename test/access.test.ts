import { expect } from 'chai';
import { createTestContext, type TestContext } from './support/context.js';
import { apiLogin, makeUser } from './support/accounts.js';

describe('access control', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
  });
  after(() => t.close());

  async function signedIn(role: 'user' | 'admin') {
    const user = await makeUser(t.db, { role });
    const agent = t.agent();
    const res = await apiLogin(agent, user.email, user.password);
    expect(res.status).to.equal(200);
    return { user, agent, csrfToken: res.body.csrfToken as string };
  }

  it('admin pages: anonymous and plain users are sent to sign in, admins get in', async () => {
    const anon = await t.agent().get('/admin').expect(303);
    expect(anon.headers.location).to.equal('/login?next=%2Fadmin');
    const { agent: userAgent } = await signedIn('user');
    const asUser = await userAgent.get('/admin').expect(303);
    expect(asUser.headers.location).to.equal('/login?next=%2Fadmin');
    const { agent: adminAgent } = await signedIn('admin');
    const page = await adminAgent.get('/admin').expect(200);
    expect(page.text).to.include('<h1>Overview</h1>').and.include('data-figure="revenue"');
    expect(page.headers['cache-control']).to.equal('no-store');
  });

  it('admin APIs: 401 anonymous, 403 user, 200 admin with the overview', async () => {
    await t.agent().get('/api/admin/analytics/overview').expect(401);
    const { agent: userAgent } = await signedIn('user');
    const forbidden = await userAgent.get('/api/admin/analytics/overview').expect(403);
    expect(forbidden.body.error.code).to.equal('FORBIDDEN');
    const { agent: adminAgent } = await signedIn('admin');
    const ok = await adminAgent.get('/api/admin/analytics/overview').expect(200);
    expect(ok.body.figures.map((f: { key: string }) => f.key)).to.include.members(['revenue', 'orders', 'failedPayments']);
    expect(ok.body.range.preset).to.equal('30d');
  });

  it('account pages and APIs need a signed-in user', async () => {
    const page = await t.agent().get('/account').expect(303);
    expect(page.headers.location).to.equal('/login?next=%2Faccount');
    await t.agent().get('/api/auth/me').expect(401);
    await t.agent().get('/api/auth/sessions').expect(401);
    const { agent, user } = await signedIn('user');
    const account = await agent.get('/account').expect(200);
    expect(account.text).to.include(user.email);
    expect(account.headers['cache-control']).to.equal('no-store');
  });

  it('ends a session after its absolute lifetime even if it stays active', async () => {
    const { agent } = await signedIn('user');
    await agent.get('/api/auth/me').expect(200);
    t.clock.advance(30 * 24 * 3600_000 + 60_000);
    try {
      await agent.get('/api/auth/me').expect(401);
    } finally {
      t.clock.advance(-(30 * 24 * 3600_000 + 60_000));
    }
  });

  it('past the absolute lifetime a page renders signed out (not a 500), and the old session row is gone (issue 8, item 10)', async () => {
    const { agent, user } = await signedIn('user');
    const rows = async () => (await t.db('session').where({ user_id: user.id })).length;
    expect(await rows()).to.equal(1);
    t.clock.advance(30 * 24 * 3600_000 + 60_000);
    try {
      const home = await agent.get('/').expect(200);
      expect(home.headers['content-type']).to.match(/^text\/html/);
      expect(home.text).to.include('href="/login"').and.not.include('data-account-link');
      expect(await rows()).to.equal(0);
      // Pages with forms still get their token, and /account sends the shopper to sign in.
      const login = await agent.get('/login').expect(200);
      expect(login.text).to.match(/name="_csrf" value="[^"]+"/);
      const account = await agent.get('/account').expect(303);
      expect(account.headers.location).to.equal('/login?next=%2Faccount');
    } finally {
      t.clock.advance(-(30 * 24 * 3600_000 + 60_000));
    }
  });

  it('lists sessions and signs out the others', async () => {
    const { user, agent, csrfToken } = await signedIn('user');
    const other = t.agent();
    await apiLogin(other, user.email, user.password);
    const list = await agent.get('/api/auth/sessions').expect(200);
    expect(list.body.sessions).to.have.length(2);
    expect(list.body.sessions.filter((s: { current: boolean }) => s.current)).to.have.length(1);
    const revoke = await agent.post('/api/auth/sessions/revoke-others').set('X-CSRF-Token', csrfToken).send({}).expect(200);
    expect(revoke.body.removed).to.equal(1);
    await other.get('/api/auth/me').expect(401);
    await agent.get('/api/auth/me').expect(200);
  });

  describe('with REQUIRE_ADMIN_2FA', () => {
    let strict: TestContext;
    before(async () => {
      strict = await createTestContext({ REQUIRE_ADMIN_2FA: 'true' });
    });
    after(() => strict.close());

    it('sends an admin without a second factor to set one up, then lets them in', async () => {
      const admin = await makeUser(strict.db, { role: 'admin' });
      const agent = strict.agent();
      const login = await apiLogin(agent, admin.email, admin.password);
      const api = await agent.get('/api/admin/analytics/overview').expect(403);
      expect(api.body.error.code).to.equal('TWO_FACTOR_REQUIRED');
      const page = await agent.get('/admin').expect(303);
      expect(page.headers.location).to.equal('/account#two-factor');
      const on = await agent.post('/api/auth/2fa/email/enable').set('X-CSRF-Token', login.body.csrfToken).send({ password: admin.password }).expect(200);
      expect(on.body.recoveryCodes).to.have.length(10);
      await agent.get('/api/admin/analytics/overview').expect(200);
    });
  });
});

describe('session expiry', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
  });
  after(() => t.close());

  it('pushes the idle expiry forward at most once a minute per session', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    await apiLogin(agent, user.email, user.password);
    // A marker expiry far in the future: a touch overwrites it with the cookie's expiry, so
    // whether it survives shows whether a write happened (no waiting on the real clock).
    const marker = new Date('2100-01-01T00:00:00Z');
    const mark = () => t.db('session').where({ user_id: user.id }).update({ expire: marker });
    const expireOf = async () => ((await t.db('session').where({ user_id: user.id }).first()) as { expire: Date }).expire.getTime();
    await agent.get('/api/auth/me').expect(200);
    await mark();
    t.clock.advance(30_000);
    await agent.get('/api/auth/me').expect(200);
    expect(await expireOf(), 'no write within the minute').to.equal(marker.getTime());
    t.clock.advance(60_000);
    await agent.get('/api/auth/me').expect(200);
    expect(await expireOf(), 'moved after a minute').not.to.equal(marker.getTime());
  });
});
