import { expect } from 'chai';
import type supertest from 'supertest';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

type Agent = ReturnType<typeof supertest.agent>;

/**
 * Every route, every field, with the values that used to reach PostgreSQL and come back as 500s:
 * whole numbers past the 32-bit id range, NUL and other control characters, lone surrogates,
 * wrong types. Each must be a clear 4xx (or a normal page), never a 5xx, and change nothing.
 */
const HOSTILE: unknown[] = [
  2_147_483_648,
  2 ** 53,
  -1,
  0,
  1.5,
  1e308,
  '2147483648',
  '99999999999999999999999',
  '-0',
  'NaN',
  '\u0000',
  'abc\u0000def',
  'a\u0007b',
  '\u001b[31m',
  '\ud800',
  ' ',
  '',
  'x'.repeat(5000),
  {},
  [],
  ['a', 'b'],
  null,
  true,
];

/** Text values for URLs and query strings (everything arrives as text there). */
const HOSTILE_TEXT = ['2147483648', '9007199254740993', '99999999999999999999999', '-1', '0', '1e308', '%00', 'a%00b', '%07', '%1B', '%ED%A0%80', '%C0%AF', 'x'.repeat(3000)];

/** POST routes and a valid-looking body for each; one field at a time is replaced. */
const POSTS: [string, Record<string, unknown>][] = [
  ['/api/auth/signup', { email: 'new@example.test', password: 'correct horse battery staple', name: 'Asha' }],
  ['/api/auth/login', { email: 'nobody@example.test', password: 'wrong password here' }],
  ['/api/auth/login/2fa', { code: '123456' }],
  ['/api/auth/login/2fa/email', {}],
  ['/api/auth/verify-email', { token: 'a'.repeat(43) }],
  ['/api/auth/resend-verification', { email: 'nobody@example.test' }],
  ['/api/auth/password/forgot', { email: 'nobody@example.test' }],
  ['/api/auth/password/reset', { token: 'a'.repeat(43), password: 'another fine password' }],
  ['/api/auth/password/change', { currentPassword: 'wrong password here', newPassword: 'another fine password' }],
  ['/api/auth/2fa/totp/enable', { code: '123456', password: 'wrong password here' }],
  ['/api/auth/2fa/totp/disable', { password: 'wrong password here' }],
  ['/api/auth/2fa/email/enable', { password: 'wrong password here' }],
  ['/api/auth/2fa/recovery-codes', { password: 'wrong password here' }],
  ['/api/cart/add', { productId: 1, quantity: 1 }],
  ['/api/cart/remove', { productId: 1 }],
  ['/api/cart/merge', { items: [{ productId: 1, quantity: 1 }] }],
  ['/api/cart/events', { anonymousId: 'anon-12345678', action: 'add', productId: 1, quantity: 1 }],
  ['/api/orders/create', {}],
  ['/api/payments/verify', { razorpay_order_id: 'order_ABCDEF123456', razorpay_payment_id: 'pay_ABCDEF123456', razorpay_signature: 'a'.repeat(64) }],
  ['/downloads/fresh', { entitlementId: 1 }],
  ['/signup', { email: 'new2@example.test', password: 'correct horse battery staple', name: 'Asha' }],
  ['/login', { email: 'nobody@example.test', password: 'wrong password here', next: '/account' }],
  ['/login/2fa', { code: '123456' }],
  ['/verify-email', { token: 'a'.repeat(43) }],
  ['/resend-verification', { email: 'nobody@example.test' }],
  ['/forgot-password', { email: 'nobody@example.test' }],
  ['/reset-password', { token: 'a'.repeat(43), password: 'another fine password' }],
  ['/account/profile', { name: 'Asha' }],
  ['/account/password', { currentPassword: 'wrong password here', newPassword: 'another fine password' }],
  ['/account/2fa/totp/enable', { code: '123456', password: 'wrong password here' }],
  ['/account/2fa/email/enable', { password: 'wrong password here' }],
  ['/checkout/callback', { razorpay_order_id: 'order_ABCDEF123456', razorpay_payment_id: 'pay_ABCDEF123456', razorpay_signature: 'a'.repeat(64) }],
];

/** GET routes with a placeholder X for the hostile text. */
const GETS = [
  '/products?q=X',
  '/products?category=X',
  '/products?tag=X',
  '/products?sort=X',
  '/products?page=X',
  '/search?q=X',
  '/products/X',
  '/categories/X',
  '/api/products?q=X',
  '/api/products?page=X',
  '/api/products?pageSize=X',
  '/api/products/X',
  '/api/cart/quote?items=X',
  '/api/cart/quote?items=X:1',
  '/orders/X',
  '/orders/X?paid=X',
  '/downloads/X',
  '/verify-email?token=X',
  '/reset-password?token=X',
  '/login?next=X',
  '/login/2fa?next=X',
  '/cart?X=X',
  '/X',
];

describe('hostile input never reaches PostgreSQL as a 500 (issue 8, item 14)', function () {
  this.timeout(120_000);
  let t: TestContext;
  let agent: Agent;
  let token: string;

  before(async () => {
    t = await createTestContext();
    await makeProduct(t.db);
    const user = await makeUser(t.db);
    agent = t.agent();
    token = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
  });
  after(async () => {
    await t?.close();
  });

  it('GET routes answer hostile path and query values with a page or a 4xx', async () => {
    const failures: string[] = [];
    for (const route of GETS) {
      for (const value of HOSTILE_TEXT) {
        const url = route.replace(/X/g, value);
        const res = await agent.get(url);
        if (res.status >= 500) failures.push(`${res.status} GET ${url.slice(0, 80)}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('POST routes answer every hostile field value with a 4xx or a normal answer (JSON and form bodies)', async () => {
    const failures: string[] = [];
    const ordersBefore = await t.db('orders').count({ n: '*' }).first();
    for (const [path, valid] of POSTS) {
      const fields = Object.keys(valid).length ? Object.keys(valid) : ['unexpected'];
      for (const field of fields) {
        for (const value of HOSTILE) {
          // Throttles would answer 429 before the deeper code paths are reached; reset them.
          await t.db('rate_limits').delete();
          const body = { ...valid, [field]: value };
          const res = await agent.post(path).set('X-CSRF-Token', token).send(body);
          if (res.status >= 500) failures.push(`${res.status} POST ${path} ${field}=${JSON.stringify(value)?.slice(0, 40)}`);
          if (typeof value === 'string' || typeof value === 'number') {
            const form = await agent.post(path).type('form').send({ ...Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, typeof v === 'object' ? '' : String(v)])), [field]: String(value), _csrf: token });
            if (form.status >= 500) failures.push(`${form.status} POST(form) ${path} ${field}=${JSON.stringify(value).slice(0, 40)}`);
          }
        }
      }
    }
    expect(failures).to.deep.equal([]);
    // Nothing hostile made an order.
    expect(await t.db('orders').count({ n: '*' }).first()).to.deep.equal(ordersBefore);
  });

  it('a NUL in a text field is a 400 with a field message, and nothing is stored', async () => {
    await t.db('rate_limits').delete();
    const res = await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email: 'nul@example.test', password: 'correct horse battery staple', name: 'As\u0000ha' }).expect(400);
    expect(res.body.error?.fields, res.text).to.have.property('name');
    expect(await t.db('users').where({ email: 'nul@example.test' })).to.have.length(0);
    const id = await agent.post('/downloads/fresh').set('X-CSRF-Token', token).set('Accept', 'application/json').send({ entitlementId: 2 ** 31 });
    expect(id.status).to.equal(400);
    expect(id.body.error.fields).to.have.property('entitlementId');
  });
});
