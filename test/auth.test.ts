import { expect } from 'chai';
import type { TestContext } from './support/context.js';
import { apiLogin, csrf, GOOD_PASSWORD, makeUser, sidOf, uniqueEmail } from './support/accounts.js';
import { mailTo, tokenIn, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

const CHROME_ON_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';

describe('accounts: sign-up, verification, login, logout', () => {
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  before(() => ({ t, mailbox } = env));

  it('sign-up → verification mail → verify → login → logout, end to end', async () => {
    const email = uniqueEmail();
    const agent = t.agent();
    const token = await csrf(agent);
    const signup = await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email, password: GOOD_PASSWORD, name: 'Meera Iyer', role: 'admin' });
    expect(signup.status).to.equal(201);
    expect(signup.body.message).to.match(/Check your email/);

    const row = await t.db('users').where({ email }).first();
    expect(row).to.include({ name: 'Meera Iyer', role: 'user', email_verified_at: null }); // role from the client ignored
    expect(row.password_hash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);

    const mail = await mailbox.waitFor(mailTo(email));
    expect(mail.subject).to.equal('Confirm your email for Pixel Bazaar');
    expect(mail.html).to.be.a('string').and.include('Confirm my email');
    const verifyToken = tokenIn(mail, 'http://store.test/verify-email?token=');
    const stored = await t.db('user_tokens').where({ user_id: row.id, purpose: 'verify_email' }).first();
    expect(stored.token_hash).to.have.length(64).and.not.equal(verifyToken); // only the hash is stored

    // Unverified accounts cannot sign in yet.
    const early = await apiLogin(agent, email, GOOD_PASSWORD);
    expect(early.status).to.equal(403);
    expect(early.body.error.code).to.equal('EMAIL_NOT_VERIFIED');

    await agent.post('/api/auth/verify-email').set('X-CSRF-Token', await csrf(agent)).send({ token: verifyToken }).expect(200);
    expect((await t.db('users').where({ email }).first()).email_verified_at).to.be.instanceOf(Date);
    const again = await agent.post('/api/auth/verify-email').set('X-CSRF-Token', await csrf(agent)).send({ token: verifyToken }).expect(400);
    expect(again.body.error.code).to.equal('INVALID_TOKEN');

    const login = await apiLogin(agent, email, GOOD_PASSWORD);
    expect(login.status).to.equal(200);
    expect(login.body.user).to.deep.equal({ id: row.id, email, name: 'Meera Iyer', role: 'user', emailVerified: true, twoFactor: [] });
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.user.email).to.equal(email);

    await agent.post('/api/auth/logout').set('X-CSRF-Token', login.body.csrfToken).expect(204);
    await agent.get('/api/auth/me').expect(401);
  });

  it('gives a new session id at login, kills the old one, and deletes the row at logout', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const first = await agent.get('/api/auth/csrf').expect(200);
    const before = sidOf(first)!;
    expect(await t.db('session').where({ sid: before }).first()).to.exist;

    const login = await apiLogin(agent, user.email, user.password);
    const after = sidOf(login)!;
    expect(after).to.be.a('string').and.not.equal(before);
    expect(await t.db('session').where({ sid: before }).first(), 'pre-login session').to.equal(undefined);
    const row = await t.db('session').where({ sid: after }).first();
    expect(row.user_id).to.equal(user.id);

    // Replaying the pre-login cookie does not give the signed-in session.
    const cookieName = 'sid';
    const old = await t.agent().get('/api/auth/me').set('Cookie', `${cookieName}=${encodeURIComponent(String(first.headers['set-cookie']).split(';')[0]!.slice(4))}`);
    expect(old.status).to.equal(401);

    const stolenCookie = String(login.headers['set-cookie']).split(';')[0]!;
    await agent.post('/api/auth/logout').set('X-CSRF-Token', login.body.csrfToken).expect(204);
    expect(await t.db('session').where({ sid: after }).first(), 'session row after logout').to.equal(undefined);
    await t.agent().get('/api/auth/me').set('Cookie', stolenCookie).expect(401);
  });

  it('records each login with ip and a parsed device, and counts failures without the password', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    await apiLogin(agent, user.email, 'not my password 123', { 'User-Agent': CHROME_ON_ANDROID }).then((r) => expect(r.status).to.equal(401));
    await apiLogin(agent, user.email, user.password, { 'User-Agent': CHROME_ON_ANDROID }).then((r) => expect(r.status).to.equal(200));
    const events = await t.db('login_events').where({ user_id: user.id });
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ browser: 'Chrome 126', os: 'Android 14', device_type: 'mobile', method: 'password' });
    expect(events[0].ip).to.match(/127\.0\.0\.1/);
    const failures = await t.db('login_failures').where({ user_id: user.id });
    expect(failures).to.have.length(1);
    expect(failures[0]).to.include({ reason: 'bad_password' });
    expect(JSON.stringify(failures[0])).not.to.include('not my password');
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const user = await makeUser(t.db);
    const wrong = await apiLogin(t.agent(), user.email, 'wrong password here');
    const unknown = await apiLogin(t.agent(), uniqueEmail('nobody'), 'wrong password here');
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(unknown.body).to.deep.equal(wrong.body);
    expect(wrong.body).to.deep.equal({ error: { code: 'INVALID_CREDENTIALS', message: 'Email or password is incorrect.' } });
  });

  it('answers sign-up with a taken email exactly like a new one, and tells the owner instead', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const token = await csrf(agent);
    const res = await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email: user.email.toUpperCase(), password: 'another good passphrase', name: 'Impostor' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.deep.equal({ message: 'Thanks! Check your email for a link to confirm your address.' });
    expect(await t.db('users').where({ email: user.email }).count<{ count: number }[]>('* as count')).to.deep.equal([{ count: 1 }]);
    const notice = await mailbox.waitFor(mailTo(user.email));
    expect(notice.subject).to.equal('You already have a Pixel Bazaar account');
    expect((await t.db('users').where({ id: user.id }).first()).name).to.equal(user.name);
  });

  it('applies the password rules: 8–128 code points, emoji fine, common passwords refused', async () => {
    const agent = t.agent();
    const token = await csrf(agent);
    const signup = (password: string) => agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email: uniqueEmail(), password, name: 'Test' });

    const short = await signup('7chars!').expect(400);
    expect(short.body.error.fields.password).to.equal('Use at least 8 characters.');
    const common = await signup('baseball').expect(400);
    expect(common.body.error.fields.password).to.match(/too common/);
    const commonUpper = await signup('PASSWORD1').expect(400);
    expect(commonUpper.body.error.fields.password).to.match(/too common/);
    const tooLong = await signup('a'.repeat(129)).expect(400);
    expect(tooLong.body.error.fields.password).to.equal('Use at most 128 characters.');
    await signup('a'.repeat(127) + 'b').expect(201);
    // Eight emoji are eight characters (16 UTF-16 units), and no rule asks for digits or symbols.
    const emojiEmail = uniqueEmail('emoji');
    await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email: emojiEmail, password: '🔑🐘🚀🌧🍵🪔🎨📚', name: 'Emoji' }).expect(201);
    await t.db('users').where({ email: emojiEmail }).update({ email_verified_at: new Date() });
    expect((await apiLogin(t.agent(), emojiEmail, '🔑🐘🚀🌧🍵🪔🎨📚')).status).to.equal(200);
    expect((await apiLogin(t.agent(), emojiEmail, '🔑🐘🚀🌧🍵🪔🎨')).status).to.equal(401); // no truncation
  });

  it('refuses malformed bodies with 400 and a message per field, changing nothing', async () => {
    const agent = t.agent();
    const token = await csrf(agent);
    const before = await t.db('users').count<{ count: number }[]>('* as count');
    const bad = await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email: 'not-an-email', password: 12345678, name: '' }).expect(400);
    expect(bad.body.error.fields).to.have.keys(['email', 'password', 'name']);
    expect(bad.body.error.fields.email).to.match(/valid email/);
    const missing = await agent.post('/api/auth/login').set('X-CSRF-Token', token).send({}).expect(400);
    expect(missing.body.error.fields).to.have.keys(['email', 'password']);
    const extra = await agent.post('/api/auth/login').set('X-CSRF-Token', token).send({ email: 'a@b.co', password: 'x', admin: true }).expect(400);
    expect(extra.body.error.fields.admin).to.equal('This field is not allowed.');
    const array = await agent.post('/api/auth/login').set('X-CSRF-Token', token).send({ email: ['a@b.co'], password: 'x' }).expect(400);
    expect(array.body.error.fields).to.have.key('email');
    await agent.post('/api/auth/login').set('X-CSRF-Token', token).set('Content-Type', 'application/json').send('{"email":').expect(400);
    const after = await t.db('users').count<{ count: number }[]>('* as count');
    expect(after).to.deep.equal(before);
  });

  it('needs a CSRF token for login, sign-up and logout', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    await agent.get('/api/auth/csrf');
    const login = await agent.post('/api/auth/login').send({ email: user.email, password: user.password }).expect(403);
    expect(login.body.error.code).to.equal('CSRF_INVALID');
    await agent.post('/api/auth/signup').send({ email: uniqueEmail(), password: GOOD_PASSWORD, name: 'X' }).expect(403);
    const ok = await apiLogin(agent, user.email, user.password);
    expect(ok.status).to.equal(200);
    await agent.post('/api/auth/logout').expect(403);
    await agent.get('/api/auth/me').expect(200); // still signed in
    await agent.post('/api/auth/logout').set('X-CSRF-Token', ok.body.csrfToken).expect(204);
  });

  it('resends a verification link for unverified accounts only, with the same answer for any email', async () => {
    const unverified = await makeUser(t.db, { verified: false });
    const agent = t.agent();
    const token = await csrf(agent);
    const a = await agent.post('/api/auth/resend-verification').set('X-CSRF-Token', token).send({ email: unverified.email }).expect(202);
    const b = await agent.post('/api/auth/resend-verification').set('X-CSRF-Token', token).send({ email: uniqueEmail('ghost') }).expect(202);
    expect(a.body).to.deep.equal(b.body);
    const mail = await mailbox.waitFor(mailTo(unverified.email));
    await agent.post('/api/auth/verify-email').set('X-CSRF-Token', token).send({ token: tokenIn(mail, '/verify-email') }).expect(200);
  });

  it('expires verification links after 24 hours', async () => {
    const email = uniqueEmail();
    const agent = t.agent();
    const csrfToken = await csrf(agent);
    await agent.post('/api/auth/signup').set('X-CSRF-Token', csrfToken).send({ email, password: GOOD_PASSWORD, name: 'Late' }).expect(201);
    const token = tokenIn(await mailbox.waitFor(mailTo(email)), '/verify-email');
    t.clock.advance(24 * 3600_000 + 1000);
    try {
      const res = await agent.post('/api/auth/verify-email').set('X-CSRF-Token', csrfToken).send({ token }).expect(400);
      expect(res.body.error.code).to.equal('INVALID_TOKEN');
      expect((await t.db('users').where({ email }).first()).email_verified_at).to.equal(null);
    } finally {
      t.clock.advance(-(24 * 3600_000 + 1000));
    }
  });
});
