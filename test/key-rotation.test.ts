import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps, type Deps } from '../src/deps.js';
import { createFixedClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/logger.js';
import { apiLogin, makeUser, totpCode } from './support/accounts.js';
import { createTestDatabase, dropTestDatabase } from './support/database.js';

/**
 * Rotating secrets must not lock anyone out (issue 8, item 9): the session secret no longer
 * feeds the data key, and DATA_ENCRYPTION_KEY rotates with the old key kept as a previous one.
 * Each "deploy" here is a fresh app on the same database with other settings.
 */
describe('secret rotation keeps 2FA and download links working', () => {
  const KEY_A = 'a'.repeat(64);
  const KEY_B = 'b'.repeat(64);
  let url: string;
  const clock = createFixedClock(new Date('2026-11-24T10:00:15Z'));
  const opened: Deps[] = [];

  function deploy(env: Record<string, string>) {
    const config = loadConfig({ NODE_ENV: 'test', BASE_URL: 'http://store.test', LOG_LEVEL: 'silent', SMTP_URL: 'smtp://127.0.0.1:9', ...env });
    const deps = createDeps(config, { databaseUrl: url, logger: createLogger({ level: 'silent' }), clock });
    opened.push(deps);
    return { deps, app: createApp(deps) };
  }
  /** Moves the clock to a fresh 30-second TOTP step. */
  const nextStep = () => clock.set(new Date(clock.now().getTime() - (clock.now().getTime() % 30_000) + 30_000));

  before(async () => {
    url = await createTestDatabase();
  });
  after(async () => {
    for (const d of opened) await d.close();
    await dropTestDatabase(url);
  });

  it('rotating SESSION_SECRET, then DATA_ENCRYPTION_KEY with the old key kept, changes nothing for users', async () => {
    const first = deploy({ SESSION_SECRET: 's1'.repeat(20), DATA_ENCRYPTION_KEY: KEY_A });
    const user = await makeUser(first.deps.db);
    const agent = supertest.agent(first.app);
    const csrf = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const setup = await agent.post('/api/auth/2fa/totp/setup').set('X-CSRF-Token', csrf).send({}).expect(200);
    await agent.post('/api/auth/2fa/totp/enable').set('X-CSRF-Token', csrf).send({ code: totpCode(setup.body.secret, clock), password: user.password }).expect(200);
    const [order] = await first.deps.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 100, total_paise: 100 }).returning('id');
    const product = await first.deps.db('products').insert({ slug: 'rotation', title: 'Rotation', summary: 's', description: 'd', price_paise: 100, category_id: (await first.deps.db('categories').insert({ slug: 'rot', name: 'Rot' }).returning('id'))[0].id }).returning('id');
    const [right] = await first.deps.db('entitlements').insert({ user_id: user.id, order_id: order.id, product_id: product[0].id, max_downloads: 5 }).returning('id');
    const oldLink = first.deps.services.downloads.linkFor(right.id, user.id).replace('http://store.test', '');

    const signIn = async (app: ReturnType<typeof deploy>['app']) => {
      nextStep();
      const a = supertest.agent(app);
      const step1 = await apiLogin(a, user.email, user.password);
      expect(step1.body.methods).to.deep.equal(['totp']);
      return { a, res: await a.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code: totpCode(setup.body.secret, clock) }) };
    };
    // The link is recognised when it reaches the file check (the product has no file: 503, not 404).
    const linkWorks = async (a: supertest.Agent) => (await a.get(oldLink)).status === 503;

    // A new session secret: sessions end (expected), 2FA and links do not.
    const second = deploy({ SESSION_SECRET: 's2'.repeat(20), DATA_ENCRYPTION_KEY: KEY_A });
    const afterSecret = await signIn(second.app);
    expect(afterSecret.res.status).to.equal(200);
    expect(await linkWorks(afterSecret.a)).to.equal(true);

    // A new data key with the old one kept as previous: both still work; new links use the new key.
    const third = deploy({ SESSION_SECRET: 's2'.repeat(20), DATA_ENCRYPTION_KEY: KEY_B, DATA_ENCRYPTION_KEY_PREVIOUS: KEY_A });
    const afterRotation = await signIn(third.app);
    expect(afterRotation.res.status).to.equal(200);
    expect(await linkWorks(afterRotation.a)).to.equal(true);
    const newLink = third.deps.services.downloads.linkFor(right.id, user.id);
    expect(newLink.split('.').pop()).not.to.equal(oldLink.split('.').pop());

    // The old key dropped too early: a clear answer, never a 500.
    const careless = deploy({ SESSION_SECRET: 's2'.repeat(20), DATA_ENCRYPTION_KEY: KEY_B });
    const locked = await signIn(careless.app);
    expect(locked.res.status).to.equal(409);
    expect(locked.res.body.error.code).to.equal('TOTP_UNREADABLE');
    // And links signed with the forgotten key are no longer recognised.
    expect(careless.deps.services.downloads.entitlementOf(oldLink.split('/').pop()!)).to.equal(undefined);
    expect(third.deps.services.downloads.entitlementOf(oldLink.split('/').pop()!)).to.equal(right.id);
  });

  it('production refuses to start without DATA_ENCRYPTION_KEY, and checks the previous keys', () => {
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/s', SESSION_SECRET: 'k'.repeat(40), BASE_URL: 'https://shop.example.com', SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'Shop <s@example.com>', RAZORPAY_KEY_ID: 'rzp_live_X1', RAZORPAY_KEY_SECRET: 'x', RAZORPAY_WEBHOOK_SECRET: 'y' };
    expect(() => loadConfig(prod)).to.throw(/DATA_ENCRYPTION_KEY: required in production/);
    expect(loadConfig({ ...prod, DATA_ENCRYPTION_KEY: KEY_A, DATA_ENCRYPTION_KEY_PREVIOUS: `${KEY_B}, ${'c'.repeat(64)}` }).dataKeys.previous).to.have.length(2);
    expect(() => loadConfig({ ...prod, DATA_ENCRYPTION_KEY: KEY_A, DATA_ENCRYPTION_KEY_PREVIOUS: 'short' })).to.throw(/DATA_ENCRYPTION_KEY_PREVIOUS/);
  });
});
