import { expect } from 'chai';
import type { TestContext } from './support/context.js';
import { GOOD_PASSWORD, makeUser, uniqueEmail } from './support/accounts.js';
import { mailTo, tokenIn, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

/** The HTML forms, as a browser without JavaScript uses them. */
describe('account pages (forms without JavaScript)', () => {
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  before(() => ({ t, mailbox } = env));

  const formToken = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

  it('sign up, confirm, sign in, sign out through the forms', async () => {
    const agent = t.agent();
    const email = uniqueEmail('form');
    const signupPage = await agent.get('/signup').expect(200);
    expect(signupPage.text).to.include('<label for="password">Password</label>');
    const created = await agent.post('/signup').type('form').send({ _csrf: formToken(signupPage.text), name: 'Kiran Das', email, password: GOOD_PASSWORD }).expect(201);
    expect(created.text).to.include('Check your email');

    const link = tokenIn(await mailbox.waitFor(mailTo(email)), '/verify-email');
    const verifyPage = await agent.get(`/verify-email?token=${link}`).expect(200);
    expect(verifyPage.headers['referrer-policy']).to.equal('no-referrer');
    // Opening the link changes nothing (mail scanners open links); the button does.
    expect((await t.db('users').where({ email }).first()).email_verified_at).to.equal(null);
    const confirmed = await agent.post('/verify-email').type('form').send({ _csrf: formToken(verifyPage.text), token: link }).expect(303);
    expect(confirmed.headers.location).to.equal('/login');

    const loginPage = await agent.get('/login').expect(200);
    expect(loginPage.text).to.include('Your email address is confirmed.');
    const signedIn = await agent.post('/login').type('form').send({ _csrf: formToken(loginPage.text), email, password: GOOD_PASSWORD, next: '/products' }).expect(303);
    expect(signedIn.headers.location).to.equal('/products');
    const account = await agent.get('/account').expect(200);
    expect(account.text).to.include('Kiran Das').and.include('My account');

    const out = await agent.post('/logout').type('form').send({ _csrf: formToken(account.text) }).expect(303);
    expect(out.headers.location).to.equal('/?signed-out=1');
    await agent.get('/account').expect(303);
  });

  it('shows a wrong password again with the email kept and the password not echoed', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const page = await agent.get('/login').expect(200);
    const res = await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: user.email, password: 'secret-guess-123' }).expect(401);
    expect(res.text).to.include('Email or password is incorrect.');
    expect(res.text).to.include(`value="${user.email}"`);
    expect(res.text).not.to.include('secret-guess-123');
  });

  it('never redirects off-site after login', async () => {
    const user = await makeUser(t.db);
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example', '/\t/evil.example']) {
      const agent = t.agent();
      const page = await agent.get('/login').expect(200);
      const res = await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: user.email, password: user.password, next }).expect(303);
      expect(res.headers.location, next).to.equal('/account');
    }
  });

  it('reports field errors on the sign-up form', async () => {
    const agent = t.agent();
    const page = await agent.get('/signup').expect(200);
    const res = await agent.post('/signup').type('form').send({ _csrf: formToken(page.text), name: '', email: 'bad', password: 'short' }).expect(400);
    expect(res.text).to.include('Enter your name.').and.include('Enter a valid email address');
    expect(res.text).to.include('aria-invalid="true"');
  });

  it('resets a password through the forms', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const page = await agent.get('/forgot-password').expect(200);
    await agent.post('/forgot-password').type('form').send({ _csrf: formToken(page.text), email: user.email }).expect(202);
    const token = tokenIn(await mailbox.waitFor(mailTo(user.email)), '/reset-password');
    const resetPage = await agent.get(`/reset-password?token=${token}`).expect(200);
    const done = await agent.post('/reset-password').type('form').send({ _csrf: formToken(resetPage.text), token, password: 'fresh start passphrase' }).expect(303);
    expect(done.headers.location).to.equal('/login');
    const again = await agent.post('/reset-password').type('form').send({ _csrf: formToken(resetPage.text), token, password: 'another passphrase' }).expect(400);
    expect(again.text).to.include('invalid, was already used or has expired').and.include('Get a new reset link');
  });

  it('turns on TOTP from the account page and asks for the code at the next sign-in', async () => {
    const { Secret, TOTP } = await import('otpauth');
    const user = await makeUser(t.db);
    const agent = t.agent();
    let page = await agent.get('/login');
    await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: user.email, password: user.password }).expect(303);
    page = await agent.get('/account').expect(200);
    await agent.post('/account/2fa/totp/setup').type('form').send({ _csrf: formToken(page.text) }).expect(303);
    page = await agent.get('/account').expect(200);
    expect(page.text).to.include('<img class="qr" src="data:image/png;base64,');
    const secret = /data-totp-secret>([A-Z2-7]+)</.exec(page.text)![1]!;
    const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });
    await agent.post('/account/2fa/totp/enable').type('form').send({ _csrf: formToken(page.text), code, password: user.password }).expect(303);
    page = await agent.get('/account').expect(200);
    expect(page.text).to.include('Save your recovery codes');
    expect([...page.text.matchAll(/<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})<\/code><\/li>/g)]).to.have.length(10);
    const again = await agent.get('/account').expect(200);
    expect(again.text).not.to.include('Save your recovery codes'); // shown once

    const fresh = t.agent();
    const login = await fresh.get('/login');
    const step1 = await fresh.post('/login').type('form').send({ _csrf: formToken(login.text), email: user.email, password: user.password }).expect(303);
    expect(step1.headers.location).to.equal('/login/2fa');
    const twoFactorPage = await fresh.get('/login/2fa').expect(200);
    t.clock.advance(30_000);
    const next = new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });
    await fresh.post('/login/2fa').type('form').send({ _csrf: formToken(twoFactorPage.text), code: next }).expect(303);
    await fresh.get('/account').expect(200);
  });
});
