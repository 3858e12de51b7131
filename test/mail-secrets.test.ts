import { expect } from 'chai';
import { pruneSentMail } from '../jobs/prune-sent-mail.js';
import { jobContextOf } from '../src/scheduler.js';
import { apiLogin, csrf, GOOD_PASSWORD, makeUser, uniqueEmail } from './support/accounts.js';
import type { TestContext } from './support/context.js';
import { mailTo, tokenIn, useAppWithMailbox } from './support/mailbox.js';

/** Every row of the outbox as text, to look for a secret anywhere in it. */
const outboxHolds = async (t: TestContext, secret: string) => Number(((await t.db.raw('SELECT count(*) AS n FROM email_outbox o WHERE o::text LIKE ?', [`%${secret}%`])).rows[0] as { n: string }).n);

describe('mail: no live secret rests in the database (issue 8, item 8)', () => {
  const env = useAppWithMailbox();

  it('after delivery no outbox row holds a verification or reset link, or a sign-in code; no code in a subject', async () => {
    const { t, mailbox } = env;
    const email = uniqueEmail();
    const agent = t.agent();
    const token = await csrf(agent);
    await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email, password: GOOD_PASSWORD, name: 'Secrets' }).expect(201);
    const verify = tokenIn(await mailbox.waitFor(mailTo(email)), '/verify-email');
    expect(verify).to.have.length.greaterThan(20);

    const user = await makeUser(t.db);
    const forgot = t.agent();
    const forgotToken = await csrf(forgot);
    await forgot.post('/api/auth/password/forgot').set('X-CSRF-Token', forgotToken).send({ email: user.email }).expect(202);
    const reset = tokenIn(await mailbox.waitFor((m) => mailTo(user.email)(m) && /Reset/.test(m.subject ?? '')), '/reset-password');

    const setup = t.agent();
    const s1 = await apiLogin(setup, user.email, user.password);
    await setup.post('/api/auth/2fa/email/enable').set('X-CSRF-Token', s1.body.csrfToken).send({ password: user.password }).expect(200);
    const login = t.agent();
    const step1 = await apiLogin(login, user.email, user.password);
    const otpMail = await mailbox.waitFor((m) => mailTo(user.email)(m) && /sign-in code/.test(m.subject ?? ''));
    const code = /\b(\d{6})\b/.exec(otpMail.text ?? '')![1]!;
    expect(otpMail.subject).not.to.match(/\d{6}/);

    for (const secret of [verify, reset, code]) expect(await outboxHolds(t, secret), secret).to.equal(0);
    const rows = await t.db('email_outbox').whereIn('to_address', [email, user.email]);
    expect(rows.every((r: { status: string; html: string; text: string }) => r.status === 'sent' && r.html === '' && r.text === '')).to.equal(true);
    // The code still works: it lives hashed in user_tokens, not in the outbox.
    await login.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code }).expect(200);
  });

  it('the prune job deletes sent and given-up mail past the retention period (30 days), and keeps newer or unsent mail', async () => {
    const { t } = env;
    const day = 86_400_000;
    const to = 'prune@example.test';
    const start = t.clock.now();
    const queue = (subject: string) => t.deps.mail.queue('password-changed', to, subject, { name: 'P', resetLink: 'http://store.test/forgot-password' });
    const queueAndSend = async (subject: string) => expect(await t.deps.mail.deliver(await queue(subject))).to.equal('sent');
    try {
      await queueAndSend('old sent');
      await t.db('email_outbox').insert({ to_address: to, subject: 'old failed', html: '', text: '', template: 'x', status: 'failed', attempts: 10, created_at: t.clock.now() });
      await queue('old but pending');
      t.clock.advance(20 * day);
      await queueAndSend('recent sent');
      t.clock.advance(10 * day + 60_000);
      const subjects = async () => (await t.db('email_outbox').where({ to_address: to }).orderBy('id').pluck('subject')) as string[];
      expect(await subjects()).to.deep.equal(['old sent', 'old failed', 'old but pending', 'recent sent']);

      const removed = await pruneSentMail(jobContextOf(t.deps));
      expect(removed).to.be.at.least(2);
      expect(await subjects()).to.deep.equal(['old but pending', 'recent sent']);
      // Nothing left anywhere in the outbox that was sent or given up on more than 30 days ago.
      const cutoff = new Date(t.clock.now().getTime() - 30 * day);
      expect(await t.db('email_outbox').where({ status: 'sent' }).andWhere('sent_at', '<', cutoff)).to.deep.equal([]);
      expect(await t.db('email_outbox').where({ status: 'failed' }).andWhere('created_at', '<', cutoff)).to.deep.equal([]);
    } finally {
      t.clock.set(start);
    }
  });

  it('prunes in batches until none is left', async () => {
    const { t } = env;
    const to = 'batches@example.test';
    const old = new Date(t.clock.now().getTime() - 40 * 86_400_000);
    await t.db('email_outbox').insert(Array.from({ length: 5 }, (_, i) => ({ to_address: to, subject: `s${i}`, html: '', text: '', template: 'x', status: 'sent', sent_at: old, created_at: old })));
    expect(await t.deps.models.emailOutbox.pruneBefore(t.clock.now(), 2)).to.be.at.least(5);
    expect(await t.db('email_outbox').where({ to_address: to })).to.deep.equal([]);
  });
});
