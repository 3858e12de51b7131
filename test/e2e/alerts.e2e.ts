import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser, uniqueEmail } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, report, signInContext } from '../support/layout-check.js';

/**
 * The admin's alerts page in chromium: empty, the test button (no webhook set here, so the alert
 * goes to the log), then full: long titles, every delivery status with codes and errors, a
 * storm's summary, at phone and tablet widths.
 */
describe('e2e: admin alerts page', function () {
  this.timeout(300_000);
  const env = useBrowserApp();
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  async function fill() {
    const now = t.clock.now();
    const ago = (min: number) => new Date(now.getTime() - min * 60_000);
    const insert = async (a: Record<string, unknown>) => ((await t.db('alerts').insert({ first_seen_at: ago(12), last_seen_at: ago(2), sent_at: ago(1), status: 'sent', ...a, detail: JSON.stringify(a.detail ?? {}) }).returning('id')) as { id: number }[])[0]!.id;
    const server = await insert({ kind: 'server_error', fingerprint: 'TypeError GET /products/:slug', title: 'TypeError: Cannot read properties of undefined (reading ‘price_paise’) while rendering the product page for a very long slug name', occurrences: 12, detail: { route: 'GET /products/:slug' } });
    const pay = await insert({ kind: 'payment_failed', fingerprint: 'declined', title: 'Payment failed: card declined by the issuing bank', occurrences: 3 });
    const backup = await insert({ kind: 'backup_failed', fingerprint: 'nightly', title: 'pg_dump: error: server version mismatch (server 18.1, pg_dump 16.4)', occurrences: 1 });
    const summary = await insert({ kind: 'summary', fingerprint: 'summary:x', title: '26 more alerts (26 kinds) in one summary: 13× payment_failed, 13× unknown_order_webhook', occurrences: 1 });
    await t.db('alerts').insert({ kind: 'unknown_order_webhook', fingerprint: 'o-1', title: 'Webhook for unknown order order_XYZ', detail: '{}', first_seen_at: ago(1), last_seen_at: ago(1), sent_at: ago(1), status: 'sent', folded_into: summary });
    await t.db('alerts').insert({ kind: 'mail_stuck', fingerprint: 'mail_stuck:h', title: '4 emails have waited over 30 min in the outbox', detail: '{}', first_seen_at: ago(0), last_seen_at: ago(0), status: 'pending' });
    await t.db('alerts').insert({ kind: 'coupon_over_limit', fingerprint: 'DIWALI', title: 'Coupon DIWALI used beyond its limit', detail: '{}', first_seen_at: ago(30), last_seen_at: ago(30), sent_at: ago(29), status: 'logged' });
    const d = (alert_id: number, channel: string, over: Record<string, unknown>) => ({ alert_id, channel, status: 'sent', attempts: 1, next_attempt_at: ago(1), created_at: ago(1), last_status_code: channel === 'discord' ? 204 : 200, delivered_at: ago(1), ...over });
    await t.db('alert_deliveries').insert([
      d(server, 'discord', {}),
      d(server, 'slack', { status: 'failed', attempts: 3, last_status_code: 500, delivered_at: null, next_attempt_at: new Date(now.getTime() + 120_000), last_error: 'HTTP 500: rollup_error' }),
      d(pay, 'discord', { status: 'pending', attempts: 0, last_status_code: 429, delivered_at: null, next_attempt_at: new Date(now.getTime() + 30_000), last_error: 'rate limited: retry after 30 s' }),
      d(pay, 'slack', {}),
      d(backup, 'discord', { status: 'given_up', attempts: 1, last_status_code: 404, delivered_at: null, last_error: 'HTTP 404: {"message": "Unknown Webhook", "code": 10015}' }),
      d(backup, 'slack', { status: 'given_up', attempts: 8, last_status_code: null, delivered_at: null, last_error: 'fetch failed: ECONNREFUSED' }),
      d(summary, 'discord', {}),
      d(summary, 'slack', {}),
    ]);
    await t.db('alert_channels').insert({ channel: 'discord', blocked_until: new Date(now.getTime() + 30_000), updated_at: now });
  }

  it('admin: Alerts in the sidebar → empty page → Send test alert → logged; then the full page at every width', async () => {
    const admin = await makeUser(t.db, { role: 'admin', email: uniqueEmail('alerts-e2e') });
    const context = await signInContext(browser, baseUrl, admin.email, admin.password);
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const problems = watchForProblems(page);
    await page.goto(baseUrl + '/admin');
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.getByRole('heading', { name: 'No alerts yet' }).waitFor();
    await screenshot(page, 'alerts/01-empty-desktop');
    await page.getByRole('button', { name: 'Send test alert' }).click();
    await page.locator('[data-flash]').getByText('Test alert written to the log').waitFor();
    expect(await page.locator('tr[data-kind="test"] [data-delivery="logged"]').count()).to.equal(1);
    await screenshot(page, 'alerts/02-test-sent-desktop');
    const audit = await t.db('audit_log').where({ action: 'alert.test' });
    expect(audit).to.have.length(1);

    await t.db('alerts').del();
    let failures = await checkPages(context, baseUrl, [['admin-alerts-empty', '/admin/alerts']]);
    await fill();
    failures = failures.concat(await checkPages(context, baseUrl, [['admin-alerts-full', '/admin/alerts']]));
    await page.goto(baseUrl + '/admin/alerts');
    expect(await page.locator('[data-delivery-status="given_up"]').count()).to.equal(2);
    await screenshot(page, 'alerts/03-full-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'alerts/04-full-390');
    expect(problems).to.deep.equal([]);
    await context.close();
    report(failures);
  });
});
