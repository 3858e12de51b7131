import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import supertest from 'supertest';
import { csvCell } from '../src/lib/csv.js';
import { consentText, signUnsubscribe, unsubscribeKeys, verifyUnsubscribe } from '../src/services/newsletter-service.js';
import { apiLogin, csrf, makeUser, uniqueEmail } from './support/accounts.js';
import { linkIn, mailTo, useAppWithMailbox } from './support/mailbox.js';

type Agent = ReturnType<typeof supertest.agent>;

let ipSeq = 0;
/** A fresh client address per call: the throttles count per IP, and each test starts clean. */
const freshIp = () => `203.0.113.${(++ipSeq % 250) + 1}`;

const headerOf = (m: ParsedMail, name: string) => m.headerLines.find((h) => h.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ');

/** Newsletter (issue item 10–12): double opt-in sign-up, one-click unsubscribe, the admin's subscribers. */
describe('newsletter (items 10–12)', function () {
  this.timeout(120_000);
  const env = useAppWithMailbox({ TRUST_PROXY: '1' });
  const subscriberOf = (email: string) => env.t.db('newsletter_subscribers').where({ email }).first();
  const consentsOf = async (email: string) => env.t.db('newsletter_consents').where({ email }).orderBy('id');
  /** A cookie-less POST, as from a cached page or a mail client. */
  const post = (path: string, ip = freshIp()) => supertest(env.t.app).post(path).set('X-Forwarded-For', ip);
  const subscribe = (email: string, ip = freshIp(), source = 'footer') => post('/newsletter/subscribe', ip).type('form').send({ email, source });

  async function confirmLinkFor(email: string): Promise<string> {
    const m = await env.mailbox.waitFor((x) => mailTo(email)(x) && /newsletter subscription$/.test(x.subject ?? ''));
    return linkIn(m, '/newsletter/confirm');
  }

  /** Signs up and confirms through the real pages; returns the subscriber row. */
  async function subscribed(email = uniqueEmail('reader')) {
    await subscribe(email).expect(200);
    const link = new URL(await confirmLinkFor(email));
    const agent = supertest.agent(env.t.app);
    const page = await agent.get(link.pathname + link.search).expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await agent.post('/newsletter/confirm').type('form').send({ _csrf: token, token: link.searchParams.get('token') }).expect(200);
    return subscriberOf(email);
  }

  describe('sign-up (item 10)', () => {
    it('works from the cached, cookie-less home page: no CSRF token there, the POST needs none and makes no session', async () => {
      const { deps } = env.t;
      if (!deps.catalogChanges.connected) {
        const connected = once(deps.catalogChanges, 'connected');
        deps.catalogChanges.start();
        await connected;
      }
      await supertest(env.t.app).get('/').expect(200);
      const home = await supertest(env.t.app).get('/').expect(200);
      expect(home.headers['x-page-cache']).to.equal('hit');
      expect(home.headers['set-cookie']).to.equal(undefined);
      // Two forms (home band and footer), neither with a token, and no token in the page at all.
      expect(home.text.match(/data-newsletter-form/g)).to.have.length(2);
      expect(home.text).to.include('name="source" value="home"').and.include('name="source" value="footer"');
      expect(home.text).not.to.include('_csrf').and.not.to.include('csrf-token');
      expect(home.text).to.include(consentText(env.t.config.storeName));

      const email = uniqueEmail('footer');
      const res = await subscribe(email, '198.51.100.7', 'home').expect(200);
      expect(res.headers['set-cookie'], 'no session for a guest').to.equal(undefined);
      expect(res.text).to.include('Check your inbox').and.include(email);
      const row = await subscriberOf(email);
      expect(row).to.include({ status: 'pending', source: 'home' });
      expect(row.confirm_token_hash).to.match(/^[0-9a-f]{64}$/);
      // The consent record: when, from where, from which form, and the words agreed to.
      const [consent, ...more] = await consentsOf(email);
      expect(more).to.deep.equal([]);
      expect(consent).to.include({ action: 'requested', source: 'home', ip: '198.51.100.7', consent_text: consentText(env.t.config.storeName), consent_version: '2026-12-01' });
      expect(consent.created_at.toISOString()).to.equal(env.t.clock.now().toISOString());
      expect(await confirmLinkFor(email)).to.match(/^http:\/\/store\.test\/newsletter\/confirm\?token=[A-Za-z0-9_-]{43}$/);
      // Still not a subscriber: only a confirmed address is.
      expect((await subscriberOf(email)).status).to.equal('pending');
    });

    it('the JSON twin (the footer script) needs no cookie or token either', async () => {
      const email = uniqueEmail('script');
      const res = await post('/api/newsletter/subscribe').send({ email, source: 'footer' }).expect(200);
      expect(res.body).to.deep.equal({ ok: true, message: `Almost done: we sent a confirmation link to ${email}. Open it to start your subscription.` });
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(await subscriberOf(email)).to.include({ status: 'pending', source: 'footer' });
      await confirmLinkFor(email);
    });

    it('answers the same for an unknown, a pending, a subscribed and an unsubscribed address', async () => {
      const subscribedRow = await subscribed();
      const pending = uniqueEmail('pending');
      await subscribe(pending).expect(200);
      const gone = await subscribed();
      await env.t.db('newsletter_subscribers').where({ id: gone.id }).update({ status: 'unsubscribed', unsubscribed_at: new Date() });
      const unknown = uniqueEmail('unknown');

      const answers = [];
      for (const email of [unknown, pending, subscribedRow.email, gone.email]) {
        const res = await subscribe(email);
        answers.push({ status: res.status, text: res.text.replaceAll(email, '<email>'), cookie: res.headers['set-cookie'] });
      }
      for (const a of answers.slice(1)) expect(a).to.deep.equal(answers[0]);
      const api = [];
      for (const email of [uniqueEmail('unknown'), subscribedRow.email]) {
        const res = await post('/api/newsletter/subscribe').send({ email });
        api.push({ status: res.status, body: JSON.stringify(res.body).replaceAll(email, '<email>') });
      }
      expect(api[1]).to.deep.equal(api[0]);
      // Only the mail differs, and it goes to the address itself.
      const note = await env.mailbox.waitFor((m) => mailTo(subscribedRow.email)(m) && /already subscribed/.test(m.subject ?? ''));
      expect(linkIn(note, '/newsletter/unsubscribe')).to.include('token=');
      expect((await subscriberOf(subscribedRow.email)).status).to.equal('subscribed');
      // The unsubscribed address is not re-subscribed by someone typing it in: it waits for its owner's click.
      expect((await subscriberOf(gone.email)).status).to.equal('unsubscribed');
      await confirmLinkFor(gone.email);
    });

    it('throttles per network (10 an hour) and per address (3 a day): 429 with Retry-After, for known and unknown addresses alike', async () => {
      const ip = freshIp();
      for (let i = 0; i < 10; i++) await subscribe(uniqueEmail('burst'), ip).expect(200);
      const over = await subscribe(uniqueEmail('burst'), ip).expect(429);
      expect(Number(over.headers['retry-after'])).to.be.within(1, 3600);
      expect(over.text).to.include('Too many newsletter sign-ups from this network');
      await post('/api/newsletter/subscribe', ip).send({ email: uniqueEmail('burst') }).expect(429);

      const known = (await subscribed()).email;
      const unknown = uniqueEmail('target');
      for (const email of [known, unknown]) {
        // The first confirmation of `known` counted once already.
        const tries = email === known ? 2 : 3;
        for (let i = 0; i < tries; i++) await subscribe(email).expect(200);
        const res = await subscribe(email).expect(429);
        expect(res.text).to.include('We already sent several confirmation emails to this address today');
      }
      const before = await env.t.db('email_outbox').where({ to_address: unknown }).count<{ n: string }[]>('* as n');
      await subscribe(unknown).expect(429);
      expect(await env.t.db('email_outbox').where({ to_address: unknown }).count<{ n: string }[]>('* as n')).to.deep.equal(before);
    });

    it('refuses a bad address with a field message and stores nothing; a bot filling the hidden field gets the same answer and nothing', async () => {
      const bad = await post('/newsletter/subscribe').type('form').send({ email: 'not-an-email', source: 'footer' }).expect(400);
      expect(bad.text).to.include('Enter a valid email address').and.include('value="not-an-email"');
      const api = await post('/api/newsletter/subscribe').send({ email: ['x'] }).expect(400);
      expect(api.body.error.fields).to.have.property('email');
      await post('/api/newsletter/subscribe').send('{"email":').set('Content-Type', 'application/json').expect(400);
      expect(await env.t.db('newsletter_subscribers').where('email', 'like', 'not-an-email%')).to.deep.equal([]);

      const botEmail = uniqueEmail('bot');
      const bot = await post('/newsletter/subscribe').type('form').send({ email: botEmail, source: 'footer', website: 'http://spam.example' }).expect(200);
      expect(bot.text).to.include('Check your inbox');
      expect(await subscriberOf(botEmail)).to.equal(undefined);
    });

    it('the confirmation link: GET shows a button and changes nothing (mail scanners); the button confirms once; an expired link is refused', async () => {
      const email = uniqueEmail('confirm');
      await subscribe(email, '192.0.2.44').expect(200);
      const link = new URL(await confirmLinkFor(email));
      const agent = supertest.agent(env.t.app);
      const page = await agent.get(link.pathname + link.search).set('X-Forwarded-For', '192.0.2.45').expect(200);
      expect(page.text).to.include('Yes, subscribe me');
      expect(page.headers['referrer-policy']).to.equal('no-referrer');
      expect((await subscriberOf(email)).status).to.equal('pending');

      const token = link.searchParams.get('token')!;
      const csrfToken = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      // The confirm form is an ordinary page form: it carries the CSRF token.
      await agent.post('/newsletter/confirm').type('form').send({ token }).expect(403);
      const done = await agent.post('/newsletter/confirm').set('X-Forwarded-For', '192.0.2.45').type('form').send({ _csrf: csrfToken, token }).expect(200);
      expect(done.text).to.include('You are subscribed');
      const row = await subscriberOf(email);
      expect(row).to.include({ status: 'subscribed', confirm_token_hash: null });
      expect(row.confirmed_at.toISOString()).to.equal(env.t.clock.now().toISOString());
      const consents = await consentsOf(email);
      expect(consents.map((c) => [c.action, c.source, c.ip])).to.deep.equal([
        ['requested', 'footer', '192.0.2.44'],
        ['confirmed', 'confirm-link', '192.0.2.45'],
      ]);
      expect(consents[1].consent_text).to.equal(consentText(env.t.config.storeName));
      // Used once: the same link now shows "already used" and changes nothing.
      expect((await agent.get(link.pathname + link.search).expect(400)).text).to.include('data-link-spent');
      expect((await agent.post('/newsletter/confirm').type('form').send({ _csrf: csrfToken, token }).expect(400)).text).to.include('invalid, was already used or has expired');

      const late = uniqueEmail('late');
      await subscribe(late).expect(200);
      const lateLink = new URL(await confirmLinkFor(late));
      env.t.clock.advance(73 * 3_600_000);
      try {
        const p = await agent.get(lateLink.pathname + lateLink.search).expect(400);
        await agent.post('/newsletter/confirm').type('form').send({ _csrf: await csrf(agent), token: lateLink.searchParams.get('token') }).expect(400);
        expect(p.text).to.include('Sign up again');
        expect((await subscriberOf(late)).status).to.equal('pending');
      } finally {
        env.t.clock.advance(-73 * 3_600_000);
      }
    });

    it('account sign-up has an opt-in box, unchecked by default; ticked, it starts the same double opt-in (source signup)', async () => {
      const agent = supertest.agent(env.t.app);
      const page = await agent.get('/signup').expect(200);
      const box = /<input id="signup-newsletter"[^>]*>/.exec(page.text)![0];
      expect(box).to.include('type="checkbox"').and.not.include('checked');
      expect(page.text).to.include(consentText(env.t.config.storeName));
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;

      const without = uniqueEmail('noopt');
      await agent.post('/signup').set('X-Forwarded-For', freshIp()).type('form').send({ _csrf: token, name: 'Asha Rao', email: without, password: 'a long enough passphrase' }).expect(201);
      const withBox = uniqueEmail('optin');
      await agent.post('/signup').set('X-Forwarded-For', '192.0.2.99').type('form').send({ _csrf: token, name: 'Ravi Rao', email: withBox, password: 'a long enough passphrase', newsletter: '1' }).expect(201);
      // The JSON sign-up takes a boolean.
      const api = uniqueEmail('apiopt');
      await agent.post('/api/auth/signup').set('X-Forwarded-For', freshIp()).set('X-CSRF-Token', token).send({ name: 'Api Rao', email: api, password: 'a long enough passphrase', newsletter: true }).expect(201);

      expect(await subscriberOf(without)).to.equal(undefined);
      expect(await subscriberOf(withBox)).to.include({ status: 'pending', source: 'signup' });
      expect(await subscriberOf(api)).to.include({ status: 'pending', source: 'signup' });
      expect((await consentsOf(withBox)).map((c) => [c.action, c.source, c.ip])).to.deep.equal([['requested', 'signup', '192.0.2.99']]);
      await confirmLinkFor(withBox);
      await env.mailbox.waitFor((m) => mailTo(withBox)(m) && /Confirm your email/.test(m.subject ?? ''));
    });
  });

  describe('one-click unsubscribe (item 11)', () => {
    async function campaignTo(row: { id: number; email: string }) {
      const { newsletter } = env.t.deps.services;
      const id = await newsletter.queueNewsletterMail(row.id, { subject: 'Diwali picks', data: { heading: 'Festive picks', paragraphs: ['Ten new rangoli books <b>this week</b>.'], cta: { href: 'http://store.test/products', label: 'See them' } } });
      env.t.deps.mail.sendSoon([id]);
      return env.mailbox.waitFor((m) => mailTo(row.email)(m) && m.subject === 'Diwali picks');
    }

    it('a campaign mail carries the RFC 8058 headers and an unsubscribe link in its footer', async () => {
      const row = await subscribed();
      const m = await campaignTo(row);
      const listUnsubscribe = headerOf(m, 'List-Unsubscribe')!;
      // One or more URIs in angle brackets; the first https/http one is what the one-click POST goes to.
      expect(listUnsubscribe).to.match(/^<https?:\/\/[^>\s]+>(\s*,\s*<mailto:[^>\s]+>)?$/);
      const url = /<(https?:\/\/[^>]+)>/.exec(listUnsubscribe)![1]!;
      expect(url).to.match(/^http:\/\/store\.test\/newsletter\/unsubscribe\?token=\d+\.[A-Za-z0-9_-]{43}$/);
      expect(headerOf(m, 'List-Unsubscribe-Post')).to.equal('List-Unsubscribe=One-Click');
      expect(linkIn(m, '/newsletter/unsubscribe')).to.equal(url);
      expect(m.html).to.include(`href="${url}"`).and.include('Unsubscribe</a>');
      expect(m.html).to.include('Ten new rangoli books &lt;b&gt;this week&lt;/b&gt;.');
      // The outbox keeps neither the body nor the headers once sent (they hold a live link).
      const sent = await env.t.db('email_outbox').where({ to_address: row.email, subject: 'Diwali picks' }).first();
      expect(sent).to.include({ status: 'sent', html: '', text: '', headers: null });
      // Other mail has no such headers.
      const confirm = env.mailbox.to(row.email).find((x) => /newsletter subscription$/.test(x.subject ?? ''))!;
      expect(headerOf(confirm, 'List-Unsubscribe')).to.equal(undefined);
    });

    it('the one-click POST with no cookie and no CSRF token unsubscribes; a forged or altered token is refused and changes nothing', async () => {
      const row = await subscribed();
      const other = await subscribed();
      const url = new URL(/<(https?:\/\/[^>]+)>/.exec(headerOf(await campaignTo(row), 'List-Unsubscribe')!)![1]!);
      const token = url.searchParams.get('token')!;
      const [id, sig] = token.split('.') as [string, string];
      const flip = (s: string) => s.slice(0, -1) + (s.at(-1) === 'A' ? 'B' : 'A');
      const forged = [
        `${id}.${flip(sig)}`, // altered signature
        `${other.id}.${sig}`, // another subscriber's id with this signature
        `${id}.${'A'.repeat(43)}`,
        `${id}`,
        'garbage',
        '',
      ];
      for (const bad of forged) {
        const res = await post(`/newsletter/unsubscribe?token=${encodeURIComponent(bad)}`).type('form').send('List-Unsubscribe=One-Click');
        expect(res.status, bad).to.equal(400);
        expect(res.text).to.include('This unsubscribe link is not valid');
      }
      expect((await subscriberOf(row.email)).status).to.equal('subscribed');
      expect((await subscriberOf(other.email)).status).to.equal('subscribed');
      expect((await consentsOf(row.email)).map((c) => c.action)).to.deep.equal(['requested', 'confirmed']);

      // As a mail provider sends it: form-encoded body, no cookie, no token, from its own network.
      const res = await post(url.pathname + url.search, '192.0.2.200').type('form').send('List-Unsubscribe=One-Click').expect(200);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(res.text).to.include('You are unsubscribed');
      const after = await subscriberOf(row.email);
      expect(after.status).to.equal('unsubscribed');
      expect(after.unsubscribed_at.toISOString()).to.equal(env.t.clock.now().toISOString());
      expect((await consentsOf(row.email)).at(-1)).to.include({ action: 'unsubscribed', source: 'one-click', ip: '192.0.2.200' });
      expect((await subscriberOf(other.email)).status).to.equal('subscribed');
      // Again: still fine, nothing more recorded.
      await post(url.pathname + url.search).type('form').send('List-Unsubscribe=One-Click').expect(200);
      expect(await consentsOf(row.email)).to.have.length(3);
      // And no newsletter for them any more.
      try {
        await env.t.deps.services.newsletter.queueNewsletterMail(row.id, { subject: 'x' });
        expect.fail('queued to an unsubscribed address');
      } catch (err) {
        expect((err as { code?: string }).code).to.equal('NOT_SUBSCRIBED');
      }
    });

    it('accepts the multipart body of RFC 8058 example', async () => {
      const row = await subscribed();
      const url = new URL(env.t.deps.services.newsletter.unsubscribeUrl(await subscriberOf(row.email)));
      const boundary = '---FormBoundaryjWmhtjORrn';
      await post(url.pathname + url.search)
        .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
        .send(`--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`)
        .expect(200);
      expect((await subscriberOf(row.email)).status).to.equal('unsubscribed');
      expect((await consentsOf(row.email)).at(-1)).to.include({ source: 'one-click' });
    });

    it('the unsubscribe link in the footer: GET asks and changes nothing; its button unsubscribes', async () => {
      const row = await subscribed();
      const link = new URL(linkIn(await campaignTo(row), '/newsletter/unsubscribe'));
      const page = await supertest(env.t.app).get(link.pathname + link.search).expect(200);
      expect(page.text).to.include(`Stop sending the ${env.t.config.storeName} newsletter to`).and.include(row.email);
      expect(page.headers['set-cookie']).to.equal(undefined);
      expect((await subscriberOf(row.email)).status).to.equal('subscribed');
      const action = /<form method="post" action="([^"]+)"/.exec(page.text)![1]!.replaceAll('&amp;', '&');
      expect(action).to.equal(link.pathname + link.search);
      await post(action).type('form').send({}).expect(200);
      expect((await subscriberOf(row.email)).status).to.equal('unsubscribed');
      expect((await consentsOf(row.email)).at(-1)).to.include({ action: 'unsubscribed', source: 'unsubscribe-page' });
      expect((await supertest(env.t.app).get(link.pathname + link.search).expect(200)).text).to.include('data-already-unsubscribed');
      await supertest(env.t.app).get('/newsletter/unsubscribe?token=1.bad').expect(400);
    });

    it('refuses to queue a newsletter whose template has no unsubscribe link', async () => {
      const row = await subscribed();
      const before = await env.t.db('email_outbox').where({ to_address: row.email }).count<{ n: string }[]>('* as n');
      try {
        await env.t.deps.services.newsletter.queueNewsletterMail(row.id, { subject: 'No footer', template: 'newsletter-confirm', data: { link: 'http://store.test/', hours: 1 } });
        expect.fail('queued a mail without an unsubscribe link');
      } catch (err) {
        expect((err as Error).message).to.include('has no unsubscribe link');
      }
      expect(await env.t.db('email_outbox').where({ to_address: row.email }).count<{ n: string }[]>('* as n')).to.deep.equal(before);
    });

    it('tokens: HMAC over id and nonce; a previous data key still verifies; another nonce does not', () => {
      const oldKey = Buffer.alloc(32, 1);
      const newKey = Buffer.alloc(32, 2);
      const s = { id: 42, unsubscribe_nonce: 'nonce-one' };
      const oldToken = signUnsubscribe(unsubscribeKeys({ current: oldKey, previous: [] }), s);
      expect(verifyUnsubscribe(unsubscribeKeys({ current: newKey, previous: [oldKey] }), s, oldToken)).to.equal(true);
      expect(verifyUnsubscribe(unsubscribeKeys({ current: newKey, previous: [] }), s, oldToken)).to.equal(false);
      expect(verifyUnsubscribe(unsubscribeKeys({ current: oldKey, previous: [] }), { ...s, unsubscribe_nonce: 'nonce-two' }, oldToken)).to.equal(false);
      expect(verifyUnsubscribe(unsubscribeKeys({ current: oldKey, previous: [] }), { ...s, id: 43 }, oldToken.replace(/^42/, '43'))).to.equal(false);
    });
  });

  describe('admin: subscribers (item 12)', () => {
    let admin: Agent;
    let adminToken: string;
    /** The admin's session cookie, for plain http requests that read the body as it arrives. */
    let adminCookie: string;
    before(async () => {
      const boss = await makeUser(env.t.db, { role: 'admin', email: uniqueEmail('boss') });
      admin = env.t.agent();
      const login = await apiLogin(admin, boss.email, boss.password);
      adminToken = login.body.csrfToken as string;
      adminCookie = ([] as string[]).concat(login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    });

    it('is for admins only', async () => {
      await supertest(env.t.app).get('/api/admin/subscribers').expect(401);
      await supertest(env.t.app).get('/admin/subscribers/export.csv').expect(303);
      const user = await makeUser(env.t.db);
      const agent = env.t.agent();
      await apiLogin(agent, user.email, user.password);
      await agent.get('/api/admin/subscribers').expect(403);
      await agent.get('/api/admin/subscribers/export.csv').expect(403);
    });

    it('lists newest first with search (email beginning), status filter, counts per status and 30 days of growth', async () => {
      const { db, clock } = env.t;
      const now = clock.now();
      const day = 86_400_000;
      const base = { source: 'footer', unsubscribe_nonce: 'n' };
      await db('newsletter_subscribers').insert([
        { ...base, email: 'kavya.one@example.test', status: 'subscribed', confirmed_at: new Date(now.getTime() - 2 * day), created_at: new Date(now.getTime() - 2 * day) },
        { ...base, email: 'kavya.two@example.test', status: 'subscribed', confirmed_at: new Date(now.getTime() - 2 * day) },
        { ...base, email: 'kavya.three@example.test', status: 'pending' },
        { ...base, email: 'kavya.four@example.test', status: 'bounced', confirmed_at: new Date(now.getTime() - 40 * day) },
        { ...base, email: 'zubin_x@example.test', status: 'unsubscribed', confirmed_at: new Date(now.getTime() - 1 * day), unsubscribed_at: now },
      ]);
      const counts = (await db('newsletter_subscribers').select('status').count('* as n').groupBy('status')) as { status: string; n: string }[];
      const expected = Object.fromEntries(['pending', 'subscribed', 'unsubscribed', 'bounced'].map((s) => [s, Number(counts.find((c) => c.status === s)?.n ?? 0)]));

      const all = await admin.get('/api/admin/subscribers').query({ q: 'KAVYA' }).expect(200);
      expect(all.body.items.map((i: { email: string }) => i.email)).to.deep.equal(['kavya.four@example.test', 'kavya.three@example.test', 'kavya.two@example.test', 'kavya.one@example.test']);
      expect(all.body.counts).to.deep.equal(expected);
      expect(all.body.growth).to.have.length(30);
      const ist = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(d);
      const growth = new Map((all.body.growth as { day: string; n: number }[]).map((g) => [g.day, g.n]));
      expect(growth.get(ist(now))).to.be.a('number');
      expect(growth.get(ist(new Date(now.getTime() - 2 * day)))).to.be.at.least(2);
      expect(growth.get(ist(new Date(now.getTime() - 1 * day)))).to.be.at.least(1);
      expect([...growth.keys()].at(-1)).to.equal(ist(now));
      expect([...growth.keys()].includes(ist(new Date(now.getTime() - 40 * day)))).to.equal(false);

      const filtered = await admin.get('/api/admin/subscribers').query({ q: 'kavya', status: 'subscribed' }).expect(200);
      expect(filtered.body.items.map((i: { email: string }) => i.email)).to.deep.equal(['kavya.two@example.test', 'kavya.one@example.test']);
      // Only the beginning matches, and % and _ are characters.
      expect((await admin.get('/api/admin/subscribers').query({ q: 'one@' }).expect(200)).body.items).to.deep.equal([]);
      expect((await admin.get('/api/admin/subscribers').query({ q: '%' }).expect(200)).body.items).to.deep.equal([]);
      expect((await admin.get('/api/admin/subscribers').query({ q: 'zubin_' }).expect(200)).body.items).to.have.length(1);
      expect((await admin.get('/api/admin/subscribers').query({ q: 'zubinx' }).expect(200)).body.items).to.have.length(0);
      const bad = await admin.get('/api/admin/subscribers').query({ status: 'deleted' }).expect(400);
      expect(bad.body.error.fields).to.have.property('status');
      await admin.get('/api/admin/subscribers').query({ sort: 'email' }).expect(400);
      await admin.get('/admin/subscribers').query({ status: 'nope' }).expect(400);

      const page = await admin.get('/admin/subscribers').query({ q: 'kavya', status: 'subscribed' }).expect(200);
      expect(page.text).to.include('kavya.two@example.test').and.not.include('kavya.three@example.test');
      expect(page.text).to.include(`data-count="subscribed">${expected.subscribed}<`).and.include('data-growth').and.include('<rect');
      expect(page.text).to.include('href="/admin/subscribers/export.csv?q=kavya&amp;status=subscribed"');
      expect(page.text).to.include('<a href="/admin/subscribers" class="active" aria-current="page">Subscribers</a>');
      const empty = await admin.get('/admin/subscribers').query({ q: 'nobody-here' }).expect(200);
      expect(empty.text).to.include('data-empty');
    });

    it('pages with a keyset cursor (50 a page)', async () => {
      const { db } = env.t;
      await db.raw("INSERT INTO newsletter_subscribers (email, status, source, unsubscribe_nonce) SELECT 'page' || lpad(g::text, 3, '0') || '@example.test', 'pending', 'home', 'n' FROM generate_series(1, 120) g");
      const first = await admin.get('/api/admin/subscribers').query({ q: 'page' }).expect(200);
      expect(first.body.items).to.have.length(50);
      expect(first.body.items[0].email).to.equal('page120@example.test');
      const second = await admin.get('/api/admin/subscribers').query({ q: 'page', before: first.body.next }).expect(200);
      expect(second.body.items[0].email).to.equal('page070@example.test');
      const third = await admin.get('/api/admin/subscribers').query({ q: 'page', before: second.body.next }).expect(200);
      expect(third.body.items).to.have.length(20);
      expect(third.body.next).to.equal(null);
      const html = await admin.get('/admin/subscribers').query({ q: 'page' }).expect(200);
      expect(html.text).to.include(`before=${first.body.next}`);
    });

    it('removes a subscriber by hand: unsubscribed, a consent row and an audit row, shown on their page', async () => {
      const row = await subscribed();
      const detail = await admin.get(`/admin/subscribers/${row.id}`).expect(200);
      expect(detail.text).to.include('Asked to subscribe').and.include('Confirmed by email link').and.include(consentText(env.t.config.storeName));
      expect((await admin.get(`/admin/subscribers/${row.id}/remove`).expect(200)).text).to.include('Remove from the list');
      expect((await subscriberOf(row.email)).status).to.equal('subscribed');
      await admin.post(`/admin/subscribers/${row.id}/remove`).type('form').send({}).expect(403);
      const res = await admin.post(`/admin/subscribers/${row.id}/remove`).type('form').send({ _csrf: adminToken }).expect(303);
      expect(res.headers.location).to.equal(`/admin/subscribers/${row.id}`);
      expect((await subscriberOf(row.email)).status).to.equal('unsubscribed');
      expect((await consentsOf(row.email)).at(-1)).to.include({ action: 'removed', source: 'admin' });
      const audit = await env.t.db('audit_log').where({ entity_type: 'subscriber', entity_id: row.id, action: 'subscriber.remove' });
      expect(audit).to.have.length(1);
      expect(audit[0].changes).to.deep.equal({ status: ['subscribed', 'unsubscribed'] });
      const after = await admin.get(`/admin/subscribers/${row.id}`).expect(200);
      expect(after.text).to.include('Removed by an admin').and.include(`Removed ${row.email} from the newsletter`);
      const api = await admin.post(`/api/admin/subscribers/${row.id}/remove`).set('X-CSRF-Token', adminToken).send({}).expect(200);
      expect(api.body).to.deep.equal({ ok: true, changed: false });
      await admin.get('/admin/subscribers/999999999').expect(404);
      await admin.get('/admin/subscribers/abc').expect(404);
    });

    it('exports CSV streamed from a cursor: 20,000 rows, chunked from the first bytes, formula cells defused, audited', async () => {
      const { db } = env.t;
      await db.raw(
        `INSERT INTO newsletter_subscribers (email, status, source, unsubscribe_nonce, confirmed_at)
         SELECT 'bulk' || g || '@example.test', 'subscribed', 'footer', 'n', now() FROM generate_series(1, 20000) g`,
      );
      await db('newsletter_subscribers').insert([
        { email: '=cmd@example.test', status: 'bounced', source: 'footer', unsubscribe_nonce: 'n' },
        { email: '+sum@example.test', status: 'bounced', source: 'footer', unsubscribe_nonce: 'n' },
        { email: '-x@example.test', status: 'bounced', source: 'footer', unsubscribe_nonce: 'n' },
        { email: '@at@example.test', status: 'bounced', source: 'footer', unsubscribe_nonce: 'n' },
        { email: 'a"b,c@example.test', status: 'bounced', source: 'footer', unsubscribe_nonce: 'n' },
      ]);
      const expected = Number(((await db('newsletter_subscribers').where({ status: 'subscribed' }).count('* as n')) as { n: string }[])[0]!.n);
      expect(expected).to.be.at.least(20_000);

      // Note when the database cursor has given its last row, to compare with the first byte's arrival.
      const model = env.t.deps.models.newsletterSubscribers;
      const realStream = model.streamAll;
      let cursorEndedAt = 0;
      model.streamAll = (...args) => {
        const stream = realStream(...args);
        stream.once('end', () => (cursorEndedAt = Date.now()));
        return stream;
      };
      // A real HTTP request, read chunk by chunk, to see the body arrive as it is made.
      const server = env.t.app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      try {
        const { chunks, headers, firstChunkAt, endAt } = await new Promise<{ chunks: Buffer[]; headers: http.IncomingHttpHeaders; firstChunkAt: number; endAt: number }>((resolve, reject) => {
          const req = http.get({ port, host: '127.0.0.1', path: '/admin/subscribers/export.csv?status=subscribed', headers: { Cookie: adminCookie, 'Accept-Encoding': 'identity' } }, (res) => {
            const got: Buffer[] = [];
            let first = 0;
            res.on('data', (c: Buffer) => {
              if (!first) first = Date.now();
              got.push(c);
            });
            res.on('end', () => resolve({ chunks: got, headers: res.headers, firstChunkAt: first, endAt: Date.now() }));
            res.on('error', reject);
          });
          req.on('error', reject);
        });
        expect(headers['content-type']).to.equal('text/csv; charset=utf-8');
        expect(headers['content-disposition']).to.equal('attachment; filename="subscribers-subscribed.csv"');
        expect(headers['transfer-encoding']).to.equal('chunked');
        expect(headers['content-length']).to.equal(undefined);
        expect(chunks.length).to.be.greaterThan(10);
        // Streamed: the first rows reached the client before the cursor had read the last ones.
        expect(cursorEndedAt).to.be.greaterThan(0);
        expect(firstChunkAt).to.be.lessThan(cursorEndedAt);
        expect(cursorEndedAt).to.be.at.most(endAt);
        const lines = Buffer.concat(chunks).toString('utf8').split('\r\n');
        expect(lines.pop()).to.equal('');
        expect(lines[0]).to.equal('id,email,status,source,created_at,confirmed_at,unsubscribed_at');
        expect(lines.length - 1).to.equal(expected);
        expect(lines.slice(1).every((l) => l.includes(',subscribed,'))).to.equal(true);
      } finally {
        model.streamAll = realStream;
        server.close();
      }

      const text = (await admin.get('/admin/subscribers/export.csv').query({ status: 'bounced' }).expect(200)).text;
      expect(text).to.include(",'=cmd@example.test,").and.include(",'+sum@example.test,").and.include(",'-x@example.test,").and.include(",'@at@example.test,");
      expect(text).to.include(',"a""b,c@example.test",');
      expect(text).not.to.match(/,[=+@-]/);
      const audits = await db('audit_log').where({ entity_type: 'subscriber', action: 'subscriber.export' });
      expect(audits.map((a) => a.summary)).to.include('Exported subscribers as CSV (subscribed)');
    });

    it('a client that leaves mid-export frees its database connection', async () => {
      const server = env.t.app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      try {
        for (let i = 0; i < 12; i++) {
          await new Promise<void>((resolve, reject) => {
            const req = http.get({ port, host: '127.0.0.1', path: '/admin/subscribers/export.csv', headers: { Cookie: adminCookie } }, (res) => {
              expect(res.statusCode).to.equal(200);
              res.once('data', () => {
                req.destroy();
                resolve();
              });
            });
            req.on('error', () => undefined);
            setTimeout(() => reject(new Error('no data')), 10_000);
          });
        }
        // More abandoned exports than the pool has connections, and queries still run.
        await new Promise((r) => setTimeout(r, 200));
        const res = await admin.get('/api/admin/subscribers').query({ status: 'pending' }).timeout(5000).expect(200);
        expect(res.body.items.length).to.be.greaterThan(0);
      } finally {
        server.close();
      }
    });

    it('csvCell: RFC 4180 quoting and formula defusing', () => {
      expect(csvCell('plain')).to.equal('plain');
      expect(csvCell('=1+1')).to.equal("'=1+1");
      expect(csvCell('+91 98')).to.equal("'+91 98");
      expect(csvCell('-2')).to.equal("'-2");
      expect(csvCell('@SUM(A1)')).to.equal("'@SUM(A1)");
      expect(csvCell('\tx')).to.equal("'\tx");
      expect(csvCell('=a,"b"')).to.equal(`"'=a,""b"""`);
      expect(csvCell(null)).to.equal('');
      expect(csvCell(new Date('2026-12-01T00:00:00Z'))).to.equal('2026-12-01T00:00:00.000Z');
      expect(csvCell(12)).to.equal('12');
    });
  });
});
