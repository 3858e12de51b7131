import { expect } from 'chai';
import { DELIVER_EMAIL } from '../jobs/deliver-email.js';
import { createScheduler, jobContextOf } from '../src/scheduler.js';
import type { TestContext } from './support/context.js';
import { csrf, GOOD_PASSWORD, uniqueEmail } from './support/accounts.js';
import { mailTo, tokenIn, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

describe('email outbox', () => {
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  before(() => ({ t, mailbox } = env));

  async function waitForRow(email: string, predicate: (r: { status: string; attempts: number }) => boolean) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const row = await t.db('email_outbox').where({ to_address: email }).orderBy('id', 'desc').first();
      if (row && predicate(row)) return row;
      if (Date.now() > deadline) throw new Error(`outbox row for ${email} never matched: ${JSON.stringify(row)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('SMTP down: the sign-up still succeeds, and the mail is sent once when SMTP is back', async () => {
    mailbox.setDown(true);
    const email = uniqueEmail();
    const agent = t.agent();
    const token = await csrf(agent);
    await agent.post('/api/auth/signup').set('X-CSRF-Token', token).send({ email, password: GOOD_PASSWORD, name: 'Outage' }).expect(201);
    const failed = await waitForRow(email, (r) => r.attempts === 1 && r.status !== 'sending');
    expect(failed.status).to.equal('pending');
    expect(failed.last_error).to.be.a('string');
    expect(failed.next_attempt_at.getTime()).to.be.greaterThan(t.clock.now().getTime());
    expect(mailbox.to(email)).to.have.length(0);

    // Not due yet: the retry job leaves it alone.
    expect(await t.deps.mail.deliverDue()).to.equal(0);

    mailbox.setDown(false);
    t.clock.advance(61_000);
    // The worker's job, run through Agenda as in production.
    const scheduler = createScheduler(jobContextOf(t.deps), { processEvery: 100, lockLifetimeMs: 2000, definitions: [(await import('../jobs/deliver-email.js')).deliverEmailJob] });
    await scheduler.agenda.start();
    await scheduler.agenda.now(DELIVER_EMAIL);
    const mail = await mailbox.waitFor(mailTo(email));
    await scheduler.stop(2000);
    expect(tokenIn(mail, '/verify-email')).to.have.length.greaterThan(20);
    const sent = await waitForRow(email, (r) => r.status === 'sent');
    expect(sent.attempts).to.equal(2);

    // Later runs find nothing more to send: one email, not two.
    t.clock.advance(3600_000);
    expect(await t.deps.mail.deliverDue()).to.equal(0);
    // Every send was awaited above, and the SMTP server stores a message before it answers.
    expect(mailbox.to(email)).to.have.length(1);
  });

  it("sends a message once even when five senders race for it (requests' sendSoon and the retry job)", async () => {
    const id = await t.deps.mail.queue('password-changed', 'race@example.test', 'Race test', { name: 'Race', resetLink: 'http://store.test/forgot-password' });
    const [a, b, c, byJob1, byJob2] = await Promise.all([t.deps.mail.deliver(id), t.deps.mail.deliver(id), t.deps.mail.deliver(id), t.deps.mail.deliverDue(), t.deps.mail.deliverDue()]);
    expect([a, b, c].filter((r) => r === 'sent').length + byJob1 + byJob2).to.equal(1);
    // Every deliver call has returned, so every send attempt is over.
    expect(mailbox.to('race@example.test')).to.have.length(1);
    expect((await t.db('email_outbox').where({ id }).first()).status).to.equal('sent');
  });

  it('rolls the email back with the change it belongs to', async () => {
    const before = await t.db('email_outbox').count<{ count: number }[]>('* as count');
    let queued: number | undefined;
    const outcome = await t.db
      .transaction(async (trx) => {
        queued = await t.deps.mail.queue('password-changed', 'rollback@example.test', 'Never sent', { name: 'X', resetLink: 'x' }, trx);
        throw new Error('abort');
      })
      .then(
        () => 'committed',
        (err: Error) => err.message,
      );
    // queue itself worked (it returned an id inside the transaction); the rollback undid it.
    expect(outcome).to.equal('abort');
    expect(queued).to.be.a('number');
    expect(await t.db('email_outbox').count<{ count: number }[]>('* as count')).to.deep.equal(before);
  });

  it('renders HTML and text parts with links built from BASE_URL, not the Host header', async () => {
    const email = uniqueEmail();
    const agent = t.agent();
    const token = await csrf(agent);
    await agent.post('/api/auth/signup').set('Host', 'evil.example').set('X-CSRF-Token', token).send({ email, password: GOOD_PASSWORD, name: 'Host Check' }).expect(201);
    const mail = await mailbox.waitFor(mailTo(email));
    expect(mail.text).to.include('http://store.test/verify-email?token=').and.not.include('evil.example');
    expect(mail.html).to.include('href="http://store.test/verify-email?token=');
    expect(mail.from?.text).to.include('Pixel Bazaar');
  });
});
