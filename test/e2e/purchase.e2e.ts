import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { linkIn, mailTo, type Mailbox } from '../support/mailbox.js';

describe('e2e: a shopper buys a product through the test-mode payment page and downloads it', () => {
  const env = useBrowserApp({ mailbox: true, seed: true });
  let t: TestContext;
  let mailbox: Mailbox;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, mailbox, baseUrl, browser } = env));

  it('cart → checkout → pay → order page → download (page and email link)', async () => {
    const user = await makeUser(t.db, { name: 'Ananya Sen' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems = watchForProblems(page);

    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account$/);

    await page.goto(`${baseUrl}/products/indian-street-photography`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.locator('[data-cart-feedback].ok').waitFor();
    await page.goto(`${baseUrl}/cart`);
    await page.locator('.cart-line').first().waitFor();
    await page.getByRole('link', { name: 'Checkout' }).click();
    await page.waitForURL(/\/checkout$/);
    await screenshot(page, '30-checkout');

    await page.getByRole('button', { name: /^Pay ₹382/ }).click();
    await page.waitForURL(/\/__razorpay\/checkout\?order_id=order_/);
    expect(await page.locator('.test-mode-banner').textContent()).to.include('TEST MODE');
    await screenshot(page, '31-test-mode-payment');
    // The tester picks a method; after paying, the browser returns to the store by itself.
    await page.getByLabel(/Card/).check();
    await page.getByRole('button', { name: /succeeds/ }).click();
    await page.waitForURL(/\/orders\/\d+\?paid=1$/);
    await page.locator('[data-paid-banner]').waitFor();
    await screenshot(page, '32-order-paid');

    const orderId = Number(/\/orders\/(\d+)/.exec(page.url())![1]);
    const order = await t.db('orders').where({ id: orderId }).first();
    expect(order).to.include({ status: 'paid', user_id: user.id, total_paise: 38_200 });
    expect(await t.db('payments').where({ order_id: orderId }).pluck('method')).to.deep.equal(['card']);
    const product = await t.db('products').where({ slug: 'indian-street-photography' }).first();
    const stored = await readFile(path.join(t.config.storageDir, product.file_key));

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-download]').first().click()]);
    expect(download.suggestedFilename()).to.equal('indian-street-photography.pdf');
    const saved = await readFile((await download.path())!);
    expect(Buffer.compare(saved, stored)).to.equal(0);

    const mail = await mailbox.waitFor((m) => mailTo(user.email)(m) && /is ready to download/.test(m.subject ?? ''));
    const emailLink = linkIn(mail, '/downloads/');
    const fromMail = await page.request.get(emailLink);
    expect(fromMail.status()).to.equal(200);
    expect(Buffer.compare(Buffer.from(await fromMail.body()), stored)).to.equal(0);

    await page.goto(`${baseUrl}/orders`);
    expect(await page.locator(`[data-order-id="${orderId}"] .badge`).textContent()).to.equal('Paid');
    await screenshot(page, '33-my-orders');
    await page.goto(`${baseUrl}/downloads`);
    expect(await page.locator('tbody tr').count()).to.equal(2);
    await screenshot(page, '34-download-history');
    expect(await t.db('downloads').where({ user_id: user.id })).to.have.length(2);
    expect(problems, problems.join('\n')).to.deep.equal([]);
    await context.close();
  });

  it('a failed test payment shows a clear message and a retry', async () => {
    const user = await makeUser(t.db);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account$/);
    await page.goto(`${baseUrl}/products/chai-script`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.locator('[data-cart-feedback].ok').waitFor();
    await page.goto(`${baseUrl}/checkout`);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: /Simulate a failed payment/ }).click();
    // Back in the store by itself, with a clear message and the cart kept.
    await page.waitForURL(/\/checkout\?failed=1$/);
    expect(await page.locator('[data-payment-notice]').textContent()).to.include('did not go through');
    await screenshot(page, '35-payment-failed');
    const order = await t.db('orders').where({ user_id: user.id }).first();
    expect(order.status).to.equal('pending');
    await t.db('payments').where({ order_id: order.id, status: 'failed' }).first().then((p: unknown) => expect(p, 'payment.failed webhook recorded').to.not.equal(undefined));

    // Cancel from the payment page: back to checkout, nothing charged, the order still payable.
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: 'Cancel and go back' }).click();
    await page.waitForURL(/\/checkout\?cancelled=1$/);
    expect(await page.locator('[data-payment-notice]').textContent()).to.include('cancelled');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: /succeeds/ }).click();
    await page.waitForURL(/\/orders\/\d+\?paid=1$/);
    expect((await t.db('orders').where({ id: order.id }).first()).status).to.equal('paid');
    await page.close();
  });
});
