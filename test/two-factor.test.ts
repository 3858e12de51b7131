import { expect } from 'chai';
import type { TestContext } from './support/context.js';
import { apiLogin, makeUser, totpCode } from './support/accounts.js';
import { mailTo, type Mailbox, useAppWithMailbox } from './support/mailbox.js';

describe('accounts: two-factor sign-in', () => {
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  before(() => ({ t, mailbox } = env));

  // Tests move the clock to fresh TOTP steps; each starts from the same time again.
  let startedAt: Date;
  before(() => (startedAt = t.clock.now()));
  afterEach(() => t.clock.set(startedAt));

  /** Signs in (no 2FA yet), sets up TOTP, returns the secret and recovery codes. */
  async function enrolTotp() {
    const user = await makeUser(t.db);
    const agent = t.agent();
    let csrfToken = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const setup = await agent.post('/api/auth/2fa/totp/setup').set('X-CSRF-Token', csrfToken).send({}).expect(200);
    expect(setup.body.qrDataUrl).to.match(/^data:image\/png;base64,/);
    expect(setup.body.uri).to.match(/^otpauth:\/\/totp\/Pixel%20Bazaar:/);
    const secret = setup.body.secret as string;
    const enabled = await agent.post('/api/auth/2fa/totp/enable').set('X-CSRF-Token', csrfToken).send({ code: totpCode(secret, t.clock), password: user.password }).expect(200);
    csrfToken = enabled.body.csrfToken;
    return { user, agent, secret, recoveryCodes: enabled.body.recoveryCodes as string[], csrfToken };
  }

  /** Moves the clock to the start of the next 30-second step (a fresh TOTP code). */
  function nextStep() {
    const now = t.clock.now().getTime();
    t.clock.set(new Date(now - (now % 30_000) + 30_000));
  }

  it('enrols an authenticator app: wrong code or password refused, secret stored encrypted', async () => {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const csrfToken = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const { body } = await agent.post('/api/auth/2fa/totp/setup').set('X-CSRF-Token', csrfToken).send({}).expect(200);
    const wrongCode = await agent.post('/api/auth/2fa/totp/enable').set('X-CSRF-Token', csrfToken).send({ code: '000000', password: user.password }).expect(400);
    expect(wrongCode.body.error.fields).to.have.key('code');
    const wrongPassword = await agent.post('/api/auth/2fa/totp/enable').set('X-CSRF-Token', csrfToken).send({ code: totpCode(body.secret, t.clock), password: 'not the password' }).expect(400);
    expect(wrongPassword.body.error.fields).to.have.key('password');
    let row = await t.db('users').where({ id: user.id }).first();
    expect(row.totp_enabled_at).to.equal(null);

    const ok = await agent.post('/api/auth/2fa/totp/enable').set('X-CSRF-Token', csrfToken).send({ code: totpCode(body.secret, t.clock), password: user.password }).expect(200);
    expect(ok.body.recoveryCodes).to.have.length(10);
    row = await t.db('users').where({ id: user.id }).first();
    expect(row.totp_enabled_at).to.be.instanceOf(Date);
    expect(row.totp_secret_enc).to.match(/^v2\./).and.not.include(body.secret);
    const stored = await t.db('recovery_codes').where({ user_id: user.id }).pluck('code_hash');
    expect(stored).to.have.length(10);
    for (const c of ok.body.recoveryCodes as string[]) expect(stored).not.to.include(c);
    const status = await agent.get('/api/auth/2fa').expect(200);
    expect(status.body).to.include({ totp: true, email: false, recoveryCodesLeft: 10 });
    // The secret is never handed out again once active.
    await agent.post('/api/auth/2fa/totp/setup').set('X-CSRF-Token', ok.body.csrfToken).send({}).expect(409);
  });

  it('asks for a TOTP code at login, accepts it once per step, and tolerates one step of drift', async () => {
    const { user, secret } = await enrolTotp();
    nextStep();
    const agent = t.agent();
    const step1 = await apiLogin(agent, user.email, user.password);
    expect(step1.status).to.equal(200);
    expect(step1.body).to.include({ twoFactorRequired: true });
    expect(step1.body.methods).to.deep.equal(['totp']);
    await agent.get('/api/auth/me').expect(401); // not signed in until the second step

    const code = totpCode(secret, t.clock);
    const wrong = await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code: code === '123456' ? '654321' : '123456' }).expect(401);
    expect(wrong.body.error.code).to.equal('INVALID_CODE');
    const ok = await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code }).expect(200);
    expect(ok.body.user.twoFactor).to.deep.equal(['totp']);
    await agent.get('/api/auth/me').expect(200);
    const event = await t.db('login_events').where({ user_id: user.id }).orderBy('id', 'desc').first();
    expect(event.method).to.equal('password+totp');

    // The same code again (another login within the same step) is refused.
    const replay = t.agent();
    const r1 = await apiLogin(replay, user.email, user.password);
    await replay.post('/api/auth/login/2fa').set('X-CSRF-Token', r1.body.csrfToken).send({ code }).expect(401);

    // A code from the previous step is still accepted right after the step changes (clock drift)…
    nextStep();
    const drift = t.agent();
    const d1 = await apiLogin(drift, user.email, user.password);
    t.clock.advance(30_000);
    await drift.post('/api/auth/login/2fa').set('X-CSRF-Token', d1.body.csrfToken).send({ code: totpCode(secret, t.clock, -1) }).expect(200);
    // …but not two steps back.
    const old = t.agent();
    const o1 = await apiLogin(old, user.email, user.password);
    await old.post('/api/auth/login/2fa').set('X-CSRF-Token', o1.body.csrfToken).send({ code: totpCode(secret, t.clock, -3) }).expect(401);
  });

  it('accepts each recovery code once', async () => {
    const { user, recoveryCodes } = await enrolTotp();
    const a = t.agent();
    const a1 = await apiLogin(a, user.email, user.password);
    await a.post('/api/auth/login/2fa').set('X-CSRF-Token', a1.body.csrfToken).send({ code: recoveryCodes[0]!.toLowerCase() }).expect(200);
    const b = t.agent();
    const b1 = await apiLogin(b, user.email, user.password);
    await b.post('/api/auth/login/2fa').set('X-CSRF-Token', b1.body.csrfToken).send({ code: recoveryCodes[0] }).expect(401);
    expect((await t.db('recovery_codes').where({ user_id: user.id }).whereNotNull('used_at')).length).to.equal(1);
  });

  it('emails a 6-digit code that expires after 10 minutes', async () => {
    const user = await makeUser(t.db);
    const setup = t.agent();
    const s1 = await apiLogin(setup, user.email, user.password);
    await setup.post('/api/auth/2fa/email/enable').set('X-CSRF-Token', s1.body.csrfToken).send({ password: user.password }).expect(200);

    const agent = t.agent();
    const step1 = await apiLogin(agent, user.email, user.password);
    expect(step1.body.methods).to.deep.equal(['email']);
    const mail = await mailbox.waitFor((m) => mailTo(user.email)(m) && /sign-in code/.test(m.subject ?? ''));
    const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1]!;
    const stored = await t.db('user_tokens').where({ user_id: user.id, purpose: 'email_otp' }).first();
    expect(stored.token_hash).not.to.include(code);

    t.clock.advance(10 * 60_000 + 1000);
    await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code }).expect(401);
    t.clock.advance(-(10 * 60_000 + 1000));
  });

  it('allows 5 tries per emailed code, and a resend does not reset the count', async () => {
    const user = await makeUser(t.db);
    const setup = t.agent();
    const s1 = await apiLogin(setup, user.email, user.password);
    await setup.post('/api/auth/2fa/email/enable').set('X-CSRF-Token', s1.body.csrfToken).send({ password: user.password }).expect(200);

    const agent = t.agent();
    const step1 = await apiLogin(agent, user.email, user.password);
    const csrfToken = step1.body.csrfToken as string;
    const first = await mailbox.waitFor((m) => mailTo(user.email)(m) && /sign-in code/.test(m.subject ?? ''));
    const firstCode = /\b(\d{6})\b/.exec(first.text ?? '')![1]!;
    const wrongCode = firstCode === '111111' ? '222222' : '111111';
    for (let i = 0; i < 3; i++) await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', csrfToken).send({ code: wrongCode }).expect(401);

    const count = mailbox.to(user.email).length;
    await agent.post('/api/auth/login/2fa/email').set('X-CSRF-Token', csrfToken).send({}).expect(202);
    await mailbox.waitFor(() => mailbox.to(user.email).length > count);
    const second = mailbox.to(user.email).at(-1)!;
    const secondCode = /\b(\d{6})\b/.exec(second.text ?? '')![1]!;
    // The first code no longer works after a resend (and this counts as try 4).
    if (secondCode !== firstCode) await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', csrfToken).send({ code: firstCode }).expect(401);
    else await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', csrfToken).send({ code: wrongCode }).expect(401);
    const fifth = await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', csrfToken).send({ code: secondCode === '333333' ? '444444' : '333333' });
    expect(fifth.status).to.equal(429);
    expect(fifth.body.error.code).to.equal('CODE_ATTEMPTS_EXHAUSTED');
    // Even the right code is refused now; the user must sign in again.
    await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', csrfToken).send({ code: secondCode }).expect(429);
    await agent.get('/api/auth/me').expect(401);
  });

  it('turning 2FA off needs the password and changes the session id', async () => {
    const { user, agent, csrfToken } = await enrolTotp();
    const before = await t.db('session').where({ user_id: user.id }).pluck('sid');
    await agent.post('/api/auth/2fa/totp/disable').set('X-CSRF-Token', csrfToken).send({ password: 'wrong password!!' }).expect(400);
    const off = await agent.post('/api/auth/2fa/totp/disable').set('X-CSRF-Token', csrfToken).send({ password: user.password }).expect(200);
    const after = await t.db('session').where({ user_id: user.id }).pluck('sid');
    expect(after).to.have.length(1);
    expect(before).not.to.include(after[0]);
    expect(off.body.csrfToken).to.be.a('string');
    const row = await t.db('users').where({ id: user.id }).first();
    expect(row).to.include({ totp_secret_enc: null, totp_enabled_at: null });
    expect(await t.db('recovery_codes').where({ user_id: user.id })).to.have.length(0);
    const next = await apiLogin(t.agent(), user.email, user.password);
    expect(next.body.user).to.exist;
  });

  it('throttles wrong second-factor codes per account (429)', async () => {
    const { user, secret } = await enrolTotp();
    const agent = t.agent();
    const step1 = await apiLogin(agent, user.email, user.password);
    const good = totpCode(secret, t.clock);
    const bad = good === '000000' ? '999999' : '000000';
    for (let i = 0; i < 10; i++) await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code: bad }).expect(401);
    const blocked = await agent.post('/api/auth/login/2fa').set('X-CSRF-Token', step1.body.csrfToken).send({ code: good }).expect(429);
    expect(Number(blocked.headers['retry-after'])).to.be.greaterThan(0);
  });
});
