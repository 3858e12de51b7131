import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, report, signIn, signInContext } from '../support/layout-check.js';

describe('e2e: recommendations — product page sections, "Recommended for you", trending, the cart', function () {
  this.timeout(300_000);
  const env = useBrowserApp({ seed: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  let products: { id: number; slug: string; title: string; category_id: number }[];
  let shopper: Awaited<ReturnType<typeof makeUser>>;

  before(async () => {
    ({ t, baseUrl, browser } = env);
    products = (await t.db('products').where({ is_visible: true }).orderBy('id').select('id', 'slug', 'title', 'category_id')) as typeof products;
    // Behaviour: buyers who bought products in pairs and threes, browsers who viewed runs of them.
    const at = t.clock.now();
    for (let b = 0; b < 12; b++) {
      const buyer = await makeUser(t.db, { name: `Buyer ${b}` });
      const picks = [products[b % products.length]!, products[(b + 1) % products.length]!, products[(b * 5 + 3) % products.length]!];
      const [order] = (await t.db('orders').insert({ user_id: buyer.id, status: 'paid', subtotal_paise: 1000, total_paise: 1000, paid_at: at }).returning('id')) as { id: number }[];
      await t.db('order_items').insert([...new Map(picks.map((p) => [p.id, p])).values()].map((p) => ({ order_id: order!.id, product_id: p.id, title: p.title, unit_price_paise: 1000, sale_price_paise: 1000, line_total_paise: 1000, license_type: 'personal' })));
    }
    const views = [];
    for (let v = 0; v < 40; v++) for (let k = 0; k < 4; k++) views.push({ product_id: products[(v + k * 2) % products.length]!.id, anonymous_id: `e2e-browser-${v}`, created_at: at });
    await t.db('product_views').insert(views);
    // The shopper looked at two products and bought one.
    shopper = await makeUser(t.db, { name: 'Meera Iyer' });
    await t.db('product_views').insert([0, 1].map((i) => ({ product_id: products[i]!.id, user_id: shopper.id, created_at: at })));
    const result = await t.deps.services.recommendations.recompute();
    expect(result).to.have.property('neighbours').that.is.greaterThan(0);
  });

  it('a guest sees "Customers also bought" and "Similar products" on a product page, and trending on the home page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await page.goto(`${baseUrl}/products/${products[0]!.slug}`);
    const also = page.locator('[data-recs="recs-also-bought"]');
    await also.scrollIntoViewIfNeeded();
    expect(await also.locator('h2').textContent()).to.equal('Customers also bought');
    expect(await also.locator('[data-rec-reason]').first().textContent()).to.match(/^(Bought|Viewed) together with /);
    expect(await page.locator('[data-recs="recs-similar"] h2').textContent()).to.equal('Similar products');
    await screenshot(page, '70-recs-product-desktop');
    // A recommendation leads to its product.
    const first = also.locator('.card-title a').first();
    const title = (await first.textContent())!.trim();
    await first.click();
    await page.waitForURL(/\/products\//);
    expect(await page.locator('h1').textContent()).to.equal(title);
    await page.goto(`${baseUrl}/`);
    expect(await page.locator('[data-recs="recs-home"] h2').textContent()).to.equal('Trending now');
    await screenshot(page, '71-recs-home-guest-desktop');
    expect(problems).to.deep.equal([]);
    await context.close();
  });

  it('a signed-in shopper sees "Recommended for you" with reasons (desktop and 390 px), and the cart suggests more', async () => {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 } });
      const page = await context.newPage();
      const problems = watchForProblems(page);
      await signIn(page, baseUrl, shopper.email, shopper.password);
      await page.goto(`${baseUrl}/`);
      const home = page.locator('[data-recs="recs-home"]');
      expect(await home.locator('h2').textContent()).to.equal('Recommended for you');
      expect(await home.getAttribute('data-strategy')).to.equal('personal');
      expect(await home.locator('[data-rec-reason]').first().textContent()).to.match(/^Because you viewed /);
      await screenshot(page, `72-recs-home-signed-in-${width > 800 ? 'desktop' : '390'}`);
      await page.goto(`${baseUrl}/products/${products[2]!.slug}`);
      await page.locator('[data-recs]').first().waitFor();
      await screenshot(page, `73-recs-product-signed-in-${width > 800 ? 'desktop' : '390'}`);
      if (width === 390) {
        await page.locator('[data-add-to-cart]').click();
        await page.locator('[data-cart-feedback]').filter({ hasText: /./ }).waitFor();
        await page.goto(`${baseUrl}/cart`);
        const cartRecs = page.locator('[data-recs-cart]');
        await cartRecs.locator('.rec-card').first().waitFor();
        expect(await cartRecs.locator('h2').textContent()).to.equal('Complete your collection');
        expect(await cartRecs.locator('.card-title a').allTextContents()).to.not.include(products[2]!.title);
        await screenshot(page, '74-recs-cart-390');
      }
      expect(problems).to.deep.equal([]);
      await context.close();
    }
  });

  it('the pages with recommendations fit phones (guest and signed in)', async () => {
    const guest = await browser.newContext();
    const failures = await checkPages(guest, baseUrl, [
      ['recs-product-guest', `/products/${products[0]!.slug}`],
      ['recs-home-guest', '/'],
    ]);
    await guest.close();
    const context = await signInContext(browser, baseUrl, shopper.email, shopper.password);
    failures.push(
      ...(await checkPages(context, baseUrl, [
        ['recs-home-signed-in', '/'],
        ['recs-product-signed-in', `/products/${products[1]!.slug}`],
        ['recs-cart-signed-in', '/cart'],
      ])),
    );
    await context.close();
    report(failures);
  });
});
