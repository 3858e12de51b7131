import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';

/** Signs a browser page in as someone. */
async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account$/);
}

describe('e2e: the owner adds a product in the admin area, a shopper buys and downloads it, then gets the replaced file', function () {
  this.timeout(120_000);
  const env = useBrowserApp({ seed: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  it('add with image and file → shop → buy → download that file → replace → the next download is the new one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'store-admin-e2e-'));
    const imageFile = path.join(dir, 'cover.png');
    writeFileSync(imageFile, await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#0f766e' } }).png().toBuffer());
    const v1 = Buffer.from(`%PDF-1.4 Rangoli Pattern Book, first edition ${'•'.repeat(3000)}`);
    const v2 = Buffer.from(`%PDF-1.4 Rangoli Pattern Book, second edition with 40 more patterns ${'◆'.repeat(4000)}`);
    writeFileSync(path.join(dir, 'rangoli-v1.pdf'), v1);
    writeFileSync(path.join(dir, 'rangoli-v2.pdf'), v2);

    // The owner adds the product in the browser.
    const owner = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    const adminContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const admin = await adminContext.newPage();
    const adminProblems = watchForProblems(admin);
    await signIn(admin, baseUrl, owner.email, owner.password);
    await admin.goto(`${baseUrl}/admin/products`);
    await admin.getByRole('link', { name: 'Add a product' }).click();
    await admin.getByLabel('Title').fill('Rangoli Pattern Book');
    expect(await admin.getByLabel('Address').inputValue()).to.equal('rangoli-pattern-book'); // follows the title
    await admin.getByLabel('Summary').fill('108 rangoli patterns to draw, colour and print.');
    await admin.getByLabel('Description').fill('A printable pattern book.\n\nEvery pattern in three sizes.');
    await admin.getByLabel('Tags').fill('rangoli, diwali, printable');
    await admin.getByLabel('Category').selectOption({ label: 'E-books & Guides' });
    await admin.getByLabel('Price (₹)').fill('349');
    await admin.getByLabel('Licence').selectOption('personal');
    await admin.getByLabel('Image').setInputFiles(imageFile);
    await admin.getByLabel('Product file').setInputFiles(path.join(dir, 'rangoli-v1.pdf'));
    await admin.getByRole('button', { name: 'Add the product' }).click();
    await admin.waitForURL(/\/admin\/products\/\d+$/);
    expect(await admin.locator('[data-flash]').textContent()).to.include('was added and is on the shop');
    expect(await admin.locator('[data-current-file]').textContent()).to.include('rangoli-v1.pdf');
    await screenshot(admin, '40-admin-product-added');
    const productId = Number(/\/admin\/products\/(\d+)$/.exec(admin.url())![1]);

    // A shopper finds it by searching, buys it through the test-mode payment page and downloads it.
    const shopper = await makeUser(t.db, { name: 'Kavitha Menon' });
    const shopContext = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    const shop = await shopContext.newPage();
    const shopProblems = watchForProblems(shop);
    await signIn(shop, baseUrl, shopper.email, shopper.password);
    await shop.goto(`${baseUrl}/products?q=rangoli`);
    await shop.getByRole('link', { name: 'Rangoli Pattern Book' }).first().click();
    await shop.waitForURL(/\/products\/rangoli-pattern-book$/);
    const cover = shop.locator('.product-media img');
    expect(await cover.getAttribute('src')).to.match(/^\/media\/images\/[0-9a-f-]{36}-800\.webp$/);
    await screenshot(shop, '41-shop-new-product');
    await shop.getByRole('button', { name: 'Add to cart' }).click();
    await shop.locator('[data-cart-feedback].ok').waitFor();
    await shop.goto(`${baseUrl}/cart`);
    await shop.getByRole('link', { name: 'Checkout' }).click();
    await shop.getByRole('button', { name: /^Pay ₹349/ }).click();
    await shop.waitForURL(/\/__razorpay\/checkout\?order_id=order_/);
    await shop.getByLabel(/UPI/).check();
    await shop.getByRole('button', { name: /succeeds/ }).click();
    await shop.waitForURL(/\/orders\/\d+\?paid=1$/);
    const [first] = await Promise.all([shop.waitForEvent('download'), shop.locator('[data-download]').first().click()]);
    expect(first.suggestedFilename()).to.equal('rangoli-v1.pdf');
    expect(Buffer.compare(await readFile((await first.path())!), v1)).to.equal(0);

    // The owner replaces the file; the buyer's next download is the new one.
    await admin.goto(`${baseUrl}/admin/products/${productId}`);
    await admin.getByLabel('Product file').setInputFiles(path.join(dir, 'rangoli-v2.pdf'));
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.waitForURL(`${baseUrl}/admin/products/${productId}`);
    expect(await admin.locator('[data-current-file]').textContent()).to.include('rangoli-v2.pdf');
    expect(await admin.locator('[data-audit]').textContent()).to.include('replaced its file');
    await screenshot(admin, '42-admin-product-file-replaced');

    await shop.reload();
    const [second] = await Promise.all([shop.waitForEvent('download'), shop.locator('[data-download]').first().click()]);
    expect(second.suggestedFilename()).to.equal('rangoli-v2.pdf');
    expect(Buffer.compare(await readFile((await second.path())!), v2)).to.equal(0);
    expect(await t.db('downloads').where({ user_id: shopper.id })).to.have.length(2);

    expect(adminProblems, adminProblems.join('\n')).to.deep.equal([]);
    expect(shopProblems, shopProblems.join('\n')).to.deep.equal([]);
    await adminContext.close();
    await shopContext.close();
  });
});
