import { expect } from 'chai';
import { Secret, TOTP } from 'otpauth';
import type { Browser } from 'playwright-core';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { linkIn, mailTo, type Mailbox } from '../support/mailbox.js';

describe('e2e: a shopper creates an account and turns on two-step sign-in', () => {
  const env = useBrowserApp({ mailbox: true });
  let t: TestContext;
  let mailbox: Mailbox;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, mailbox, baseUrl, browser } = env));

  it('sign up → confirm by email → sign in → enable TOTP → sign out → sign in with a code', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchForProblems(page);
    const email = `e2e-${Date.now()}@example.test`;
    const password = 'monsoon mango chai 2026';

    await page.goto(baseUrl + '/');
    await page.getByRole('link', { name: 'Create account' }).click();
    await page.waitForURL(/\/signup$/);
    await page.getByLabel('Your name').fill('Priya Nair');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await screenshot(page, '10-signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await screenshot(page, '11-check-email');

    const mail = await mailbox.waitFor(mailTo(email));
    await page.goto(linkIn(mail, '/verify-email?token='));
    await screenshot(page, '12-verify-email');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.waitForURL(/\/login$/);
    expect(await page.locator('[data-flash]').textContent()).to.include('confirmed');

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await screenshot(page, '13-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account$/);
    expect(await page.getByRole('heading', { name: 'Your account' }).isVisible()).to.equal(true);

    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await page.locator('img.qr').waitFor();
    const secret = (await page.locator('[data-totp-secret]').textContent())!.trim();
    await screenshot(page, '14-account-totp-setup');
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    await page.locator('#totp-code').fill(totp.generate({ timestamp: t.clock.now().getTime() }));
    await page.locator('#totp-password').fill(password);
    await page.getByRole('button', { name: 'Turn on' }).first().click();
    await page.locator('[data-recovery-codes]').waitFor();
    expect(await page.locator('.recovery-codes li').count()).to.equal(10);
    await screenshot(page, '15-account-recovery-codes');

    await page.getByRole('button', { name: 'Sign out' }).click();
    // The home page's script strips ?signed-out=1 from the address bar at once, so waiting for that
    // URL races it; the confirmation banner is what the shopper sees.
    await page.locator('[data-signed-out]').waitFor();
    expect(new URL(page.url()).pathname).to.equal('/');
    expect(await page.getByRole('link', { name: 'Sign in' }).isVisible()).to.equal(true);

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/login\/2fa$/);
    await screenshot(page, '16-login-2fa');
    t.clock.advance(30_000); // the enrolment code's step is used; the app shows the next one
    await page.getByLabel('Code').fill(totp.generate({ timestamp: t.clock.now().getTime() }));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.waitForURL(/\/account$/);
    expect(await page.locator('[data-account-link]').isVisible()).to.equal(true);
    await screenshot(page, '17-account');

    const events = await t.db('login_events').join('users', 'users.id', 'login_events.user_id').where('users.email', email).orderBy('login_events.id');
    expect(events.map((e: { method: string }) => e.method)).to.deep.equal(['password', 'password+totp']);
    expect(events[0].browser).to.match(/Chrome/);
    expect(problems).to.deep.equal([]);
  });
});
