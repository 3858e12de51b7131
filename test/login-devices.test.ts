import { expect } from 'chai';
import * as migration from '../migrations/20261201000800_login_devices.js';
import { createDb } from '../src/db/knex.js';
import { parseDevice } from '../src/lib/device.js';
import { formatDateTime } from '../src/lib/view-helpers.js';
import { deviceKey } from '../src/models/user-devices.js';
import type { TestContext } from './support/context.js';
import { createTestDatabase, dropTestDatabase } from './support/database.js';
import { apiLogin, makeUser, totpCode, uniqueEmail } from './support/accounts.js';
import { mailTo, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36';
const ANDROID_CHROME_NEWER = 'Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36';
const MAC_FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0';

/** Sign-in facts for the dashboards: new devices, their security email, lockouts, indexes, admin page. */
describe('login-devices: new-device sign-ins, lockouts and the admin customer page', function () {
  this.timeout(60_000);
  // One trusted proxy hop, so X-Forwarded-For sets the client IP.
  const env = useAppWithMailbox({ TRUST_PROXY: '1' });
  let t: TestContext;
  let mailbox: Mailbox;
  before(() => ({ t, mailbox } = env));

  let startedAt: Date;
  before(() => (startedAt = t.clock.now()));
  afterEach(() => t.clock.set(startedAt));

  const from = (ip: string, ua?: string) => ({ 'X-Forwarded-For': ip, ...(ua ? { 'User-Agent': ua } : {}) });
  const events = (userId: number) => t.db('login_events').where({ user_id: userId }).orderBy('id');
  const devices = (userId: number) => t.db('user_devices').where({ user_id: userId }).orderBy('id');
  const queued = (to: string) => t.db('email_outbox').where({ to_address: to, template: 'new-device-sign-in' });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('first sign-in is a new device with no email; the same browser again is not; another device is, with one email', async () => {
    const user = await makeUser(t.db, { name: 'Meera Pillai' });
    expect((await apiLogin(t.agent(), user.email, user.password, from('198.51.100.1', MAC_FIREFOX))).status).to.equal(200);
    let rows = await events(user.id);
    expect(rows.map((e) => e.new_device)).to.deep.equal([true]);
    expect(await devices(user.id)).to.have.length(1);
    expect(await queued(user.email)).to.have.length(0);

    // Same browser from another network, a day later: not a new device; counted.
    t.clock.set(new Date(startedAt.getTime() + 86_400_000));
    expect((await apiLogin(t.agent(), user.email, user.password, from('203.0.113.50', MAC_FIREFOX))).status).to.equal(200);
    rows = await events(user.id);
    expect(rows.map((e) => e.new_device)).to.deep.equal([true, false]);
    let devs = await devices(user.id);
    expect(devs).to.have.length(1);
    expect(devs[0]).to.include({ browser: 'Firefox', os: 'Mac OS', device_type: 'desktop', sign_in_count: 2, device_key: deviceKey({ deviceType: 'desktop', browserFamily: 'Firefox', osFamily: 'Mac OS' }) });
    expect(devs[0].first_seen_at.getTime()).to.equal(startedAt.getTime());
    expect(devs[0].last_seen_at.getTime()).to.equal(startedAt.getTime() + 86_400_000);

    // A phone: a new device, and exactly one email naming it, its IP and the time in IST.
    const at = new Date('2026-11-26T10:00:00Z');
    t.clock.set(at);
    expect((await apiLogin(t.agent(), user.email, user.password, from('198.51.100.77', ANDROID_CHROME))).status).to.equal(200);
    rows = await events(user.id);
    expect(rows.map((e) => e.new_device)).to.deep.equal([true, false, true]);
    expect(rows[2]).to.include({ browser: 'Chrome 126', os: 'Android 14', device_type: 'mobile', ip: '198.51.100.77' });
    const mail = await mailbox.waitFor(mailTo(user.email));
    expect(mail.subject).to.equal('New sign-in to your Pixel Bazaar account');
    expect(mail.text).to.include('Chrome on Android').and.include('198.51.100.77').and.include(`${formatDateTime(at)} IST`).and.include('3:30 pm');
    expect(mail.text).to.include('/forgot-password');
    expect(mail.html).to.include('Chrome on Android').and.include('Reset my password');

    // The browser updated and Android too: still the same device, no second email.
    expect((await apiLogin(t.agent(), user.email, user.password, from('198.51.100.78', ANDROID_CHROME_NEWER))).status).to.equal(200);
    expect((await events(user.id)).map((e) => e.new_device)).to.deep.equal([true, false, true, false]);
    devs = await devices(user.id);
    expect(devs.map((d) => [d.browser, d.os, d.device_type, d.sign_in_count])).to.deep.equal([
      ['Firefox', 'Mac OS', 'desktop', 2],
      ['Chrome', 'Android', 'mobile', 2],
    ]);
    await sleep(300);
    expect(mailbox.to(user.email)).to.have.length(1);
    expect(await queued(user.email)).to.have.length(1);
  });

  it('a two-factor sign-in records one event, when the code is accepted, and counts the device once', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const csrfToken = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const setup = await agent.post('/api/auth/2fa/totp/setup').set('X-CSRF-Token', csrfToken).send({}).expect(200);
    const secret = setup.body.secret as string;
    await agent.post('/api/auth/2fa/totp/enable').set('X-CSRF-Token', csrfToken).send({ code: totpCode(secret, t.clock), password: user.password }).expect(200);
    expect(await events(user.id)).to.have.length(1);

    const now = t.clock.now().getTime();
    t.clock.set(new Date(now - (now % 30_000) + 30_000)); // a fresh TOTP step
    const phone = t.agent();
    const step1 = await apiLogin(phone, user.email, user.password, { 'User-Agent': ANDROID_CHROME });
    expect(step1.body).to.include({ twoFactorRequired: true });
    expect(await events(user.id)).to.have.length(1); // the password alone signs nobody in
    await phone.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).set('User-Agent', ANDROID_CHROME).send({ code: totpCode(secret, t.clock) }).expect(200);
    const rows = await events(user.id);
    expect(rows.map((e) => [e.method, e.new_device])).to.deep.equal([
      ['password', true],
      ['password+totp', true],
    ]);
    expect((await devices(user.id)).map((d) => d.sign_in_count)).to.deep.equal([1, 1]);
    await mailbox.waitFor(mailTo(user.email));
    expect(await queued(user.email)).to.have.length(1);
  });

  it('a sign-in refused by the lockout is recorded as locked_out, once per refused attempt', async () => {
    const user = await makeUser(t.db);
    const ip = from('203.0.113.99');
    for (let i = 0; i < 10; i++) expect((await apiLogin(t.agent(), user.email, `wrong guess ${i}`, ip)).status).to.equal(401);
    expect((await apiLogin(t.agent(), user.email, user.password, ip)).status).to.equal(429);
    expect((await apiLogin(t.agent(), user.email, 'yet another guess', ip)).status).to.equal(429);
    const failures = await t.db('login_failures').where({ user_id: user.id }).orderBy('id');
    expect(failures.map((f) => f.reason)).to.deep.equal([...Array(10).fill('bad_password'), 'locked_out', 'locked_out']);
    expect(failures[10]).to.include({ ip: '203.0.113.99', email: user.email });
    expect(await events(user.id)).to.have.length(0);

    // An unknown address locked out from a network is recorded too, without a user.
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < 10; i++) await apiLogin(t.agent(), nobody, 'guess guess', from('203.0.113.98'));
    expect((await apiLogin(t.agent(), nobody, 'guess guess', from('203.0.113.98'))).status).to.equal(429);
    expect(await t.db('login_failures').where({ email: nobody, reason: 'locked_out' }).pluck('user_id')).to.deep.equal([null]);
  });

  it('under 30 concurrent wrong passwords, every 401 is a bad_password row and every 429 a locked_out row', async () => {
    const user = await makeUser(t.db);
    const ip = from('203.0.113.97');
    const agents = await Promise.all(Array.from({ length: 30 }, async () => {
      const agent = t.agent();
      return { agent, token: (await agent.get('/api/auth/csrf').expect(200)).body.csrfToken as string };
    }));
    const statuses = (await Promise.all(agents.map(({ agent, token }) => agent.post('/api/auth/login').set('X-CSRF-Token', token).set(ip).send({ email: user.email, password: 'not the password at all' })))).map((r) => r.status);
    const count = async (reason: string) => Number((await t.db('login_failures').where({ user_id: user.id, reason }).count({ n: '*' }).first())!.n);
    expect(statuses.filter((s) => s === 429).length).to.be.at.least(20);
    expect(await count('bad_password')).to.equal(statuses.filter((s) => s === 401).length);
    expect(await count('locked_out')).to.equal(statuses.filter((s) => s === 429).length);
  });

  it('the dashboards have covering indexes on created_at for sign-ins and failures', async () => {
    const idx = (await t.db('pg_indexes').whereIn('tablename', ['login_events', 'login_failures', 'user_devices']).select('indexname', 'indexdef')) as { indexname: string; indexdef: string }[];
    const def = (name: string) => idx.find((i) => i.indexname === name)?.indexdef ?? '';
    expect(def('login_events_created_at_cover_idx')).to.match(/\(created_at\) INCLUDE \(user_id, device_type, browser, os, new_device\)/);
    expect(def('login_failures_created_at_cover_idx')).to.match(/\(created_at\) INCLUDE \(reason\)/);
    expect(def('user_devices_user_key_unique')).to.match(/UNIQUE INDEX .*\(user_id, device_key\)/);
    // The plain created_at indexes they replace are gone (one index to maintain per insert, not two).
    expect(def('login_events_created_at_index')).to.equal('');
  });

  it('the admin customer page shows the New device badge and the known devices', async () => {
    const admin = await makeUser(t.db, { role: 'admin', email: uniqueEmail('boss') });
    const adminAgent = t.agent();
    expect((await apiLogin(adminAgent, admin.email, admin.password)).status).to.equal(200);
    const user = await makeUser(t.db, { name: 'Devika Nair' });
    await apiLogin(t.agent(), user.email, user.password, from('198.51.100.5', MAC_FIREFOX));
    await apiLogin(t.agent(), user.email, user.password, from('198.51.100.5', MAC_FIREFOX));
    await apiLogin(t.agent(), user.email, user.password, from('198.51.100.6', ANDROID_CHROME));

    const page = await adminAgent.get(`/admin/customers/${user.id}`).expect(200);
    const signIns = page.text.slice(page.text.indexOf('data-sign-ins'), page.text.indexOf('data-known-devices'));
    expect(signIns.match(/New device<\/span>/g)).to.have.length(2);
    const known = page.text.slice(page.text.indexOf('data-known-devices'));
    expect(known).to.include('Chrome on Android · mobile').and.include('Firefox on Mac OS · desktop');
    expect(known.indexOf('Chrome on Android')).to.be.lessThan(known.indexOf('Firefox on Mac OS')); // last used first
    expect(known).to.match(/data-label="Sign-ins" class="num">2</);
    const api = await adminAgent.get(`/api/admin/customers/${user.id}`).expect(200);
    expect(api.body.signIns.map((s: { newDevice: boolean }) => s.newDevice)).to.deep.equal([true, false, true]);
  });

  it('the migration backfills devices and new_device from earlier sign-ins, with the same keys the app computes', async () => {
    const url = await createTestDatabase();
    const db = createDb({ url, poolMax: 2 });
    try {
      await migration.down(db);
      const [u] = await db('users').insert({ email: uniqueEmail('legacy'), name: 'Old Timer', password_hash: 'x', role: 'user' }).returning('id');
      const at = (day: number) => new Date(Date.UTC(2026, 9, day, 6));
      const legacy = [
        { ua: MAC_FIREFOX, day: 1 },
        { ua: ANDROID_CHROME, day: 2 },
        { ua: MAC_FIREFOX, day: 3 },
        { ua: ANDROID_CHROME_NEWER, day: 4 },
        { ua: 'Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36', day: 5 },
        { ua: '', day: 6 },
      ];
      for (const l of legacy) {
        const d = parseDevice(l.ua);
        await db('login_events').insert({ user_id: u.id, ip: '198.51.100.9', user_agent: l.ua, browser: d.browser, os: d.os, device_type: d.deviceType, method: 'password', created_at: at(l.day) });
      }
      await migration.up(db);
      const rows = await db('login_events').where({ user_id: u.id }).orderBy('created_at');
      expect(rows.map((r) => r.new_device)).to.deep.equal([true, true, false, false, true, true]);
      const devs = await db('user_devices').where({ user_id: u.id }).orderBy('first_seen_at');
      expect(devs.map((d) => [d.browser, d.os, d.device_type, d.sign_in_count, d.device_key])).to.deep.equal(
        [MAC_FIREFOX, ANDROID_CHROME, legacy[4]!.ua, ''].map((ua, i) => {
          const d = parseDevice(ua);
          return [d.browserFamily, d.osFamily, d.deviceType, [2, 2, 1, 1][i], deviceKey(d)];
        }),
      );
      expect(devs[1].first_seen_at.getTime()).to.equal(at(2).getTime());
      expect(devs[1].last_seen_at.getTime()).to.equal(at(4).getTime());
    } finally {
      await db.destroy();
      await dropTestDatabase(url);
    }
  });
});
