import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { toIstLocal } from '../../src/lib/india-time.js';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, report, signIn, signInContext } from '../support/layout-check.js';
import { mailTo, type Mailbox } from '../support/mailbox.js';

/** Newsletter issues and offer campaigns in the admin area (issue 14, items 10–11). */
describe('e2e: the owner writes a newsletter, previews it, tests it, schedules it; an offer becomes a campaign', function () {
  this.timeout(240_000);
  const env = useBrowserApp({ seed: true, mailbox: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  let mailbox: Mailbox;
  before(() => ({ t, baseUrl, browser, mailbox } = env));

  it('writes, previews, test-sends and schedules an issue; emails an offer; every page fits phones', async () => {
    const owner = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    // An empty list first.
    const emptyContext = await signInContext(browser, baseUrl, owner.email, owner.password);
    const failures = await checkPages(emptyContext, baseUrl, [
      ['newsletter-issues-empty', '/admin/newsletter'],
      ['newsletter-issue-new', '/admin/newsletter/new'],
    ]);
    await emptyContext.close();

    await t.db.raw(
      "INSERT INTO newsletter_subscribers (email, status, source, unsubscribe_nonce, confirmed_at) SELECT 'reader-' || g || '@example.test', 'subscribed', 'page', md5(g::text), now() FROM generate_series(1, 40) g",
    );
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await signIn(page, baseUrl, owner.email, owner.password);
    await page.goto(`${baseUrl}/admin/newsletter`);
    await page.locator('[data-empty]').waitFor();
    await page.getByRole('link', { name: 'New issue' }).click();
    await page.getByLabel('Subject').fill('New in December: festive brush packs');
    await page.getByLabel('Preview text (optional)').fill('Three packs, one free sampler');
    await page.getByLabel('Body (Markdown)').fill('## Festive brush packs\n\nThree **new packs** are in the shop, and a free sampler.\n\n- Rangoli brushes\n- Kolam stamps\n\n[See what is new](/products)\n\n<script>alert(1)</script>');
    await page.getByRole('button', { name: 'Save draft and preview' }).click();
    await page.waitForURL(/\/admin\/newsletter\/\d+#preview$/);
    const issueId = Number(/\/admin\/newsletter\/(\d+)/.exec(page.url())![1]);
    const frame = page.frameLocator('iframe.issue-preview-frame');
    await frame.locator('[data-issue-body] h2').waitFor();
    expect(await frame.locator('[data-issue-body] h2').textContent()).to.equal('Festive brush packs');
    expect(await frame.locator('[data-unsubscribe]').count()).to.equal(1);
    expect(await frame.locator('script').count()).to.equal(0);
    await screenshot(page, '90-newsletter-issue-preview');

    await page.getByRole('button', { name: 'Send a test to me' }).click();
    expect(await page.locator('[data-flash]').textContent()).to.include(owner.email);
    const test = await mailbox.waitFor((m) => mailTo(owner.email)(m) && m.subject === '[Test] New in December: festive brush packs');
    expect(test.html).to.include('Festive brush packs');

    await page.getByLabel('Send at (India time)').fill(toIstLocal(new Date(t.clock.now().getTime() + 24 * 3_600_000)));
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.locator('[data-scheduled]').waitFor();
    expect(await page.locator('[data-status]').first().getAttribute('data-status')).to.equal('scheduled');
    await screenshot(page, '91-newsletter-issue-scheduled');

    // An offer's page: "Email this offer to subscribers" makes a prefilled campaign draft.
    const [offer] = await t.db('offers').insert({ name: 'Diwali Sale', kind: 'coupon', code: 'DIWALI20', discount_type: 'percent', amount: 20, scope: 'all', starts_at: t.clock.now(), ends_at: new Date(t.clock.now().getTime() + 5 * 86_400_000), is_active: true }).returning('id');
    await page.goto(`${baseUrl}/admin/deals/${offer.id}`);
    await page.getByRole('button', { name: 'Email this offer to subscribers…' }).click();
    await page.waitForURL(/\/admin\/newsletter\/\d+#preview$/);
    const campaignId = Number(/\/admin\/newsletter\/(\d+)/.exec(page.url())![1]);
    expect(await page.getByLabel('Subject').inputValue()).to.equal('Diwali Sale: 20% off');
    await frame.locator('[data-issue-body] strong', { hasText: 'DIWALI20' }).waitFor();
    await screenshot(page, '92-newsletter-offer-campaign');
    // Send it now (the confirm dialog accepted), then let the job run.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Send now' }).click();
    await page.locator('[data-progress]').waitFor();
    await t.deps.services.newsletterIssues.tick({ budgetMs: 20_000 });
    await page.reload();
    expect(await page.locator('[data-progress] [data-count="sent"]').textContent()).to.equal('40');
    await screenshot(page, '93-newsletter-campaign-sent');
    await page.goto(`${baseUrl}/admin/newsletter`);
    expect(await page.locator('[data-issue-id]').count()).to.equal(2);
    await screenshot(page, '94-newsletter-issues-list');
    expect(problems).to.deep.equal([]);
    await context.close();

    const full = await signInContext(browser, baseUrl, owner.email, owner.password);
    failures.push(
      ...(await checkPages(full, baseUrl, [
        ['newsletter-issues', '/admin/newsletter'],
        ['newsletter-issue-scheduled', `/admin/newsletter/${issueId}`],
        ['newsletter-issue-sent', `/admin/newsletter/${campaignId}`],
        ['deal-with-campaign-button', `/admin/deals/${offer.id}`],
      ])),
    );
    await full.close();
    report(failures);
  });
});
