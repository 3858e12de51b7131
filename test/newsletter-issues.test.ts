import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import type supertest from 'supertest';
import { sendNewsletterJob } from '../jobs/send-newsletter.js';
import { jobDefinitions } from '../jobs/index.js';
import { toIstLocal } from '../src/lib/india-time.js';
import { htmlToText, renderMarkdown } from '../src/services/newsletter-issue-service.js';
import { apiLogin, makeUser, uniqueEmail } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory } from './support/factories.js';
import { mailTo, startMailbox, type Mailbox } from './support/mailbox.js';

type Agent = ReturnType<typeof supertest.agent>;

const BASE = 'https://store.test';
const BOUNCER = 'bounce-me@example.test';

const header = (m: ParsedMail, name: string) => {
  const line = m.headerLines.find((h) => h.key === name.toLowerCase());
  return line ? line.line.slice(line.line.indexOf(':') + 1).trim() : undefined;
};
const recipientOf = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)?.value[0]?.address?.toLowerCase() ?? '';

/** A fresh list: everyone before leaves it, then `n` confirmed subscribers (one statement). */
async function freshList(t: TestContext, n: number, prefix: string): Promise<string[]> {
  await t.db('newsletter_subscribers').where({ status: 'subscribed' }).update({ status: 'unsubscribed' });
  await t.db.raw(
    `INSERT INTO newsletter_subscribers (email, status, source, unsubscribe_nonce, confirmed_at)
     SELECT ? || '-' || g || '@example.test', 'subscribed', 'page', md5(? || g::text), now() FROM generate_series(1, ?) g`,
    [prefix, prefix, n],
  );
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}@example.test`);
}

/** Newsletter issues and offer campaigns (issue 14, items 10–11). */
describe('newsletter issues and campaigns (issue 14, items 10–11)', function () {
  this.timeout(60_000);
  let mailbox: Mailbox;
  let t: TestContext;
  let admin: Agent;
  let csrf: string;
  let adminEmail: string;

  before(async () => {
    mailbox = await startMailbox({ rejectRecipient: (a) => a === BOUNCER });
    t = await createTestContext({ SMTP_URL: mailbox.url, BASE_URL: BASE, NEWSLETTER_RATE_PER_MINUTE: '600000', NEWSLETTER_SEND_CONCURRENCY: '4' });
    const a = await makeUser(t.db, { role: 'admin', email: uniqueEmail('editor') });
    adminEmail = a.email;
    admin = t.agent();
    csrf = (await apiLogin(admin, a.email, a.password)).body.csrfToken as string;
  });
  after(async () => {
    await t?.close();
    await mailbox?.close();
  });

  const api = (path: string, body: Record<string, unknown> = {}) => admin.post(`/api/admin/newsletter${path}`).set('X-CSRF-Token', csrf).send(body);
  const draft = async (over: Record<string, string> = {}) => {
    const res = await api('', { subject: 'November news', preheader: 'Three new packs', body: '## Hello\n\nNew **brushes** are in. [See them](/products)', ...over }).expect(201);
    return res.body.issue.id as number;
  };
  const issueRow = (id: number) => t.db('newsletter_issues').where({ id }).first();
  const tick = () => t.deps.services.newsletterIssues.tick({ budgetMs: 20_000 });

  it('renders Markdown to an allowlist: scripts, handlers, javascript: and foreign images are removed', () => {
    const html = renderMarkdown(
      [
        '# Title',
        '<script>alert(1)</script>',
        '<img src="https://cdn.example/x.png" onerror="alert(2)">',
        '[click](javascript:alert(3)) [JaVa](JAVASCRIPT:alert(4)) [ent](jav&#x61;script:alert(5))',
        '<a href="https://ok.example" onclick="alert(6)" style="color:red">ok</a> [mail](mailto:help@store.test) [here](/products?x=1)',
        '![local](/media/images/a.webp) ![plain](http://insecure.example/y.png) ![data](data:image/png;base64,AAAA)',
        '<iframe src="https://evil.example"></iframe><style>body{}</style><form><input></form>',
        '> quoted `code`',
        '',
        '---',
      ].join('\n\n'),
      BASE,
    );
    expect(html).to.not.match(/<script|onerror|onclick|javascript:|<iframe|<style|<form|<input|style="color|data:image|insecure\.example/i);
    expect(html).to.include('<h1>Title</h1>');
    expect(html).to.include('<a href="https://ok.example" rel="noopener">ok</a>');
    expect(html).to.include('href="mailto:help@store.test" rel="noopener"');
    expect(html).to.include(`href="${BASE}/products?x=1"`);
    expect(html).to.include(`src="${BASE}/media/images/a.webp"`);
    expect(html).to.include('src="https://cdn.example/x.png"');
    expect(html).to.include('<blockquote>').and.include('<code>code</code>').and.include('<hr />');
    expect(htmlToText('<p>Fish &amp; chips <a href="https://x.example" rel="noopener">menu</a></p>')).to.equal('Fish & chips menu (https://x.example)');
  });

  it('creates, edits and previews an issue in the email template; the preview is sandboxed; every change is audited', async () => {
    const id = await draft({ body: 'Hi <script>alert(1)</script> **there** <img src=x onerror=alert(1)>' });
    const page = await admin.get(`/admin/newsletter/${id}`).expect(200);
    expect(page.text).to.include('November news').and.include(`src="/admin/newsletter/${id}/preview"`).and.include('sandbox=""').and.include('data-send-test');
    const preview = await admin.get(`/admin/newsletter/${id}/preview`).expect(200);
    expect(preview.headers['content-security-policy']).to.include('sandbox').and.include("default-src 'none'");
    expect(preview.text).to.include('<strong>there</strong>').and.include('data-unsubscribe').and.include('Three new packs');
    expect(preview.text).to.not.match(/<script>alert|onerror/);

    const form = await admin.post(`/admin/newsletter/${id}`).type('form').send({ _csrf: csrf, subject: 'December news', preheader: '', body: 'Fresh **text**' }).expect(303);
    expect(form.headers.location).to.equal(`/admin/newsletter/${id}#preview`);
    expect((await admin.get(`/admin/newsletter/${id}/preview`)).text).to.include('Fresh <strong>text</strong>');
    // Bad input: 400 with field messages, nothing changed.
    const bad = await admin.post(`/admin/newsletter/${id}`).type('form').send({ _csrf: csrf, subject: '', preheader: '', body: 'x' }).expect(400);
    expect(bad.text).to.include('data-field-error="subject"');
    await api('', { subject: 'x'.repeat(151), body: 'b' }).expect(400);
    expect((await issueRow(id)).subject).to.equal('December news');
    const audit = await t.db('audit_log').where({ entity_type: 'newsletter_issue', entity_id: id }).orderBy('id').pluck('action');
    expect(audit).to.deep.equal(['newsletter_issue.create', 'newsletter_issue.update']);
  });

  it('sends a test only to the signed-in admin, marked [Test], and throttles test sends', async () => {
    await freshList(t, 3, 'testsend');
    const id = await draft({ subject: 'Test me' });
    const before = mailbox.messages.length;
    const res = await api(`/${id}/test`).expect(200);
    expect(res.body.to).to.equal(adminEmail);
    const m = await mailbox.waitFor((x) => mailTo(adminEmail)(x) && x.subject === '[Test] Test me');
    expect(m.text).to.include('Test copy');
    await new Promise((r) => setTimeout(r, 200));
    expect(mailbox.messages.slice(before).map(recipientOf)).to.deep.equal([adminEmail.toLowerCase()]);
    expect(Number((await t.db('newsletter_sends').where({ issue_id: id }).count('* as n').first())!.n)).to.equal(0);
    expect((await issueRow(id)).status).to.equal('draft');
    for (let i = 0; i < 4; i++) await api(`/${id}/test`).expect(200);
    await api(`/${id}/test`).expect(429);
  });

  it('schedules in India time and starts when the movable clock reaches it; a past time is refused', async () => {
    const list = await freshList(t, 5, 'sched');
    const id = await draft({ subject: 'Scheduled issue' });
    await api(`/${id}/schedule`, { scheduledAt: toIstLocal(new Date(t.clock.now().getTime() - 60_000)) }).expect(400);
    const at = new Date(t.clock.now().getTime() + 2 * 3_600_000);
    const res = await api(`/${id}/schedule`, { scheduledAt: toIstLocal(at) }).expect(200);
    expect(new Date(res.body.issue.scheduledAt).getTime()).to.equal(Math.floor(at.getTime() / 60_000) * 60_000);
    expect((await tick()).started).to.deep.equal([]);
    expect(mailbox.messages.filter((m) => m.subject === 'Scheduled issue')).to.have.length(0);
    t.clock.advance(2 * 3_600_000 + 1000);
    const r = await tick();
    expect(r.started).to.deep.equal([id]);
    expect(r.finished).to.deep.equal([id]);
    const got = mailbox.messages.filter((m) => m.subject === 'Scheduled issue').map(recipientOf).sort();
    expect(got).to.deep.equal([...list].sort());
    const row = await issueRow(id);
    expect(row).to.include({ status: 'sent', sent_count: 5, recipient_count: 5 });
    const list2 = await admin.get('/admin/newsletter').expect(200);
    expect(list2.text).to.include(`data-issue-id="${id}" data-status="sent"`);
  });

  it('each mail carries the one-click unsubscribe headers, List-Id and Precedence; the one-click POST works without a session', async () => {
    const [first] = await freshList(t, 2, 'headers');
    const id = await draft({ subject: 'Header check' });
    await api(`/${id}/send`).expect(200);
    await tick();
    const m = mailbox.messages.find((x) => x.subject === 'Header check' && recipientOf(x) === first)!;
    const lu = header(m, 'List-Unsubscribe')!;
    expect(lu).to.match(/^<https:\/\/store\.test\/newsletter\/unsubscribe\?token=\d+\.[A-Za-z0-9_-]{43}>$/);
    expect(header(m, 'List-Unsubscribe-Post')).to.equal('List-Unsubscribe=One-Click');
    expect(header(m, 'List-Id')).to.match(/newsletter <newsletter\.store\.test>$/);
    expect(header(m, 'Precedence')).to.equal('bulk');
    const sub = await t.db('newsletter_subscribers').where({ email: first }).first();
    expect(m.messageId).to.equal(`<newsletter-${id}-${sub.id}@store.test>`);
    expect(m.text).to.include(lu.slice(1, -1));
    // The mailbox provider's POST: no cookie, no CSRF token.
    const url = new URL(lu.slice(1, -1));
    await t.agent().post(url.pathname + url.search).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect((await t.db('newsletter_subscribers').where({ email: first }).first()).status).to.equal('unsubscribed');
  });

  it('a 5xx refusal marks the send and the subscriber bounced, and later issues skip them', async () => {
    await freshList(t, 3, 'bounce');
    await t.db('newsletter_subscribers').insert({ email: BOUNCER, status: 'subscribed', source: 'page', unsubscribe_nonce: 'n'.repeat(22), confirmed_at: new Date() }).onConflict('email').merge({ status: 'subscribed' });
    const id = await draft({ subject: 'Bounce check' });
    await api(`/${id}/send`).expect(200);
    await tick();
    const bouncer = await t.db('newsletter_subscribers').where({ email: BOUNCER }).first();
    expect(bouncer.status).to.equal('bounced');
    const send = await t.db('newsletter_sends').where({ issue_id: id, subscriber_id: bouncer.id }).first();
    expect(send.status).to.equal('bounced');
    expect(send.error).to.match(/550/);
    expect(await issueRow(id)).to.include({ status: 'sent', sent_count: 3, bounced_count: 1 });
    const page = await admin.get(`/admin/newsletter/${id}`).expect(200);
    expect(page.text).to.include('data-problems').and.include(BOUNCER);
    // The next issue never goes to the bounced address.
    const next = await draft({ subject: 'After the bounce' });
    await api(`/${next}/send`).expect(200);
    await tick();
    expect(await t.db('newsletter_sends').where({ issue_id: next, subscriber_id: bouncer.id }).first()).to.equal(undefined);
    expect(await issueRow(next)).to.include({ sent_count: 3, bounced_count: 0, recipient_count: 3 });
  });

  it('a 4xx refusal is retried later with a bound, not bounced', async () => {
    const [one] = await freshList(t, 1, 'soft');
    const id = await draft({ subject: 'Soft failure' });
    await api(`/${id}/send`).expect(200);
    mailbox.setDown(true);
    try {
      await tick();
    } finally {
      mailbox.setDown(false);
    }
    const sub = await t.db('newsletter_subscribers').where({ email: one }).first();
    let send = await t.db('newsletter_sends').where({ issue_id: id }).first();
    expect(send).to.include({ status: 'pending', attempts: 1 });
    expect(sub.status).to.equal('subscribed');
    expect((await issueRow(id)).status).to.equal('sending');
    t.clock.advance(61_000);
    await tick();
    send = await t.db('newsletter_sends').where({ issue_id: id }).first();
    expect(send).to.include({ status: 'sent', attempts: 2 });
    expect((await issueRow(id)).status).to.equal('sent');
  });

  it('someone who unsubscribes between the copy of the list and their send is skipped, never mailed', async () => {
    const [leaver, stayer] = await freshList(t, 2, 'leaver');
    const id = await draft({ subject: 'Leaver check' });
    await api(`/${id}/send`).expect(200);
    // The list is copied (what a job run does first) …
    await t.db.transaction((trx) => t.deps.models.newsletterIssues.materialiseBatch(id, 5000, t.clock.now(), trx));
    expect(Number((await t.db('newsletter_sends').where({ issue_id: id }).count('* as n').first())!.n)).to.equal(2);
    // … then one of them unsubscribes through their signed link, before the sender reaches them.
    const sub = await t.db('newsletter_subscribers').where({ email: leaver }).first();
    const url = new URL(t.deps.services.newsletter.unsubscribeUrl(sub));
    await t.agent().post(url.pathname + url.search).type('form').send('List-Unsubscribe=One-Click').expect(200);
    await tick();
    expect(mailbox.messages.filter((m) => m.subject === 'Leaver check').map(recipientOf)).to.deep.equal([stayer]);
    expect((await t.db('newsletter_sends').where({ issue_id: id, subscriber_id: sub.id }).first()).status).to.equal('skipped');
    expect(await issueRow(id)).to.include({ status: 'sent', sent_count: 1, skipped_count: 1 });
  });

  it('two job runs at once (two workers) send each subscriber exactly one copy', async () => {
    const list = await freshList(t, 300, 'twice');
    const id = await draft({ subject: 'Two workers' });
    await api(`/${id}/send`).expect(200);
    const [a, b] = await Promise.all([tick(), tick()]);
    expect(a.sent + b.sent).to.equal(300);
    const got = mailbox.messages.filter((m) => m.subject === 'Two workers').map(recipientOf);
    expect(got).to.have.length(300);
    expect(new Set(got)).to.deep.equal(new Set(list));
    expect(await issueRow(id)).to.include({ status: 'sent', sent_count: 300, recipient_count: 300 });
  });

  it('the documented window: a send accepted by SMTP but not recorded (worker died) is sent again after the lease, with the same Message-ID', async () => {
    const [only] = await freshList(t, 1, 'window');
    const id = await draft({ subject: 'Window check' });
    await api(`/${id}/send`).expect(200);
    const m = t.deps.models.newsletterIssues;
    await t.db.transaction((trx) => m.materialiseBatch(id, 5000, t.clock.now(), trx));
    // A sender claims the row and the server takes the mail, then the sender dies before its UPDATE.
    const claimed = (await m.claimNext(id, t.clock.now()))!;
    await t.deps.mail.sendDirect({ to: claimed.email, subject: 'Window check', html: '<p>x</p>', text: 'x', headers: { 'Message-ID': `<newsletter-${id}-${claimed.subscriber_id}@store.test>` } });
    // Within the lease nobody touches it (its sender may still be alive) …
    await tick();
    expect((await t.db('newsletter_sends').where({ issue_id: id }).first()).status).to.equal('sending');
    // … after it, it is sent again: at-least-once, and the copies share their Message-ID.
    t.clock.advance(t.config.newsletter.leaseMs + 1000);
    await tick();
    const copies = mailbox.messages.filter((x) => x.subject === 'Window check' && recipientOf(x) === only);
    expect(copies).to.have.length(2);
    expect(new Set(copies.map((c) => c.messageId)).size).to.equal(1);
    expect(await issueRow(id)).to.include({ status: 'sent', sent_count: 1 });
  });

  it('cancels a scheduled issue (nothing goes out) and refuses to cancel a draft', async () => {
    await freshList(t, 2, 'cancel');
    const id = await draft({ subject: 'Cancelled one' });
    await api(`/${id}/cancel`).expect(409);
    await api(`/${id}/schedule`, { scheduledAt: toIstLocal(new Date(t.clock.now().getTime() + 3_600_000)) }).expect(200);
    const res = await admin.post(`/admin/newsletter/${id}/cancel`).type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).to.equal(`/admin/newsletter/${id}`);
    t.clock.advance(2 * 3_600_000);
    await tick();
    expect(mailbox.messages.filter((m) => m.subject === 'Cancelled one')).to.have.length(0);
    expect((await issueRow(id)).status).to.equal('cancelled');
    // A finished issue cannot be edited or sent again.
    await api(`/${id}/send`).expect(409);
    await admin.put(`/api/admin/newsletter/${id}`).set('X-CSRF-Token', csrf).send({ subject: 'x', body: 'y' }).expect(409);
    const audit = await t.db('audit_log').where({ entity_type: 'newsletter_issue', entity_id: id }).orderBy('id').pluck('action');
    expect(audit).to.deep.equal(['newsletter_issue.create', 'newsletter_issue.schedule', 'newsletter_issue.cancel']);
  });

  it('"Email this offer to subscribers" makes an offer campaign draft prefilled from the offer', async () => {
    const category = await makeCategory(t.db, { name: 'Brush Packs', slug: 'brush-packs' });
    const [offer] = await t.db('offers')
      .insert({ name: 'Diwali Sale', kind: 'coupon', code: 'DIWALI20', discount_type: 'percent', amount: 20, scope: 'categories', starts_at: new Date('2026-11-01T18:30:00Z'), ends_at: new Date('2026-11-05T18:29:00Z'), is_active: true })
      .returning('id');
    await t.db('offer_categories').insert({ offer_id: offer.id, category_id: category.id });
    const deal = await admin.get(`/admin/deals/${offer.id}`).expect(200);
    expect(deal.text).to.include(`action="/admin/deals/${offer.id}/campaign"`).and.include('Email this offer to subscribers');
    const res = await admin.post(`/admin/deals/${offer.id}/campaign`).type('form').send({ _csrf: csrf }).expect(303);
    const id = Number(/\/admin\/newsletter\/(\d+)/.exec(String(res.headers.location))![1]);
    const row = await issueRow(id);
    expect(row).to.include({ kind: 'offer', offer_id: offer.id, status: 'draft', subject: 'Diwali Sale: 20% off' });
    expect(row.body_md).to.include('**DIWALI20**').and.include('2 Nov 2026, 12:00 am').and.include('5 Nov 2026, 11:59 pm').and.include(`${BASE}/products?category=brush-packs`).and.include('Brush Packs');
    const page = await admin.get(`/admin/newsletter/${id}`).expect(200);
    expect(page.text).to.include('data-offer-link').and.include(`href="/admin/deals/${offer.id}"`);
    expect((await admin.get(`/admin/newsletter/${id}/preview`)).text).to.include('<strong>DIWALI20</strong>');
    await admin.post('/admin/deals/999999/campaign').type('form').send({ _csrf: csrf }).expect(404);
  });

  it('lists issues newest first with keyset pages', async () => {
    await t.db.raw("INSERT INTO newsletter_issues (subject, body_md) SELECT 'Bulk issue ' || g, 'x' FROM generate_series(1, 30) g");
    const first = await admin.get('/api/admin/newsletter').expect(200);
    expect(first.body.items).to.have.length(25);
    const ids = first.body.items.map((i: { id: number }) => i.id);
    expect(ids).to.deep.equal([...ids].sort((x: number, y: number) => y - x));
    const second = await admin.get('/api/admin/newsletter').query({ before: first.body.next }).expect(200);
    expect(second.body.items[0].id).to.be.lessThan(ids.at(-1));
    const html = await admin.get('/admin/newsletter').expect(200);
    expect(html.text).to.include('data-issues').and.include('rel="next"');
    await admin.get('/api/admin/newsletter').query({ page: 2 }).expect(400);
  });

  it('is for admins only: 403 for a customer (pages send them to sign in), and nothing is created', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const token = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const before = Number((await t.db('newsletter_issues').count('* as n').first())!.n);
    await agent.get('/api/admin/newsletter').expect(403);
    await agent.post('/api/admin/newsletter').set('X-CSRF-Token', token).send({ subject: 's', body: 'b' }).expect(403);
    await agent.post('/api/admin/deals/1/campaign').set('X-CSRF-Token', token).send({}).expect(403);
    const page = await agent.get('/admin/newsletter').expect(303);
    expect(String(page.headers.location)).to.match(/^\/login\?next=/);
    await t.agent().get('/api/admin/newsletter').expect(401);
    expect(Number((await t.db('newsletter_issues').count('* as n').first())!.n)).to.equal(before);
  });

  it('runs as the send-newsletter job every minute', () => {
    expect(jobDefinitions).to.include(sendNewsletterJob);
    expect(sendNewsletterJob).to.include({ name: 'send-newsletter', every: '1 minute' });
  });
});

/**
 * The big one: 10,000 subscribers against the capture SMTP server, the sender in a child process
 * killed with SIGKILL in the middle of sending, then another started. Every subscriber must
 * have exactly one copy.
 */
describe('newsletter issues: 10,000 subscribers, the sender killed mid-send', function () {
  this.timeout(150_000);
  const N = 10_000;
  const KILL_AFTER = 600;
  let mailbox: Mailbox;
  let t: TestContext;
  let holding = false;
  let accepted = 0;
  let reachedKillPoint: () => void;
  const killPoint = new Promise<void>((r) => (reachedKillPoint = r));
  const children: ChildProcess[] = [];

  before(async () => {
    mailbox = await startMailbox({
      lean: true,
      // At the kill point the server stops answering: every sender lane is left waiting for a
      // 250 it never gets (mid-transaction, nothing delivered), and then the process is killed.
      beforeAccept: () => {
        if (holding) return new Promise<boolean>(() => undefined);
        if (++accepted === KILL_AFTER) {
          holding = true;
          reachedKillPoint();
        }
        return true;
      },
    });
    t = await createTestContext({ SMTP_URL: mailbox.url, BASE_URL: BASE });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.close();
    await mailbox?.close();
  });

  function startWorker(): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/newsletter-issues-worker.ts'], {
      env: { ...process.env, NEWSLETTER_WORKER_DB: t.url, SMTP_URL: mailbox.url, BASE_URL: BASE, NEWSLETTER_RATE_PER_MINUTE: '1000000', NEWSLETTER_SEND_CONCURRENCY: '8', NEWSLETTER_SEND_LEASE_SECONDS: '2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
    return { child, exited };
  }

  it('sends each of 10,000 subscribers exactly one copy across a SIGKILL and a restart, with the one-click headers', async () => {
    await freshList(t, N, 'bulk');
    // A few who are not confirmed or have left: never mailed.
    await t.db('newsletter_subscribers').insert([
      { email: 'pending-one@example.test', status: 'pending', source: 'page', unsubscribe_nonce: 'p'.repeat(22) },
      { email: 'gone-one@example.test', status: 'unsubscribed', source: 'page', unsubscribe_nonce: 'g'.repeat(22) },
    ]);
    const a = await makeUser(t.db, { role: 'admin' });
    const admin = t.agent();
    const csrf = (await apiLogin(admin, a.email, a.password)).body.csrfToken as string;
    const created = await admin.post('/api/admin/newsletter').set('X-CSRF-Token', csrf).send({ subject: 'The big one', body: '## Ten thousand\n\nOne copy **each**.' }).expect(201);
    const id = created.body.issue.id as number;
    await admin.post(`/api/admin/newsletter/${id}/send`).set('X-CSRF-Token', csrf).send({}).expect(200);

    const started = Date.now();
    const first = startWorker();
    await Promise.race([killPoint, first.exited.then((e) => Promise.reject(new Error(`worker exited early: ${e.code} ${e.stderr}`)))]);
    // Let the lanes that already got their 250 record it, then kill mid-send.
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).to.equal('SIGKILL');
    const beforeRestart = mailbox.messages.length;
    expect(beforeRestart).to.equal(KILL_AFTER);
    const inFlight = await t.db('newsletter_sends').where({ issue_id: id, status: 'sending' }).count('* as n').first();
    expect(Number(inFlight!.n)).to.be.greaterThan(0); // the kill really left sends in flight

    holding = false;
    const secondStart = Date.now();
    const second = startWorker();
    const done = await second.exited;
    expect(done.code, done.stderr).to.equal(0);
    const secondSecs = (Date.now() - secondStart) / 1000;
    const totalSecs = (Date.now() - started) / 1000;

    const recipients = mailbox.messages.map(recipientOf);
    const counts = new Map<string, number>();
    for (const r of recipients) counts.set(r, (counts.get(r) ?? 0) + 1);
    const confirmed = (await t.db('newsletter_subscribers').where({ status: 'subscribed' }).pluck('email')) as string[];
    expect(confirmed).to.have.length(N);
    expect([...counts.values()].filter((n) => n > 1), 'duplicates').to.deep.equal([]);
    expect(recipients).to.have.length(N);
    expect(new Set(recipients)).to.deep.equal(new Set(confirmed.map((e) => e.toLowerCase())));
    expect(await t.db('newsletter_issues').where({ id }).first()).to.include({ status: 'sent', sent_count: N, recipient_count: N, failed_count: 0 });
    expect(Number((await t.db('newsletter_sends').where({ issue_id: id }).whereNot({ status: 'sent' }).count('* as n').first())!.n)).to.equal(0);

    // Headers on every captured mail; a sample's one-click URL really unsubscribes.
    for (const m of mailbox.messages) {
      expect(header(m, 'List-Unsubscribe')).to.match(/^<https:\/\/store\.test\/newsletter\/unsubscribe\?token=\d+\.[\w-]{43}>$/);
      expect(header(m, 'List-Unsubscribe-Post')).to.equal('List-Unsubscribe=One-Click');
    }
    const sample = mailbox.messages[1234]!;
    const url = new URL(header(sample, 'List-Unsubscribe')!.slice(1, -1));
    await t.agent().post(url.pathname + url.search).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect((await t.db('newsletter_subscribers').where({ email: recipientOf(sample) }).first()).status).to.equal('unsubscribed');

    const rate = (N - beforeRestart) / secondSecs;
    console.log(`      send rate: ${rate.toFixed(0)} mails/s after the restart (${N - beforeRestart} in ${secondSecs.toFixed(1)} s, incl. process start and a 2 s lease wait); ${N} in ${totalSecs.toFixed(1)} s overall`);
  });
});
