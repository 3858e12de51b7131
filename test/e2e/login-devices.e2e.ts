import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser, uniqueEmail } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, report, signIn, signInContext } from '../support/layout-check.js';

const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36';

/** login-devices: a sign-in from a new phone shows on the admin's customer page, which still fits phones. */
describe('e2e: login-devices', function () {
  this.timeout(180_000);
  const env = useBrowserApp();
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  it('a customer signs in on a laptop and then a phone; the admin sees the new device and both devices', async () => {
    const user = await makeUser(t.db, { name: 'Meenakshi Sundaram Iyer', email: uniqueEmail('two-devices') });
    const laptop = await browser.newContext();
    const page = await laptop.newPage();
    const problems = watchForProblems(page);
    await signIn(page, baseUrl, user.email, user.password);
    const phone = await browser.newContext({ userAgent: ANDROID_CHROME, viewport: { width: 390, height: 800 } });
    const phonePage = await phone.newPage();
    await signIn(phonePage, baseUrl, user.email, user.password);
    expect(await t.db('login_events').where({ user_id: user.id }).orderBy('id').pluck('new_device')).to.deep.equal([true, true]);

    const admin = await makeUser(t.db, { role: 'admin', email: uniqueEmail('boss') });
    const adminContext = await signInContext(browser, baseUrl, admin.email, admin.password);
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${baseUrl}/admin/customers/${user.id}`);
    const known = adminPage.locator('[data-known-devices]');
    await expect(await known.locator('tbody tr').count()).to.equal(2);
    expect(await known.textContent()).to.include('Chrome on Android');
    expect(await adminPage.locator('[data-sign-ins] .badge', { hasText: 'New device' }).count()).to.equal(2);
    await screenshot(adminPage, 'login-devices/admin-customer-desktop');
    await adminPage.close();

    const lonely = await makeUser(t.db, { name: 'Never Signed In' });
    report(await checkPages(adminContext, baseUrl, [
      ['login-devices-customer', `/admin/customers/${user.id}`],
      ['login-devices-customer-empty', `/admin/customers/${lonely.id}`],
    ]));
    expect(problems).to.deep.equal([]);
    await Promise.all([laptop.close(), phone.close(), adminContext.close()]);
  });
});
