import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, layoutProblems, report, signIn, signInContext, type PageToCheck } from '../support/layout-check.js';
import { linkIn, mailTo } from '../support/mailbox.js';

// The sign-in form's own fields by id: the footer may hold another email field (a newsletter form).
describe('e2e: product requests', function () {
  this.timeout(300_000);
  const env = useBrowserApp({ seed: true, mailbox: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  it('empty board and form fit phones (signed out and in)', async () => {
    const guest = await browser.newContext();
    const failures = await checkPages(guest, baseUrl, [['requests-board-empty', '/requests'], ['requests-search-empty', '/requests?q=nothing-like-this']]);
    await guest.close();
    const user = await makeUser(t.db, { name: 'Empty Board Shopper' });
    const context = await signInContext(browser, baseUrl, user.email, user.password);
    failures.push(...(await checkPages(context, baseUrl, [['requests-board-empty-signed-in', '/requests'], ['requests-new', '/requests/new']])));
    // The form sent back with its messages beside the fields.
    const page = await context.newPage();
    for (const width of [360, 390, 768]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${baseUrl}/requests/new`);
      await page.getByLabel('What are you looking for?').fill('ab');
      await page.getByLabel(/The most you would pay/).fill('a lot');
      await page.getByRole('button', { name: 'Post the request' }).click();
      await page.waitForSelector('.field-error');
      for (const p of await layoutProblems(page, width)) failures.push(`requests-new-errors @${p.width}: ${p.kind} ${p.detail}`);
      await screenshot(page, `responsive/requests-new-errors-${width}`);
    }
    await context.close();
    report(failures);
  });

  it('a shopper asks for a product, another votes, the admin marks it done with the product, both get the email', async () => {
    const asker = await makeUser(t.db, { name: 'Lakshmi Narayanan' });
    const voter = await makeUser(t.db, { name: 'Arjun Mehta' });
    const owner = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    const product = (await t.db('products').where({ is_visible: true }).orderBy('id').first('id', 'slug', 'title')) as { id: number; slug: string; title: string };

    // The asker, on a phone, from the footer link.
    const askContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const ask = await askContext.newPage();
    const askProblems = watchForProblems(ask);
    await signIn(ask, baseUrl, asker.email, asker.password);
    await ask.goto(`${baseUrl}/products`);
    await ask.locator('.site-footer').getByRole('link', { name: 'Request a product' }).click();
    await ask.waitForURL(`${baseUrl}/requests`);
    await ask.locator('[data-new-request]').click();
    await ask.waitForURL(`${baseUrl}/requests/new`);
    await ask.getByLabel('What are you looking for?').fill('Kannada handwriting font');
    await ask.getByLabel(/Details/).fill('A friendly handwritten style for greeting cards.\nWith numerals.');
    await ask.getByLabel('Category').selectOption({ index: 1 });
    await ask.getByLabel(/The most you would pay/).fill('799');
    await screenshot(ask, '80-request-form-filled');
    await ask.getByRole('button', { name: 'Post the request' }).click();
    await ask.waitForURL(/\/requests\/\d+$/);
    const requestId = Number(/\/requests\/(\d+)$/.exec(ask.url())![1]);
    expect(await ask.locator('[data-flash]').textContent()).to.include('on the board');
    expect(await ask.locator('[data-max-price]').textContent()).to.include('₹799');
    await screenshot(ask, '81-request-posted');

    // Another shopper votes on the board (with the script: no reload).
    const voteContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const vote = await voteContext.newPage();
    const voteProblems = watchForProblems(vote);
    await signIn(vote, baseUrl, voter.email, voter.password);
    await vote.goto(`${baseUrl}/requests`);
    const card = vote.locator(`#request-${requestId}`);
    const button = card.getByRole('button', { name: /Vote for Kannada handwriting font/ });
    await button.click();
    await card.locator('button[aria-pressed="true"]').waitFor();
    expect((await card.locator('[data-vote-count]').textContent())?.trim()).to.equal('2');
    expect(vote.url()).to.equal(`${baseUrl}/requests`);
    await screenshot(vote, '82-request-voted');
    expect((await t.db('product_requests').where({ id: requestId }).first()).vote_count).to.equal(2);

    // The owner marks it done, linked to a product.
    const adminContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const admin = await adminContext.newPage();
    const adminProblems = watchForProblems(admin);
    await signIn(admin, baseUrl, owner.email, owner.password);
    await admin.goto(`${baseUrl}/admin`);
    await admin.locator('.admin-nav').getByRole('link', { name: 'Requests' }).click();
    await admin.waitForURL(`${baseUrl}/admin/requests`);
    await admin.getByRole('link', { name: 'Kannada handwriting font' }).click();
    await admin.waitForURL(`${baseUrl}/admin/requests/${requestId}`);
    await admin.getByLabel('Status', { exact: true }).selectOption('done');
    await admin.getByLabel(/Linked product/).fill(product.slug);
    await admin.getByLabel(/Reply to the requester/).fill('Our creator Divya made it: enjoy!');
    const [saved] = await Promise.all([admin.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/admin/requests/${requestId}`)), admin.getByRole('button', { name: 'Save', exact: true }).click()]);
    if (saved.status() !== 303) await screenshot(admin, '83-admin-request-save-failed');
    expect(saved.status()).to.equal(303);
    await admin.waitForLoadState('load');
    expect(await admin.locator('[data-flash]').textContent()).to.include('2 emails are on the way');
    expect(await admin.locator('[data-audit]').textContent()).to.include('New → Done');
    await screenshot(admin, '83-admin-request-done');

    // The mail arrives, and its link shows the product on the request page.
    const mail = await env.mailbox.waitFor((m) => mailTo(asker.email)(m) && (m.subject ?? '').startsWith('Now available'), 10_000);
    expect(mail.text).to.include('Our creator Divya made it');
    await env.mailbox.waitFor((m) => mailTo(voter.email)(m) && (m.subject ?? '').startsWith('Now available'), 10_000);
    const link = linkIn(mail, `/requests/${requestId}`);
    await ask.goto(link);
    expect(await ask.locator('[data-status]').first().textContent()).to.include('Done');
    await ask.locator('[data-linked-product]').getByRole('link', { name: 'See the product' }).click();
    await ask.waitForURL(`${baseUrl}/products/${product.slug}`);
    await ask.goBack();
    await screenshot(ask, '84-request-done-phone');

    expect(askProblems, askProblems.join('\n')).to.deep.equal([]);
    expect(voteProblems, voteProblems.join('\n')).to.deep.equal([]);
    expect(adminProblems, adminProblems.join('\n')).to.deep.equal([]);
    await Promise.all([askContext.close(), voteContext.close(), adminContext.close()]);
  });

  it('full board, request pages and the admin pages fit phones', async () => {
    const people = await Promise.all([1, 2, 3].map((i) => makeUser(t.db, { name: `Board Person ${i}` })));
    const category = (await t.db('categories').orderBy('id').first('id')) as { id: number };
    const rows = Array.from({ length: 26 }, (_, i) => ({
      user_id: people[i % 3]!.id,
      title: i === 0 ? 'An extraordinarily long request title that keeps going to see how it wraps on a small phone screen' : `Request number ${i} for a product`,
      details: i % 2 ? 'Some details about what is wanted, with enough words to wrap over a couple of lines on a phone and show an excerpt on the board.' : '',
      category_id: i % 3 ? category.id : null,
      status: ['new', 'planned', 'in_progress', 'done', 'declined'][i % 5],
      vote_count: 100 - i,
      created_at: new Date(t.clock.now().getTime() - i * 3600_000),
    }));
    const ids = (await t.db('product_requests').insert(rows).returning('id')).map((r: { id: number }) => r.id);
    await t.db('product_requests').where({ id: ids[1] }).update({ admin_reply: 'We have planned this for next month.\nThank you for asking!', replied_at: t.clock.now() });
    const [merged] = ids.slice(-1);
    await t.deps.services.productRequests.merge(merged!, ids[2]!, { id: people[0]!.id, email: 'script@example.test', ip: null });

    const guest = await browser.newContext();
    const failures = await checkPages(guest, baseUrl, [
      ['requests-board', '/requests'],
      ['requests-board-newest', '/requests?sort=newest'],
      ['requests-board-search', '/requests?q=number'],
      ['request-long-title', `/requests/${ids[0]}`],
      ['request-with-reply', `/requests/${ids[1]}`],
    ]);
    await guest.close();
    const shopper = await signInContext(browser, baseUrl, people[0]!.email, people[0]!.password);
    failures.push(...(await checkPages(shopper, baseUrl, [['requests-board-signed-in', '/requests'], ['request-own', `/requests/${ids[0]}`]])));
    await shopper.close();

    const owner = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    const admin = await signInContext(browser, baseUrl, owner.email, owner.password);
    const adminPages: PageToCheck[] = [
      ['admin-requests', '/admin/requests'],
      ['admin-requests-votes', '/admin/requests?sort=votes&visibility=all'],
      ['admin-requests-empty', '/admin/requests?q=nothing-like-this'],
      ['admin-request', `/admin/requests/${ids[2]}`],
      ['admin-request-merged', `/admin/requests/${merged}`],
      ['admin-request-merge', `/admin/requests/${ids[3]}/merge?into=${ids[2]}`],
    ];
    failures.push(...(await checkPages(admin, baseUrl, adminPages)));
    const desktop = await admin.newPage();
    await desktop.setViewportSize({ width: 1366, height: 900 });
    for (const [name, path] of [...adminPages, ['requests-board', '/requests'] as PageToCheck]) {
      await desktop.goto(baseUrl + path);
      await screenshot(desktop, `responsive/${name}-1366`);
    }
    await admin.close();
    report(failures);
  });
});
