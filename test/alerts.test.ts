import { expect } from 'chai';
import type supertest from 'supertest';
import { discordPayload, redact, redactText, slackPayload, truncate, type AlertMessage } from '../src/lib/alert-format.js';
import { createLogger } from '../src/lib/logger.js';
import { createAlertDeliveryService } from '../src/services/alert-delivery-service.js';
import { createAlertService } from '../src/services/alert-service.js';
import { createScheduler, jobContextOf } from '../src/scheduler.js';
import type { AlertDeliveryRow } from '../src/models/alert-deliveries.js';
import { apiLogin, makeUser, uniqueEmail } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { discordProblems, slackProblems, startWebhookReceivers } from './support/webhook-receivers.js';

type Agent = ReturnType<typeof supertest.agent>;
type Receivers = Awaited<ReturnType<typeof startWebhookReceivers>>;

const SECRETS = ['hunter2-Pa55word', 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0', 'sk_live_ABCdef1234567890GHIjkl', 'ZmFrZVNlY3JldFRva2VuMTIzNDU2Nzg5MEFCQ0RFRg'];

describe('alerts: redaction and payload limits (issue 14)', () => {
  it('redact hides secret-looking keys and secrets inside text, and keeps the facts', () => {
    const out = redact({
      orderId: 42,
      amount: 49_900,
      password: 'hunter2',
      apiKey: 'abc',
      razorpay_signature: 'deadbeef',
      Authorization: 'Bearer abc.def.ghi',
      cookie: 'sid=s%3Aabc',
      card: { number: '4111 1111 1111 1111', cvv: '123' },
      nested: { sessionToken: 'x', list: ['token=abc123xyz', 'fine'] },
      note: 'login failed for db password=hunter2-Pa55word; header Authorization: Bearer sk_live_ABCdef1234567890GHIjkl',
      url: 'postgres://store:s3cret-pw@db.internal:5432/store',
      hex: 'key material 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928',
      b64: 'payload ZmFrZVNlY3JldFRva2VuMTIzNDU2Nzg5MEFCQ0RFRg==',
      paidNote: 'paid with 4111-1111-1111-1111 today',
      when: '1732440000000 ms, order 1234567890123',
      slug: '/products/sitar-samples-collection-for-film-scores',
    }) as Record<string, unknown>;
    expect(out).to.include({ orderId: 42, amount: 49_900, password: '[redacted]', apiKey: '[redacted]', razorpay_signature: '[redacted]', Authorization: '[redacted]', cookie: '[redacted]', card: '[redacted]' });
    expect(out.nested).to.deep.equal({ sessionToken: '[redacted]', list: ['token=[redacted]', 'fine'] });
    const text = JSON.stringify(out);
    for (const s of ['hunter2', 's3cret-pw', 'sk_live', '9f8e7d6c5b4a3928', 'ZmFrZVNlY3JldFRva2Vu', '4111']) expect(text).not.to.include(s);
    expect(out.url).to.equal('postgres://[redacted]@db.internal:5432/store');
    expect(out.paidNote).to.equal('paid with [redacted card] today');
    // Not secrets: ids, timestamps that fail the card check, slugs.
    expect(out.when).to.equal('1732440000000 ms, order 1234567890123');
    expect(out.slug).to.equal('/products/sitar-samples-collection-for-film-scores');
    expect(redactText('see https://discord.com/api/webhooks/123/abcDEF')).to.equal('see https://discord.com/api/webhooks/[redacted]');
  });

  it('truncate cuts with an ellipsis and never splits an emoji', () => {
    expect(truncate('abcdef', 4)).to.equal('abc…');
    expect(truncate('abc', 4)).to.equal('abc');
    const cut = truncate('ab😀cd', 4);
    expect(cut).to.equal('ab…');
    expect(cut.length).to.be.at.most(4);
  });

  it('a huge alert fits every Discord and Slack limit', () => {
    const now = new Date();
    const detail: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) detail[`fact${i}`] = 'x'.repeat(5000);
    const a: AlertMessage = { id: 1, kind: 'server_error', title: 'E'.repeat(200), detail: { route: `GET /${'r'.repeat(400)}`, ...detail }, occurrences: 3, first_seen_at: now, last_seen_at: now };
    const d = discordPayload(a, { storeName: 'S'.repeat(3000), now });
    expect(discordProblems(d)).to.deep.equal([]);
    expect(d.allowed_mentions).to.deep.equal({ parse: [] });
    expect(d.embeds[0]!.title.endsWith('…')).to.equal(true);
    const s = slackPayload(a, { storeName: 'S'.repeat(3000), now });
    expect(slackProblems(s)).to.deep.equal([]);
    // Slack mrkdwn cannot ping: < and > are escaped.
    const ping = slackPayload({ ...a, title: '<!channel> look', detail: {} }, { storeName: 'S', now });
    expect(JSON.stringify(ping)).not.to.include('<!channel>');
  });
});

describe('alerts: delivery to Discord and Slack (issue 14, items 1–3)', function () {
  this.timeout(120_000);
  let t: TestContext;
  let hooks: Receivers;
  let admin: Agent;
  let token: string;
  const delivery = () => t.deps.services.alertDelivery;
  const raise = (kind: Parameters<TestContext['deps']['services']['alerts']['raise']>[0]['kind'], fingerprint: string, title: string, detail: Record<string, unknown> = {}) => t.deps.services.alerts.raise({ kind, fingerprint, title, detail });
  const deliveriesOf = async (alertId: number) => (await t.db('alert_deliveries').where({ alert_id: alertId }).orderBy('channel')) as AlertDeliveryRow[];
  const onlyAlert = async (kind: string) => {
    const rows = await t.db('alerts').where({ kind }).orderBy('id');
    expect(rows, `${kind} alerts`).to.have.length(1);
    return rows[0] as { id: number; occurrences: number; status: string; detail: Record<string, unknown> };
  };

  before(async () => {
    hooks = await startWebhookReceivers();
    t = await createTestContext(hooks.env);
    const user = await makeUser(t.db, { role: 'admin', email: uniqueEmail('alerts-admin') });
    admin = t.agent();
    token = (await apiLogin(admin, user.email, user.password)).body.csrfToken as string;
  });
  after(async () => {
    await t?.close();
    await hooks?.close();
  });
  beforeEach(async () => {
    hooks.reset();
    await t.db('alert_deliveries').del();
    await t.db('alert_channels').del();
    await t.db('alerts').del();
    await t.db('email_outbox').del();
    await t.db('rate_limits').where('key', 'like', 'alert_test_user%').del();
  });

  it('folds repeats into one message with a count, then waits out the window before re-notifying', async () => {
    await raise('payment_failed', 'card_declined', 'Payment failed: card declined', { orderId: 7 });
    let r = await delivery().run();
    expect(r.sent).to.deep.equal({ discord: 1, slack: 1 });
    expect(JSON.stringify(hooks.discord.accepted()[0]!.body)).to.include('A payment failed');

    // Twelve more within the window: held, folding into one pending row.
    for (let i = 0; i < 12; i++) {
      t.clock.advance(20_000);
      await raise('payment_failed', 'card_declined', 'Payment failed: card declined', { orderId: 100 + i });
    }
    r = await delivery().run();
    expect(r.dispatched).to.equal(0);
    expect(hooks.discord.requests).to.have.length(1);
    const held = await t.db('alerts').where({ kind: 'payment_failed', status: 'pending' });
    expect(held).to.have.length(1);
    expect(held[0].occurrences).to.equal(12);

    // Once the window since the last send has passed: one message with the count.
    t.clock.advance(10 * 60_000 - 12 * 20_000 + 1000);
    r = await delivery().run();
    expect(r.sent).to.deep.equal({ discord: 1, slack: 1 });
    const discord = hooks.discord.accepted()[1]!.body as { embeds: { title: string }[] };
    expect(discord.embeds[0]!.title).to.match(/^12 failed payments in the last (10|11) min$/);
    const slack = hooks.slack.accepted()[1]!.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(slack.blocks[0]!.text!.text).to.equal(discord.embeds[0]!.title);
    expect(await t.db('alerts').where({ kind: 'payment_failed', status: 'sent' })).to.have.length(2);
  });

  it('honours Discord’s retry_after and Slack’s Retry-After: nothing is sent to that channel before then', async () => {
    hooks.discord.queue({ status: 429, retryAfter: 2.5 });
    hooks.slack.queue({ status: 429, retryAfter: 30 });
    await raise('webhook_signature', 'bad-sig', 'A webhook failed its signature check');
    let r = await delivery().run();
    expect(r.sent).to.deep.equal({ discord: 0, slack: 0 });
    const channels = await t.db('alert_channels').orderBy('channel');
    expect(channels.map((c) => [c.channel, new Date(c.blocked_until).getTime() - t.clock.now().getTime()])).to.deep.equal([['discord', 2500], ['slack', 30_000]]);

    // Another alert and another run before the wait ends: no request to either channel.
    await raise('job_failed', 'x TypeError', 'x failed', { job: 'x' });
    r = await delivery().run();
    expect(r.dispatched).to.equal(1);
    expect(hooks.discord.requests).to.have.length(1);
    expect(hooks.slack.requests).to.have.length(1);

    t.clock.advance(2_600);
    r = await delivery().run();
    expect(r.sent).to.deep.equal({ discord: 2, slack: 0 });
    expect(hooks.slack.requests).to.have.length(1);
    t.clock.advance(30_000);
    r = await delivery().run();
    expect(r.sent.slack).to.equal(2);
    const rows = await t.db('alert_deliveries').orderBy('id');
    expect(rows.every((d) => d.status === 'sent')).to.equal(true);
    // A 429 is a wait, not a failed try.
    expect(rows.map((d) => d.attempts)).to.deep.equal([1, 1, 1, 1]);
  });

  it('backs off on 5xx and gives up after the bound; Slack is delivered meanwhile', async () => {
    hooks.discord.always({ status: 500 });
    await raise('backup_failed', 'nightly', 'The nightly backup failed', { error: 'pg_dump: server version mismatch' });
    await delivery().run();
    expect(hooks.slack.accepted()).to.have.length(1);
    const [d] = (await t.db('alert_deliveries').where({ channel: 'discord' })) as AlertDeliveryRow[];
    expect(d).to.include({ status: 'failed', attempts: 1, last_status_code: 500 });
    expect(new Date(d!.next_attempt_at).getTime() - t.clock.now().getTime()).to.equal(30_000);

    // Not before the backoff.
    t.clock.advance(29_000);
    await delivery().run();
    expect(hooks.discord.requests).to.have.length(1);
    const gaps: number[] = [];
    for (let i = 0; i < 20; i++) {
      const row = ((await t.db('alert_deliveries').where({ channel: 'discord' })) as AlertDeliveryRow[])[0]!;
      if (row.status === 'given_up') break;
      gaps.push(new Date(row.next_attempt_at).getTime() - t.clock.now().getTime());
      t.clock.set(new Date(row.next_attempt_at));
      await delivery().run();
    }
    const final = ((await t.db('alert_deliveries').where({ channel: 'discord' })) as AlertDeliveryRow[])[0]!;
    expect(final).to.include({ status: 'given_up', attempts: 8, last_status_code: 500 });
    expect(hooks.discord.requests).to.have.length(8);
    // Exponential: each wait twice the one before.
    expect(gaps.slice(0, 4)).to.deep.equal([1000, 60_000, 120_000, 240_000]);
    t.clock.advance(24 * 3_600_000);
    await delivery().run();
    expect(hooks.discord.requests).to.have.length(8);
  });

  it('a 4xx other than 429 gives up at once (bad URL or payload)', async () => {
    hooks.slack.queue({ status: 404, body: 'channel_not_found' });
    await raise('amount_mismatch', 'order-9', 'Paid amount does not match order 9');
    await delivery().run();
    t.clock.advance(3_600_000);
    await delivery().run();
    expect(hooks.slack.requests).to.have.length(1);
    const slack = ((await t.db('alert_deliveries').where({ channel: 'slack' })) as AlertDeliveryRow[])[0]!;
    expect(slack).to.include({ status: 'given_up', attempts: 1, last_status_code: 404 });
    expect(slack.last_error).to.include('channel_not_found');
    expect(((await t.db('alert_deliveries').where({ channel: 'discord' })) as AlertDeliveryRow[])[0]!.status).to.equal('sent');
  });

  it('a huge alert is delivered within the limits (the receivers answer 400 to any violation)', async () => {
    const detail: Record<string, unknown> = { route: `POST /${'x'.repeat(3000)}` };
    for (let i = 0; i < 80; i++) detail[`k${i}`] = `${'long value '.repeat(600)}`;
    await raise('server_error', 'huge', `Error: ${'E'.repeat(10_000)}`, detail);
    const r = await delivery().run();
    expect(r.sent).to.deep.equal({ discord: 1, slack: 1 });
    expect(hooks.discord.requests.map((q) => q.problems)).to.deep.equal([[]]);
    expect(hooks.slack.requests.map((q) => q.problems)).to.deep.equal([[]]);
  });

  it('a storm sends no more than the per-run cap and folds the rest into a summary', async () => {
    for (let i = 0; i < 30; i++) await raise(i % 2 ? 'payment_failed' : 'unknown_order_webhook', `storm-${i}`, `Storm alert ${i}`);
    const r = await delivery().run();
    expect(r.dispatched).to.equal(30);
    expect(hooks.discord.requests).to.have.length(5);
    expect(hooks.slack.requests).to.have.length(5);
    expect(hooks.discord.requests.every((q) => q.status === 204)).to.equal(true);
    const last = JSON.stringify(hooks.discord.requests[4]!.body);
    expect(last).to.include('26 more alerts (26 kinds)');
    // Discord's 5 per 2 s and Slack's 1 a second: paced.
    const gaps = (rs: { at: number }[]) => rs.slice(1).map((q, i) => q.at - rs[i]!.at);
    expect(Math.min(...gaps(hooks.slack.requests))).to.be.at.least(1000);
    expect(hooks.discord.requests.at(-1)!.at - hooks.discord.requests[0]!.at).to.be.at.least(1500);
    const folded = await t.db('alerts').whereNotNull('folded_into');
    expect(folded).to.have.length(26);
  });

  it('two workers running at once send each alert once per channel', async () => {
    for (let i = 0; i < 3; i++) await raise('job_failed', `race-${i}`, `Job race-${i} failed`, { job: `race-${i}` });
    const other = createAlertDeliveryService({ db: t.db, alerts: t.deps.models.alerts, deliveries: t.deps.models.alertDeliveries, alertService: t.deps.services.alerts, audit: t.deps.services.audit, clock: t.clock, logger: t.deps.logger, settings: t.config.alerts, storeName: 'Test' });
    await Promise.all([delivery().run(), other.run()]);
    expect(hooks.discord.requests).to.have.length(3);
    expect(hooks.slack.requests).to.have.length(3);
    const titles = hooks.discord.requests.map((q) => (q.body as { embeds: { title: string }[] }).embeds[0]!.title).sort();
    expect(titles).to.deep.equal(['Job race-0 failed', 'Job race-1 failed', 'Job race-2 failed']);
  });

  it('without webhooks, alerts are only logged and marked so', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (s: string) => void lines.push(s) } });
    const alertService = createAlertService({ alerts: t.deps.models.alerts, clock: t.clock, logger });
    const logOnly = createAlertDeliveryService({ db: t.db, alerts: t.deps.models.alerts, deliveries: t.deps.models.alertDeliveries, alertService, audit: t.deps.services.audit, clock: t.clock, logger, settings: { ...t.config.alerts, discordWebhookUrl: undefined, slackWebhookUrl: undefined }, storeName: 'Test' });
    await alertService.raise({ kind: 'coupon_over_limit', fingerprint: 'DIWALI', title: 'Coupon DIWALI used beyond its limit' });
    const r = await logOnly.run();
    expect(r.dispatched).to.equal(1);
    const row = await onlyAlert('coupon_over_limit');
    expect(row.status).to.equal('logged');
    expect(await deliveriesOf(row.id)).to.deep.equal([]);
    expect(hooks.discord.requests).to.have.length(0);
    expect(lines.join('')).to.include('alert (no Discord/Slack webhook set): A coupon was used beyond its limit');
  });

  it('a route that throws raises exactly one server_error alert, with route pattern and request id, and no secret', async () => {
    const catalog = t.deps.services.catalog;
    const original = catalog.getProduct;
    catalog.getProduct = (async () => {
      throw new TypeError(`connect to postgres://store:${SECRETS[0]}@db failed password=${SECRETS[0]} token=${SECRETS[1]} Authorization: Bearer ${SECRETS[2]} ${SECRETS[3]}`);
    }) as typeof original;
    try {
      const res = await t.agent().get('/api/products/sitar-samples').set('X-Request-Id', 'req-alert-test-0001').expect(500);
      expect(JSON.stringify(res.body)).not.to.include(SECRETS[0]);
      await t.agent().get('/api/products/other-product').expect(500);
    } finally {
      catalog.getProduct = original;
    }
    // Raised after the response, without making the request wait.
    const deadline = Date.now() + 5000;
    while ((await t.db('alerts').where({ kind: 'server_error' }).first('occurrences'))?.occurrences !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const row = await onlyAlert('server_error');
    expect(row.occurrences).to.equal(2);
    expect(row.detail).to.include({ route: 'GET /api/products/:slug', error: 'TypeError' });
    expect(row.detail.requestId).to.be.a('string');
    expect(await t.db('alerts').where({ kind: 'server_error' }).first('fingerprint')).to.deep.equal({ fingerprint: 'TypeError GET /api/products/:slug' });

    await delivery().run();
    const received = hooks.discord.raw() + hooks.slack.raw();
    expect(received).to.include('2 server errors on GET /api/products/:slug');
    for (const s of SECRETS) expect(received).not.to.include(s);
    expect(JSON.stringify(await t.db('alerts').where({ kind: 'server_error' }))).not.to.include(SECRETS[0]);
  });

  it('a failing Agenda job raises job_failed with its name and error', async () => {
    const scheduler = createScheduler(jobContextOf(t.deps), {
      processEvery: 100,
      lockLifetimeMs: 2000,
      definitions: [{ name: 'explode-for-alerts', define: (agenda) => agenda.define('explode-for-alerts', async () => { throw new RangeError(`out of range secret=${SECRETS[1]}`); }) }],
    });
    await scheduler.start();
    try {
      await scheduler.agenda.now('explode-for-alerts');
      const deadline = Date.now() + 10_000;
      while (!(await t.db('alerts').where({ kind: 'job_failed' }).first()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await scheduler.stop(2000);
    }
    const row = await onlyAlert('job_failed');
    expect(row.detail).to.include({ job: 'explode-for-alerts', error: 'RangeError' });
    expect(JSON.stringify(row)).not.to.include(SECRETS[1]);
    await delivery().run();
    expect(JSON.stringify(hooks.discord.accepted()[0]!.body)).to.include('Job explode-for-alerts failed');
  });

  it('mail stuck in the outbox over 30 min raises mail_stuck, at most once an hour', async () => {
    const now = t.clock.now().getTime();
    await t.db('email_outbox').insert([
      { to_address: 'a@example.test', subject: 'S', html: '', text: '', template: 't', status: 'pending', created_at: new Date(now - 31 * 60_000), next_attempt_at: new Date(now) },
      { to_address: 'b@example.test', subject: 'S', html: '', text: '', template: 't', status: 'failed', created_at: new Date(now - 45 * 60_000), next_attempt_at: new Date(now) },
      { to_address: 'c@example.test', subject: 'S', html: '', text: '', template: 't', status: 'pending', created_at: new Date(now - 5 * 60_000), next_attempt_at: new Date(now) },
    ]);
    await delivery().run();
    const row = await onlyAlert('mail_stuck');
    expect(row.detail).to.include({ waiting: 2 });
    expect(JSON.stringify(hooks.slack.accepted()[0]!.body)).to.include('2 emails have waited over 30 min in the outbox');
    t.clock.advance(60_000);
    await delivery().run();
    expect(await t.db('alerts').where({ kind: 'mail_stuck' })).to.have.length(1);
  });

  it('the admin page lists alerts with each channel’s status, code, error and time, and the channels by host only', async () => {
    const empty = await admin.get('/admin/alerts').expect(200);
    expect(empty.text).to.include('data-empty').and.include('No alerts yet');
    hooks.slack.always({ status: 500 });
    await raise('restore_drill_failed', 'drill', 'The restore drill failed: 3 tables differ');
    await delivery().run();
    const page = await admin.get('/admin/alerts').expect(200);
    const id = (await onlyAlert('restore_drill_failed')).id;
    expect(page.text).to.include(`data-alert-id="${id}"`).and.include('The restore drill failed');
    expect(page.text).to.match(/data-delivery-channel="discord" data-delivery-status="sent"[\s\S]*?204/);
    expect(page.text).to.match(/data-delivery-channel="slack" data-delivery-status="failed"[\s\S]*?500[\s\S]*?rollup_error/);
    // The channels: host only, never the webhook path (its token is a secret).
    expect(page.text).to.include(new URL(hooks.discord.url).host);
    expect(page.text).not.to.include(new URL(hooks.discord.url).pathname);
    expect(page.text).not.to.include(new URL(hooks.slack.url).pathname);
    expect(page.text).to.include('href="/admin/alerts"');
    const api = await admin.get('/api/admin/alerts').expect(200);
    expect(api.body.alerts[0].deliveries.map((d: { channel: string; status: string }) => `${d.channel}:${d.status}`)).to.deep.equal(['discord:sent', 'slack:failed']);
    expect(JSON.stringify(api.body)).not.to.include(new URL(hooks.slack.url).pathname);
  });

  it('“Send test alert” delivers a test alert at once, is audited, needs CSRF and is throttled', async () => {
    await admin.post('/admin/alerts/test').type('form').send({}).expect(403);
    expect(hooks.discord.requests).to.have.length(0);
    const res = await admin.post('/admin/alerts/test').type('form').send({ _csrf: token }).expect(303);
    expect(res.headers.location).to.equal('/admin/alerts');
    expect(hooks.discord.accepted()).to.have.length(1);
    expect(hooks.slack.accepted()).to.have.length(1);
    expect(JSON.stringify(hooks.discord.accepted()[0]!.body)).to.include('Test alert: delivery works');
    const row = await onlyAlert('test');
    expect(row.status).to.equal('sent');
    expect(await t.db('audit_log').where({ action: 'alert.test', entity_type: 'alert', entity_id: row.id })).to.have.length(1);
    const page = await admin.get('/admin/alerts').expect(200);
    expect(page.text).to.include('Test alert sent to Discord and Slack.');
    for (let i = 0; i < 4; i++) await admin.post('/api/admin/alerts/test').set('X-CSRF-Token', token).send({}).expect(201);
    await admin.post('/api/admin/alerts/test').set('X-CSRF-Token', token).send({}).expect(429);
    expect(await t.db('alerts').where({ kind: 'test' })).to.have.length(5);
  });

  it('the CLI’s direct test reaches each channel and reports each answer', async () => {
    hooks.slack.queue({ status: 429, retryAfter: 7 });
    const results = await delivery().sendTestDirect();
    expect(results.map((r) => [r.channel, r.result.ok, r.result.status])).to.deep.equal([['discord', true, 204], ['slack', false, 429]]);
    expect(results[1]!.result.retryAfterMs).to.equal(7000);
    expect(results[0]!.host).to.equal(new URL(hooks.discord.url).host);
  });

  it('non-admins get 403 from the API and the test button, and the page sends them to sign in', async () => {
    const user = await makeUser(t.db, { email: uniqueEmail('not-admin') });
    const agent = t.agent();
    const csrf = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const page = await agent.get('/admin/alerts').expect(303);
    expect(page.headers.location).to.match(/^\/login/);
    expect(page.text).not.to.include('Send test alert');
    await agent.get('/api/admin/alerts').expect(403);
    await agent.post('/api/admin/alerts/test').set('X-CSRF-Token', csrf).send({}).expect(403);
    await agent.post('/admin/alerts/test').type('form').send({ _csrf: csrf }).expect(303);
    expect(await t.db('alerts').where({ kind: 'test' })).to.have.length(0);
  });
});
