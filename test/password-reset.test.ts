import { expect } from 'chai';
import type { TestContext } from './support/context.js';
import { apiLogin, csrf, makeUser, uniqueEmail } from './support/accounts.js';
import { mailTo, tokenIn, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

describe('accounts: password reset and change', () => {
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  before(() => ({ t, mailbox } = env));

  async function requestReset(email: string) {
    const agent = t.agent();
    const token = await csrf(agent);
    const res = await agent.post('/api/auth/password/forgot').set('X-CSRF-Token', token).send({ email });
    return { agent, token, res };
  }

  it('emails a single-use reset link, signs out every session, and does not sign in', async () => {
    const user = await makeUser(t.db);
    const elsewhere = t.agent();
    expect((await apiLogin(elsewhere, user.email, user.password)).status).to.equal(200);

    const { agent, token, res } = await requestReset(user.email);
    expect(res.status).to.equal(202);
    const mail = await mailbox.waitFor((m) => mailTo(user.email)(m) && /Reset your/.test(m.subject ?? ''));
    const resetToken = tokenIn(mail, 'http://store.test/reset-password?token=');

    const done = await agent.post('/api/auth/password/reset').set('X-CSRF-Token', token).send({ token: resetToken, password: 'a brand new passphrase' });
    expect(done.status).to.equal(200);
    await agent.get('/api/auth/me').expect(401); // not signed in by the reset
    await elsewhere.get('/api/auth/me').expect(401); // the other session is gone
    expect(await t.db('session').where({ user_id: user.id })).to.have.length(0);

    expect((await apiLogin(t.agent(), user.email, user.password)).status).to.equal(401);
    expect((await apiLogin(t.agent(), user.email, 'a brand new passphrase')).status).to.equal(200);

    const reuse = await agent.post('/api/auth/password/reset').set('X-CSRF-Token', token).send({ token: resetToken, password: 'yet another passphrase' }).expect(400);
    expect(reuse.body.error.code).to.equal('INVALID_TOKEN');
    await mailbox.waitFor((m) => mailTo(user.email)(m) && /password was changed/.test(m.subject ?? ''));
  });

  it('answers the same for unknown emails and sends nothing', async () => {
    const user = await makeUser(t.db);
    const known = await requestReset(user.email);
    const ghost = uniqueEmail('ghost');
    const unknown = await requestReset(ghost);
    expect(unknown.res.status).to.equal(known.res.status).and.equal(202);
    expect(unknown.res.body).to.deep.equal(known.res.body);
    await mailbox.waitFor(mailTo(user.email));
    // Nothing was even queued for the unknown address (so nothing can arrive later either).
    expect(await t.db('email_outbox').where({ to_address: ghost })).to.have.length(0);
    expect(await t.db('user_tokens as k').join('users as u', 'u.id', 'k.user_id').where('u.email', ghost)).to.have.length(0);
    expect(mailbox.to(ghost)).to.have.length(0);
  });

  it('expires reset links after one hour and voids older links when a new one is sent', async () => {
    const user = await makeUser(t.db);
    const first = await requestReset(user.email);
    const firstToken = tokenIn(await mailbox.waitFor(mailTo(user.email)), '/reset-password');
    const second = await requestReset(user.email);
    await mailbox.waitFor((m) => mailTo(user.email)(m) && tokenIn(m, '/reset-password') !== firstToken);
    const secondToken = tokenIn(mailbox.to(user.email).at(-1)!, '/reset-password');

    const old = await first.agent.post('/api/auth/password/reset').set('X-CSRF-Token', first.token).send({ token: firstToken, password: 'first try passphrase' });
    expect(old.status).to.equal(400);

    t.clock.advance(61 * 60_000);
    try {
      const late = await second.agent.post('/api/auth/password/reset').set('X-CSRF-Token', second.token).send({ token: secondToken, password: 'too late passphrase' });
      expect(late.status).to.equal(400);
      expect(late.body.error.code).to.equal('INVALID_TOKEN');
    } finally {
      t.clock.advance(-61 * 60_000);
    }
    expect((await apiLogin(t.agent(), user.email, user.password)).status).to.equal(200); // unchanged
  });

  it('checks the new password against the same rules', async () => {
    const user = await makeUser(t.db);
    const r = await requestReset(user.email);
    const token = tokenIn(await mailbox.waitFor(mailTo(user.email)), '/reset-password');
    const weak = await r.agent.post('/api/auth/password/reset').set('X-CSRF-Token', r.token).send({ token, password: 'password1' }).expect(400);
    expect(weak.body.error.fields.password).to.match(/too common/);
    // The refused attempt did not use up the link.
    await r.agent.post('/api/auth/password/reset').set('X-CSRF-Token', r.token).send({ token, password: 'a fine long passphrase' }).expect(200);
  });

  it('changing the password needs the current one, keeps this session and ends the others', async () => {
    const user = await makeUser(t.db);
    const here = t.agent();
    const other = t.agent();
    const login = await apiLogin(here, user.email, user.password);
    await apiLogin(other, user.email, user.password);
    const before = (await t.db('session').where({ user_id: user.id })).length;
    expect(before).to.equal(2);

    const wrong = await here.post('/api/auth/password/change').set('X-CSRF-Token', login.body.csrfToken).send({ currentPassword: 'nope nope nope', newPassword: 'my changed passphrase' }).expect(400);
    expect(wrong.body.error.fields.currentPassword).to.match(/not correct/);

    const ok = await here.post('/api/auth/password/change').set('X-CSRF-Token', login.body.csrfToken).send({ currentPassword: user.password, newPassword: 'my changed passphrase' }).expect(200);
    await here.get('/api/auth/me').expect(200);
    await other.get('/api/auth/me').expect(401);
    expect(ok.body.csrfToken).to.be.a('string');
    expect((await apiLogin(t.agent(), user.email, 'my changed passphrase')).status).to.equal(200);
  });
});
