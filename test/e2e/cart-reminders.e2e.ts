import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, layoutProblems, report, signInContext, WIDTHS } from '../support/layout-check.js';
import { linkIn, mailTo, type Mailbox } from '../support/mailbox.js';

const HOUR = 3_600_000;

/**
 * Cart reminders in chromium: a signed-in shopper leaves two products in the cart, the job sends
 * the reminder an hour later, the mail's link brings them back to their cart, and its
 * unsubscribe link turns reminders off. Then the pages at phone and tablet widths.
 */
describe('e2e: cart reminders (return link and unsubscribe)', function () {
  this.timeout(300_000);
  const env = useBrowserApp({ seed: true, mailbox: true });
  let t: TestContext;
  let mailbox: Mailbox;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, mailbox, baseUrl, browser } = env));

  /** A verified shopper with the two cheapest demo products in the cart, and their reminder mail an hour later. */
  async function shopperWithReminder() {
    const user = await makeUser(t.db, { name: 'Meera Iyer' });
    const products = (await t.db('products').where({ is_visible: true }).orderBy('price_paise').limit(2).select('id', 'title')) as { id: number; title: string }[];
    for (const p of products) await t.deps.services.cart.add(user.id, p.id);
    t.clock.advance(HOUR + 60_000);
    await t.deps.services.cartReminders.run();
    const mail = await mailbox.waitFor((m) => mailTo(user.email)(m) && m.subject === 'You left something in your cart', 10_000);
    return { user, products, mail };
  }

  it('the reminder link brings a signed-in shopper to their cart; the unsubscribe link turns reminders off', async () => {
    const { user, products, mail } = await shopperWithReminder();
    const context = await signInContext(browser, baseUrl, user.email, user.password);
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const problems = watchForProblems(page);

    // The mail itself, as a phone's mail app would show it.
    const mailPage = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await mailPage.setContent(String(mail.html));
    await screenshot(mailPage, 'cart-reminders/05-reminder-mail-390');
    await mailPage.close();

    await page.goto(linkIn(mail, '/cart/return/'));
    expect(new URL(page.url()).pathname).to.equal('/cart');
    for (const p of products) await page.getByText(p.title).first().waitFor();
    await screenshot(page, 'cart-reminders/10-cart-from-link-390');
    const [row] = await t.db('cart_reminders').where({ user_id: user.id });
    expect(row.clicked_at).to.not.equal(null);

    await page.goto(linkIn(mail, '/cart-reminders/unsubscribe'));
    await page.getByRole('heading', { name: 'Cart reminders' }).waitFor();
    await screenshot(page, 'cart-reminders/11-unsubscribe-390');
    await page.getByRole('button', { name: 'Stop cart reminders' }).click();
    await page.getByRole('heading', { name: 'Cart reminders are off' }).waitFor();
    await screenshot(page, 'cart-reminders/12-unsubscribed-390');
    expect(await t.db('cart_reminder_opt_outs').where({ user_id: user.id }).first()).to.include({ source: 'unsubscribe-page' });
    expect(problems).to.deep.equal([]);
    await context.close();
  });

  it('a signed-out click goes to sign-in and then to the cart', async () => {
    const { user, mail } = await shopperWithReminder();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(linkIn(mail, '/cart/return/'));
    expect(new URL(page.url()).pathname).to.equal('/login');
    await screenshot(page, 'cart-reminders/20-login-from-link-desktop');
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/cart$/);
    await screenshot(page, 'cart-reminders/21-cart-after-login-desktop');
    await context.close();
  });

  it('every cart-reminder page fits phones and tablets', async () => {
    const { user, mail } = await shopperWithReminder();
    const off = await makeUser(t.db);
    await t.db('cart_reminder_opt_outs').insert({ user_id: off.id, source: 'one-click', created_at: new Date() });
    const unsubscribe = new URL(linkIn(mail, '/cart-reminders/unsubscribe'));
    const alreadyOff = new URL(t.deps.services.cartReminders.unsubscribeUrl(off.id));
    const context = await signInContext(browser, baseUrl, user.email, user.password);
    const failures = await checkPages(context, baseUrl, [
      ['cart-reminders-cart', '/cart'],
      ['cart-reminders-unsubscribe', unsubscribe.pathname + unsubscribe.search],
      ['cart-reminders-already-off', alreadyOff.pathname + alreadyOff.search],
      ['cart-reminders-unsubscribe-bad', '/cart-reminders/unsubscribe?token=1.bad', 400],
      ['cart-reminders-return-bad', '/cart/return/1.bad', 400],
    ]);
    // The pages only a POST shows: reminders off, and back on.
    const page = await context.newPage();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(unsubscribe.toString());
      await page.getByRole('button', { name: 'Stop cart reminders' }).click();
      await page.getByRole('heading', { name: 'Cart reminders are off' }).waitFor();
      failures.push(...(await layoutProblems(page, width)).map((p) => `unsubscribed @${p.width}: ${p.kind} ${p.detail}`));
      await screenshot(page, `responsive/cart-reminders-unsubscribed-${width}`);
      await page.getByRole('button', { name: 'Turn reminders back on' }).click();
      await page.getByText('Cart reminders are on again').waitFor();
      failures.push(...(await layoutProblems(page, width)).map((p) => `resubscribed @${p.width}: ${p.kind} ${p.detail}`));
      await screenshot(page, `responsive/cart-reminders-resubscribed-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(unsubscribe.toString());
    await screenshot(page, 'cart-reminders/30-unsubscribe-desktop');
    await context.close();
    report(failures);
  });
});
