import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, screenshotDir, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, layoutProblems, report, signInContext, WIDTHS } from '../support/layout-check.js';
import { linkIn, mailTo, type Mailbox } from '../support/mailbox.js';

/**
 * The newsletter in chromium: a guest signs up in the footer of the (cached) home page, confirms
 * from the mail, and later leaves through the unsubscribe link of a newsletter mail. Then every
 * newsletter page (shopper and admin, empty and full) at phone and tablet widths.
 */
describe('e2e: newsletter sign-up, confirmation and unsubscribe', function () {
  this.timeout(300_000);
  const env = useBrowserApp({ seed: true, mailbox: true });
  let t: TestContext;
  let mailbox: Mailbox;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, mailbox, baseUrl, browser } = env));

  const status = async (email: string) => ((await t.db('newsletter_subscribers').where({ email }).first('status')) as { status: string } | undefined)?.status;
  const confirmMail = (email: string) => mailbox.waitFor((m) => mailTo(email)(m) && /newsletter subscription$/.test(m.subject ?? ''), 10_000);

  it('footer sign-up → confirm link from the mail → subscribed; unsubscribe link of a newsletter → unsubscribed', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems = watchForProblems(page);
    const email = `e2e-news-${Date.now()}@example.test`;

    await page.goto(baseUrl + '/');
    const footer = page.locator('.site-footer form[data-newsletter-form]');
    await footer.scrollIntoViewIfNeeded();
    await footer.getByLabel('New products and offers in your inbox').fill(email);
    await footer.getByRole('button', { name: 'Subscribe' }).click();
    // The script keeps the shopper on the page.
    await footer.locator('[data-newsletter-feedback]').getByText('we sent a confirmation link').waitFor();
    expect(page.url()).to.equal(baseUrl + '/');
    await screenshot(page, 'newsletter/10-footer-signed-up-390');
    expect(await status(email)).to.equal('pending');

    await page.goto(linkIn(await confirmMail(email), '/newsletter/confirm'));
    await screenshot(page, 'newsletter/11-confirm-390');
    expect(await status(email)).to.equal('pending'); // opening the link changes nothing
    await page.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await page.getByRole('heading', { name: 'You are subscribed' }).waitFor();
    await screenshot(page, 'newsletter/12-confirmed-390');
    expect(await status(email)).to.equal('subscribed');

    // A newsletter goes out (the sending module comes later; this is the piece it will use).
    const row = (await t.db('newsletter_subscribers').where({ email }).first('id')) as { id: number };
    const id = await t.deps.services.newsletter.queueNewsletterMail(row.id, { subject: 'New this week', data: { heading: 'New this week', paragraphs: ['Twelve new Lightroom presets.'] } });
    t.deps.mail.sendSoon([id]);
    const letter = await mailbox.waitFor((m) => mailTo(email)(m) && m.subject === 'New this week', 10_000);
    await page.goto(linkIn(letter, '/newsletter/unsubscribe'));
    await screenshot(page, 'newsletter/13-unsubscribe-390');
    expect(await status(email)).to.equal('subscribed');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    await screenshot(page, 'newsletter/14-unsubscribed-390');
    expect(await status(email)).to.equal('unsubscribed');
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('without JavaScript the home page form still works (the POST lands on "check your inbox")', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const email = `e2e-nojs-${Date.now()}@example.test`;
    await page.goto(baseUrl + '/');
    const band = page.locator('form.newsletter-home');
    await band.getByLabel('Where should we send it?').fill(email);
    // screenshot() scrolls with a script; with scripts off, a plain full-page shot.
    await page.screenshot({ path: path.join(screenshotDir, 'newsletter', '20-home-band-desktop.png'), fullPage: true });
    await band.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await page.screenshot({ path: path.join(screenshotDir, 'newsletter', '21-check-email-desktop.png'), fullPage: true });
    expect(await status(email)).to.equal('pending');
    await confirmMail(email);
    await context.close();
  });

  it('every newsletter page fits phones and tablets: shopper pages', async () => {
    const { newsletter } = t.deps.services;
    // A pending sign-up (for a live confirmation link) and a subscriber (for a live unsubscribe link).
    const pendingEmail = `e2e-pending-${Date.now()}@example.test`;
    await newsletter.subscribe({ email: pendingEmail, source: 'page' }, { ip: '192.0.2.10' });
    const confirmUrl = new URL(linkIn(await confirmMail(pendingEmail), '/newsletter/confirm'));
    const [sub] = await t.db('newsletter_subscribers')
      .insert({ email: 'a.very.long.address.for.the.newsletter.check@subdomain.example-store.test', status: 'subscribed', source: 'footer', unsubscribe_nonce: 'layout-nonce', confirmed_at: new Date() })
      .returning('*');
    const unsubscribeUrl = new URL(newsletter.unsubscribeUrl(sub));
    const context = await browser.newContext();
    const failures = await checkPages(context, baseUrl, [
      ['newsletter-home', '/'],
      ['newsletter-page', '/newsletter'],
      ['newsletter-signup-optin', '/signup'],
      ['newsletter-confirm', confirmUrl.pathname + confirmUrl.search],
      ['newsletter-confirm-spent', '/newsletter/confirm?token=not-a-real-token-0000', 400],
      ['newsletter-unsubscribe', unsubscribeUrl.pathname + unsubscribeUrl.search],
      ['newsletter-unsubscribe-bad', '/newsletter/unsubscribe?token=1.bad', 400],
    ]);
    // The pages only a POST shows: check your inbox, a field error, unsubscribed.
    const page = await context.newPage();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(baseUrl + '/newsletter');
      await page.getByLabel('Email').fill(`e2e-layout-${width}-${Date.now()}@example.test`);
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      failures.push(...(await layoutProblems(page, width)).map((p) => `check-email @${p.width}: ${p.kind} ${p.detail}`));
      await screenshot(page, `responsive/newsletter-check-email-${width}`);

      await page.goto(baseUrl + '/newsletter');
      await page.getByLabel('Email').fill('not an address');
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.locator('.field-error').waitFor();
      failures.push(...(await layoutProblems(page, width)).map((p) => `field-error @${p.width}: ${p.kind} ${p.detail}`));
      await screenshot(page, `responsive/newsletter-field-error-${width}`);
    }
    await page.goto(unsubscribeUrl.toString());
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      failures.push(...(await layoutProblems(page, width)).map((p) => `unsubscribed @${p.width}: ${p.kind} ${p.detail}`));
      await screenshot(page, `responsive/newsletter-unsubscribed-${width}`);
    }
    await context.close();
    report(failures);
  });

  it('every newsletter page fits phones and tablets: admin pages, empty and full', async () => {
    const owner = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    const context = await signInContext(browser, baseUrl, owner.email, owner.password);
    const empty = await checkPages(context, baseUrl, [
      ['admin-subscribers-empty', '/admin/subscribers?q=nobody-at-all'],
      ['admin-subscribers-none-bounced', '/admin/subscribers?status=bounced'],
    ]);
    // A full list: 80 subscribers over the last 30 days in every status, some long addresses.
    await t.db.raw(`
      INSERT INTO newsletter_subscribers (email, status, source, unsubscribe_nonce, created_at, confirmed_at, unsubscribed_at)
      SELECT CASE WHEN g % 9 = 0 THEN 'a.really.long.subscriber.address.number.' || g || '@long-domain-name.example.test' ELSE 'reader' || g || '@example.test' END,
             (ARRAY['subscribed','subscribed','subscribed','pending','unsubscribed','bounced'])[1 + g % 6],
             (ARRAY['footer','home','page','signup'])[1 + g % 4], 'n',
             now() - (g % 30) * interval '1 day', CASE WHEN g % 6 IN (0, 1, 2, 4, 5) THEN now() - (g % 30) * interval '1 day' END,
             CASE WHEN g % 6 = 4 THEN now() END
      FROM generate_series(1, 80) g`);
    const one = (await t.db('newsletter_subscribers').where('email', 'like', 'a.really.long%').first('id')) as { id: number };
    await t.deps.services.newsletterAdmin.remove(one.id, { id: owner.id, email: owner.email, ip: '127.0.0.1' });
    const full = await checkPages(context, baseUrl, [
      ['admin-subscribers', '/admin/subscribers'],
      ['admin-subscribers-filtered', '/admin/subscribers?status=subscribed&q=reader'],
      ['admin-subscriber', `/admin/subscribers/${one.id}`],
      ['admin-subscriber-remove', `/admin/subscribers/${one.id}/remove`],
    ]);
    const page: Page = await context.newPage();
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(baseUrl + '/admin/subscribers');
    await screenshot(page, 'newsletter/30-admin-subscribers-desktop');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).to.equal('subscribers.csv');
    await context.close();
    report([...empty, ...full]);
  });
});
