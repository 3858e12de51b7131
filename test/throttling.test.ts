import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { createTestContext, type TestContext } from './support/context.js';
import { apiLogin, csrf, makeUser } from './support/accounts.js';

describe('accounts: throttling', () => {
  let t: TestContext;
  // One trusted proxy hop, so X-Forwarded-For sets the client IP, as behind a PaaS router.
  before(async () => {
    t = await createTestContext({ TRUST_PROXY: '1' });
  });
  after(() => t.close());

  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  it('blocks an account from one IP after 10 failures, while its owner elsewhere still gets in', async () => {
    const user = await makeUser(t.db);
    const attacker = t.agent();
    for (let i = 0; i < 10; i++) {
      const res = await apiLogin(attacker, user.email, `guess number ${i}`, from('203.0.113.7'));
      expect(res.status, `attempt ${i + 1}`).to.equal(401);
    }
    // Each failure is on record, without the password.
    const failures = await t.db('login_failures').where({ user_id: user.id });
    expect(failures).to.have.length(10);
    expect(failures.every((f: Record<string, unknown>) => f.ip === '203.0.113.7' && f.reason === 'bad_password' && !JSON.stringify(f).includes('guess number'))).to.equal(true);
    const blocked = await apiLogin(attacker, user.email, user.password, from('203.0.113.7'));
    expect(blocked.status).to.equal(429);
    expect(Number(blocked.headers['retry-after'])).to.be.within(1, 15 * 60);
    expect(blocked.body.error.code).to.equal('TOO_MANY_REQUESTS');

    const owner = await apiLogin(t.agent(), user.email, user.password, from('198.51.100.20'));
    expect(owner.status).to.equal(200);
    expect(owner.body.user.email).to.equal(user.email);
    expect(await t.db('login_events').where({ user_id: user.id }).pluck('ip')).to.deep.equal(['198.51.100.20']);
  });

  it('a success resets the consecutive-failure count', async () => {
    const user = await makeUser(t.db);
    const ip = from('203.0.113.8');
    for (let i = 0; i < 9; i++) expect((await apiLogin(t.agent(), user.email, 'wrong guess!!', ip)).status).to.equal(401);
    expect((await apiLogin(t.agent(), user.email, user.password, ip)).status).to.equal(200);
    for (let i = 0; i < 9; i++) expect((await apiLogin(t.agent(), user.email, 'wrong guess!!', ip)).status).to.equal(401);
    expect((await apiLogin(t.agent(), user.email, user.password, ip)).status).to.equal(200);
    // The success cleared the account's counter for this IP.
    expect(await t.db('rate_limits').where({ key: `login_acct_ip:${user.email}|203.0.113.8` })).to.have.length(0);
  });

  it('limits reset emails per address and per IP, with the same 429 for unknown addresses', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const token = await csrf(agent);
    const forgot = (email: string, ip: string) => agent.post('/api/auth/password/forgot').set('X-CSRF-Token', token).set(from(ip)).send({ email });
    for (let i = 0; i < 3; i++) expect((await forgot(user.email, '203.0.113.9')).status).to.equal(202);
    expect((await forgot(user.email, '203.0.113.10')).status).to.equal(429);
    expect(await t.db('user_tokens').where({ user_id: user.id, purpose: 'reset_password' })).to.have.length(3);
    for (let i = 0; i < 3; i++) expect((await forgot('nobody@example.test', '203.0.113.11')).status).to.equal(202);
    expect((await forgot('nobody@example.test', '203.0.113.11')).status).to.equal(429);
  });

  it('limits verification resends per address', async () => {
    const user = await makeUser(t.db, { verified: false });
    const agent = t.agent();
    const token = await csrf(agent);
    for (let i = 0; i < 3; i++) await agent.post('/api/auth/resend-verification').set('X-CSRF-Token', token).set(from('203.0.113.12')).send({ email: user.email }).expect(202);
    await agent.post('/api/auth/resend-verification').set('X-CSRF-Token', token).set(from('203.0.113.13')).send({ email: user.email }).expect(429);
    expect(await t.db('user_tokens').where({ user_id: user.id, purpose: 'verify_email' })).to.have.length(3);
  });

  it('stores counters in PostgreSQL so every web process shares them', async () => {
    const user = await makeUser(t.db);
    expect((await apiLogin(t.agent(), user.email, 'one wrong guess', from('203.0.113.14'))).status).to.equal(401);
    const row = await t.db('rate_limits').where({ key: `login_acct_ip:${user.email}|203.0.113.14` }).first();
    expect(row.points).to.equal(1);
    // A second app (another web process) on the same database sees and adds to the same count.
    const other = createApp(t.deps);
    expect((await apiLogin(supertest.agent(other), user.email, 'another wrong guess', from('203.0.113.14'))).status).to.equal(401);
    expect((await t.db('rate_limits').where({ key: row.key }).first()).points).to.equal(2);
  });
});
