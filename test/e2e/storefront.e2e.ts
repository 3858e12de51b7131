import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';

describe('e2e: a shopper browses the storefront', () => {
  const env = useBrowserApp({ seed: true });
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ baseUrl, browser } = env));

  async function newPage(width = 1280, height = 800): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    return { page, problems: watchForProblems(page) };
  }

  it('home → search → category → product, with no errors on the way', async () => {
    const { page, problems } = await newPage();
    await page.goto(baseUrl + '/');
    await expect(await page.title()).to.include('Pixel Bazaar');
    expect(await page.locator('.product-card').count()).to.be.at.least(8);
    await screenshot(page, '01-home');

    // Search from the header, with the keyboard.
    await page.getByLabel('Search products').first().fill('lightroom');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/products\?q=lightroom/);
    const found = await page.locator('.product-card .card-title').allTextContents();
    expect(found.length).to.be.at.least(3);
    expect(found.join(' ')).to.include('Presets');
    expect(await page.locator('h1').textContent()).to.equal('Results for “lightroom”');
    await screenshot(page, '02-search');

    // Narrow the search to a category from the sidebar, then drop the search words.
    await page.locator('.filters').getByRole('link', { name: /^Photo Presets/ }).click();
    await page.waitForURL(/category=presets/);
    expect(await page.locator('h1').textContent()).to.equal('Results for “lightroom” in Photo Presets & LUTs');
    const narrowed = await page.locator('.product-card .card-category').allTextContents();
    expect(narrowed.length).to.be.at.least(1).and.at.most(found.length);
    expect(new Set(narrowed.map((c) => c.trim()))).to.deep.equal(new Set(['Photo Presets & LUTs']));
    await page.getByRole('link', { name: /lightroom.*remove search/ }).click();
    await page.waitForURL((u) => u.search === '?category=presets');
    expect(await page.locator('h1').textContent()).to.equal('Photo Presets & LUTs');
    expect(await page.locator('.product-card').count()).to.equal(6);

    // Sorting submits on change (JavaScript) and keeps the category.
    await page.selectOption('#sort', 'price-asc');
    await page.waitForURL(/sort=price-asc/);
    expect(page.url()).to.include('category=presets');
    const prices = await page.locator('.product-card .price-now').allTextContents();
    const rupees = prices.map((p) => Number(p.replace(/[^\d.]/g, '')));
    expect(rupees).to.deep.equal([...rupees].sort((a, b) => a - b));
    await screenshot(page, '03-category');

    // Open a product.
    await page.locator('.product-card .card-title a').first().click();
    await page.waitForURL(/\/products\/[a-z0-9-]+$/);
    expect(await page.locator('h1.product-title').count()).to.equal(1);
    expect(await page.getByRole('button', { name: 'Add to cart' }).isVisible()).to.equal(true);
    await screenshot(page, '04-product');

    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('a discounted product shows the struck-through list price', async () => {
    const { page, problems } = await newPage();
    await page.goto(baseUrl + '/products/mukta-display');
    expect(await page.locator('.buy-box .price-was').textContent()).to.include('₹1,999');
    expect(await page.locator('.buy-box .price-now').textContent()).to.equal('₹1,599');
    expect(await page.locator('.buy-box .badge-sale').textContent()).to.equal('20% off');
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('works on a phone-sized screen', async () => {
    const { page, problems } = await newPage(390, 844);
    await page.goto(baseUrl + '/');
    // No horizontal scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).to.be.at.most(0);
    await screenshot(page, '05-home-mobile');
    await page.goto(baseUrl + '/products/monsoon-moods-presets');
    await screenshot(page, '06-product-mobile');
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('a missing page shows the site-styled 404 page', async () => {
    const { page } = await newPage();
    const res = await page.goto(baseUrl + '/products/does-not-exist');
    expect(res?.status()).to.equal(404);
    expect(await page.locator('h1').textContent()).to.equal('Page not found');
    await screenshot(page, '07-not-found');
    await page.close();
  });

  it('keyboard users can skip to the content and see where focus is', async () => {
    const { page } = await newPage();
    await page.goto(baseUrl + '/');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    expect(focused).to.equal('Skip to content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    expect(outline).to.not.equal('none');
    await page.close();
  });
});
