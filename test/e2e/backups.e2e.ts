import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, report, signIn, signInContext } from '../support/layout-check.js';

/**
 * Backups in chromium: the owner opens /admin/backups (empty), presses "Back up now", sees the
 * flash and then the finished backup in the list; the page (empty and full) fits 360/390/768 px.
 */
describe('e2e: admin backups', function () {
  this.timeout(300_000);
  const env = useBrowserApp({ seed: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));
  // useBrowserApp keeps the default BACKUP_DIR (data/backups): remove what this file made there.
  afterEach(async () => {
    for (const b of (await t?.db('backups').select('key')) ?? []) {
      await t.deps.services.backups.storage.delete(b.key as string);
      await t.deps.services.backups.storage.delete(String(b.key).replace(/\.copy\.gz$/, '.manifest.json'));
    }
  });

  it('empty page → Back up now → flash → the backup listed as done, not yet verified → verified after the drill', async () => {
    const owner = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    const empty = await signInContext(browser, baseUrl, owner.email, owner.password);
    report(await checkPages(empty, baseUrl, [['backups-empty', '/admin/backups']]));
    await empty.close();

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await signIn(page, baseUrl, owner.email, owner.password);
    await page.goto(`${baseUrl}/admin/backups`);
    await page.locator('[data-empty]').waitFor();
    await screenshot(page, 'backups/10-empty');
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(/\/admin\/backups$/);
    expect(await page.locator('[data-flash]').textContent()).to.include('Backup started');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await t.db('backups').where({ status: 'running' }).first())) await new Promise((r) => setTimeout(r, 200));
    await page.reload();
    const row = page.locator('tr[data-backup-id]').first();
    expect(await row.getAttribute('data-status')).to.equal('done');
    expect(await row.textContent()).to.include('Not yet verified');
    await screenshot(page, 'backups/11-done');
    await t.deps.services.backups.drillIfDue({ force: true });
    await page.reload();
    await page.locator('[data-verified]').first().waitFor();
    await screenshot(page, 'backups/12-verified');
    expect(problems).to.deep.equal([]);
    await context.close();

    // A few more, one of them failed, for the full page.
    await t.db('backups').insert({ slot: 'manual:e2e-failed', trigger: 'manual', status: 'failed', storage: 'local', key: 'backups/2026/11/20261123-210000-deadbeef.copy.gz', started_at: new Date('2026-11-23T21:00:00Z'), finished_at: new Date('2026-11-23T21:00:05Z'), error: 'connection to the database was lost while copying table "products"' });
    const full = await signInContext(browser, baseUrl, owner.email, owner.password);
    report(await checkPages(full, baseUrl, [['backups-full', '/admin/backups']]));
    await full.close();
  });
});
