import { expect } from 'chai';
import { csrf, makeUser } from './support/accounts.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { mailTo, tokenIn, useAppWithMailbox } from './support/mailbox.js';

/** Flows that confused a new shopper (issue 9, items 7, 8 and 13). */
describe('shopper flows: resend, emailed download links, spent links', () => {
  const env = useAppWithMailbox();
  const formToken = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

  it('after "Forgot password", the check-email page offers to send the reset link again, not a confirmation link (item 7)', async () => {
    const { t, mailbox } = env;
    const user = await makeUser(t.db);
    const agent = t.agent();
    const page = await agent.get('/forgot-password').expect(200);
    const res = await agent.post('/forgot-password').type('form').send({ _csrf: formToken(page.text), email: user.email }).expect(202);
    expect(res.text).to.include('data-resend="reset"').and.include('action="/forgot-password"').and.include('Send the reset link again');
    expect(res.text).not.to.include('Resend confirmation link');
    await mailbox.waitFor(mailTo(user.email));
    const again = await agent.post('/forgot-password').type('form').send({ _csrf: formToken(res.text), email: user.email }).expect(202);
    expect(again.text).to.include('data-resend="reset"');
    expect(await t.db('email_outbox').where({ to_address: user.email, template: 'reset-password' })).to.have.length(2);
    expect(await t.db('email_outbox').where({ to_address: user.email, template: 'verify-email' })).to.have.length(0);
  });

  it('a used reset link says so before anyone types a password (item 13)', async () => {
    const { t, mailbox } = env;
    const user = await makeUser(t.db);
    const agent = t.agent();
    const forgotToken = await csrf(agent);
    await agent.post('/api/auth/password/forgot').set('X-CSRF-Token', forgotToken).send({ email: user.email }).expect(202);
    const token = tokenIn(await mailbox.waitFor((m) => mailTo(user.email)(m) && /Reset/.test(m.subject ?? '')), '/reset-password');
    const fresh = await t.agent().get(`/reset-password?token=${token}`).expect(200);
    expect(fresh.text).to.include('name="password"').and.not.include('data-link-spent');
    const reset = t.agent();
    const resetToken = await csrf(reset);
    await reset.post('/api/auth/password/reset').set('X-CSRF-Token', resetToken).send({ token, password: 'a brand new passphrase' }).expect(200);
    const used = await t.agent().get(`/reset-password?token=${token}`).expect(200);
    expect(used.text).to.include('data-link-spent').and.include('Get a new reset link').and.not.include('name="password"');
  });

  it('a used confirmation link of a confirmed account does not offer "Confirm" again (item 13)', async () => {
    const { t, mailbox } = env;
    const email = `confirm-${Date.now()}@example.test`;
    const agent = t.agent();
    const signupToken = await csrf(agent);
    await agent.post('/api/auth/signup').set('X-CSRF-Token', signupToken).send({ email, password: 'correct horse battery staple', name: 'Confirm' }).expect(201);
    const token = tokenIn(await mailbox.waitFor(mailTo(email)), '/verify-email');
    await agent.post('/api/auth/verify-email').set('X-CSRF-Token', signupToken).send({ token }).expect(200);
    const again = await t.agent().get(`/verify-email?token=${token}`).expect(200);
    expect(again.text).to.include('data-link-spent').and.include('already used').and.not.include('Confirm my email address');
  });

  it('an emailed download link opened signed out: sign in, land on the order page, which starts that download once (item 8)', async () => {
    const { t } = env;
    const user = await makeUser(t.db);
    const product = await makeProduct(t.db, { category_id: (await makeCategory(t.db)).id, title: 'Emailed Guide' });
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 100, total_paise: 100 }).returning('id');
    await t.db('order_items').insert({ order_id: order.id, product_id: product.id, title: 'Emailed Guide', unit_price_paise: 100, sale_price_paise: 100, line_total_paise: 100, license_type: 'personal' });
    const [right] = await t.db('entitlements').insert({ user_id: user.id, order_id: order.id, product_id: product.id, max_downloads: 5 }).returning('id');
    const link = new URL(t.deps.services.downloads.linkFor(right.id, user.id)).pathname;

    const browser = t.agent();
    const signedOut = await browser.get(link).expect(303);
    const next = new URL(signedOut.headers.location!, 'http://store.test').searchParams.get('next')!;
    expect(next).to.equal(`${link}/start`);
    const loginPage = await browser.get(signedOut.headers.location!).expect(200);
    const login = await browser.post('/login').type('form').send({ _csrf: formToken(loginPage.text), email: user.email, password: user.password, next }).expect(303);
    expect(login.headers.location).to.equal(next);
    const start = await browser.get(next).expect(303);
    expect(start.headers.location).to.equal(`/orders/${order.id}?download=${right.id}`);
    const page = await browser.get(start.headers.location!).expect(200);
    expect(page.text).to.include(`data-auto-download="${right.id}"`).and.include('is starting').and.include('data-account-link');
    // Landing counted nothing: only the browser following the link does, once.
    expect((await t.db('entitlements').where({ id: right.id }).first()).download_count).to.equal(0);

    // Someone else signed in with this link is told whose it is.
    const other = await makeUser(t.db);
    const stranger = t.agent();
    const strangerLogin = await stranger.get('/login').expect(200);
    await stranger.post('/login').type('form').send({ _csrf: formToken(strangerLogin.text), email: other.email, password: other.password, next }).expect(303);
    const refused = await stranger.get(next).expect(404);
    expect(refused.text).to.include('belongs to another account');
  });
});
