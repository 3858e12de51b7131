import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import { makeUser } from '../support/accounts.js';
import type { TestContext } from '../support/context.js';

describe('e2e: a guest cart follows the shopper through sign-in and is cleared at sign-out', () => {
  const env = useBrowserApp({ seed: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  const idOf = async (slug: string) => ((await t.db('products').where({ slug }).first()) as { id: number }).id;

  it('guest adds two products, reloads, signs in to a stored third, signs out to an empty cart', async () => {
    // The account already has a saved cart with a third product.
    const user = await makeUser(t.db, { name: 'Rohan Mehta' });
    const [cart] = await t.db('carts').insert({ user_id: user.id }).returning('id');
    await t.db('cart_items').insert({ cart_id: cart.id, product_id: await idOf('golden-hour-luts'), quantity: 1 });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchForProblems(page);
    for (const slug of ['minimal-resume-kit', 'mukta-display']) {
      await page.goto(`${baseUrl}/products/${slug}`);
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.locator('[data-cart-feedback].ok').waitFor();
    }
    expect(await page.locator('[data-cart-count]').textContent()).to.equal('2');
    await screenshot(page, '20-product-added');

    await page.goto(`${baseUrl}/cart`);
    await page.locator('.cart-line').first().waitFor();
    await page.reload();
    await page.locator('.cart-line').first().waitFor();
    expect(await page.locator('.cart-line').count()).to.equal(2);
    expect(await page.locator('[data-cart-total]').textContent()).to.equal('₹1,848'); // 249 + 1,599
    // Three seats of the resume kit: the line, the subtotal and the total follow (issue 9, item 12).
    await page.getByLabel('Licences (seats)').first().selectOption('3');
    await page.waitForFunction(() => document.querySelector('[data-cart-total]')?.textContent === '₹2,346'); // 3 × 249 + 1,599
    expect(await page.locator('[data-cart-subtotal]').textContent()).to.equal('₹2,346');
    expect(await page.locator('.cart-line').first().locator('[data-line-total]').textContent()).to.equal('₹747');
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('pixelbazaar.cart.v1')))!).map((i: { quantity: number }) => i.quantity)).to.deep.equal([3, 1]);
    await screenshot(page, '21-guest-cart');
    expect(await t.db('cart_events').whereNotNull('anonymous_id').count<{ count: number }[]>('* as count')).to.deep.equal([{ count: 2 }]);

    await page.getByRole('link', { name: 'Sign in to check out' }).click();
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/cart$/);
    await page.waitForFunction(() => document.querySelectorAll('.cart-line').length === 3);
    const titles = await page.locator('.cart-line-title').allTextContents();
    expect(titles.sort()).to.deep.equal(['Golden Hour Cinematic LUTs', 'Minimal Resume Kit', 'Mukta Display Family']);
    expect(await page.evaluate(() => localStorage.getItem('pixelbazaar.cart.v1'))).to.equal(null);
    expect(await page.locator('[data-cart-count]').textContent()).to.equal('5'); // licences: 3 + 1 + 1
    await screenshot(page, '22-merged-cart');

    const saved = await t.db('cart_items as i').join('carts as c', 'c.id', 'i.cart_id').where('c.user_id', user.id).count<{ count: number }[]>('* as count');
    expect(saved).to.deep.equal([{ count: 3 }]);

    // The seats came along, and a signed-in change is saved on the server.
    const kit = page.locator('.cart-line', { hasText: 'Minimal Resume Kit' });
    expect(await kit.locator('[data-quantity]').inputValue()).to.equal('3');
    await kit.locator('[data-quantity]').selectOption('2');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-line-total]')].some((e) => e.textContent === '₹498'));
    const seats = await t.db('cart_items as i').join('carts as c', 'c.id', 'i.cart_id').join('products as p', 'p.id', 'i.product_id').where({ 'c.user_id': user.id, 'p.slug': 'minimal-resume-kit' }).first('i.quantity');
    expect(seats.quantity).to.equal(2);

    // Remove one line.
    await page.getByRole('button', { name: 'Remove Minimal Resume Kit' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.cart-line').length === 2);

    await page.goto(`${baseUrl}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    expect(await page.locator('[data-signed-out]').textContent()).to.include('You are signed out');
    await page.goto(`${baseUrl}/cart`);
    await page.locator('[data-cart-empty]').waitFor({ state: 'visible' });
    expect(await page.locator('[data-cart-count]').isHidden()).to.equal(true);
    await screenshot(page, '23-empty-cart-after-sign-out');
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('cart page on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${baseUrl}/products/pitch-deck-startup`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.locator('[data-cart-feedback].ok').waitFor();
    await page.goto(`${baseUrl}/cart`);
    await page.locator('.cart-line').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).to.be.at.most(0);
    await screenshot(page, '24-cart-mobile');
  });
});
