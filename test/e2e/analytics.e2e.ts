import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { makeUser, uniqueEmail } from '../support/accounts.js';
import { screenshot, useBrowserApp, watchForProblems } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { makeProduct } from '../support/factories.js';
import { checkPages, report, signInContext } from '../support/layout-check.js';

/**
 * The dashboards in chromium (issue 13): overview, purchases, sign-ins and abandonment with 30
 * days of data around the test clock (24 Nov 2026, 15:30 IST) and empty; charts drawn by
 * chart.js from the JSON islands, tables behind "Show the numbers", screenshots at desktop and
 * phone width, and no horizontal scroll at 360/390/768 px.
 */
describe('e2e: analytics dashboards', function () {
  this.timeout(240_000);
  const env = useBrowserApp();
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  async function thirtyDays() {
    const products = [];
    for (const [title, price] of [['Devanagari Display Font', 120_000], ['Wedding Invite Templates', 45_000], ['Startup Pitch Deck', 80_000], ['Watercolour Brush Pack', 30_000]] as const) {
      products.push(await makeProduct(t.db, { title, price_paise: price }));
    }
    const buyers = [];
    for (let i = 0; i < 12; i++) buyers.push(await makeUser(t.db, { email: uniqueEmail('dash') }));
    const now = t.clock.now().getTime();
    const h = 3_600_000;
    for (let d = 1; d <= 30; d++) {
      const base = now - d * 24 * h;
      for (let k = 0; k < (d % 4) + 1; k++) {
        const buyer = buyers[(d + k) % buyers.length]!;
        const product = products[(d * 3 + k) % products.length]!;
        const [o] = await t.db('orders').insert({ user_id: buyer.id, status: k === 3 ? 'refunded' : 'paid', subtotal_paise: 80_000, total_paise: 80_000, created_at: new Date(base), paid_at: new Date(base + 60_000) }).returning('id');
        await t.db('order_items').insert({ order_id: (o as { id: number }).id, product_id: product.id, title: 'x', unit_price_paise: 80_000, sale_price_paise: 80_000, quantity: 1, line_total_paise: 80_000, license_type: 'personal' });
        await t.db('cart_events').insert({ user_id: buyer.id, product_id: product.id, action: 'add', created_at: new Date(base - 30 * 60_000) });
      }
      for (let g = 0; g < (d % 5) + 2; g++) {
        await t.db('cart_events').insert({ anonymous_id: `guest-e2e-${d}-${g}`, product_id: products[g % products.length]!.id, action: 'add', created_at: new Date(base + g * h) });
        await t.db('product_views').insert({ anonymous_id: `guest-e2e-${d}-${g}`, product_id: products[g % products.length]!.id, created_at: new Date(base + g * h - 60_000) });
      }
      for (let s = 0; s < (d % 6) + 3; s++) {
        const device = [['desktop', 'Chrome 131', 'Windows 11'], ['mobile', 'Mobile Safari 17.1', 'iOS 17.1'], ['mobile', 'Chrome 131', 'Android 14']][s % 3]!;
        await t.db('login_events').insert({ user_id: buyers[s % buyers.length]!.id, ip: '203.0.113.5', user_agent: 'e2e', device_type: device[0], browser: device[1], os: device[2], method: 'password', new_device: s === 0, created_at: new Date(base + s * h) });
      }
      if (d % 3 === 0) await t.db('login_failures').insert({ email: 'someone@example.com', ip: '198.51.100.2', reason: d % 2 ? 'bad_password' : 'locked_out', created_at: new Date(base) });
      if (d % 7 === 0) {
        const [pending] = await t.db('orders').insert({ user_id: buyers[0]!.id, status: 'failed', subtotal_paise: 50_000, total_paise: 50_000, created_at: new Date(base) }).returning('id');
        await t.db('payments').insert({ order_id: (pending as { id: number }).id, razorpay_payment_id: `pay_e2e_${d}`, status: 'failed', amount_paise: 50_000, currency: 'INR', error_code: 'BAD_REQUEST_ERROR', created_at: new Date(base) });
      }
    }
  }

  /** chart.js drew every canvas on the page (a chart instance with a non-empty canvas). */
  async function chartsDrawn(page: Page): Promise<{ canvases: number; drawn: number }> {
    return page.evaluate(() => {
      const canvases = [...document.querySelectorAll('canvas[data-chart]')] as HTMLCanvasElement[];
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }).Chart;
      return { canvases: canvases.length, drawn: canvases.filter((c) => chart.getChart(c) && c.width > 0 && c.height > 0).length };
    });
  }

  it('each dashboard draws its charts, shows its table and fits a phone; empty ranges too', async () => {
    const admin = await makeUser(t.db, { role: 'admin', email: uniqueEmail('owner') });
    // Empty first (before any data), then thirty days of it.
    const context = await signInContext(browser, baseUrl, admin.email, admin.password);
    report(await checkPages(context, baseUrl, [
      ['analytics-logins-empty', '/admin/analytics/logins?range=today'],
      ['analytics-abandonment-empty', '/admin/analytics/abandonment?range=today'],
    ]));
    await thirtyDays();
    const page = await context.newPage();
    const problems = watchForProblems(page);
    for (const [name, path, heading] of [
      ['overview', '/admin?range=30d', 'Overview'],
      ['purchases', '/admin/analytics/purchases?range=30d', 'Purchases'],
      ['logins', '/admin/analytics/logins?range=30d', 'Sign-ins'],
      ['abandonment', '/admin/analytics/abandonment?range=30d', 'Cart abandonment'],
    ] as const) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(baseUrl + path);
      expect(await page.locator('h1').first().textContent()).to.equal(heading);
      const charts = await chartsDrawn(page);
      expect(charts.canvases, `${name}: canvases`).to.be.above(1);
      expect(charts.drawn, `${name}: charts drawn`).to.equal(charts.canvases);
      await screenshot(page, `analytics/${name}-desktop`);
      // The numbers behind the daily chart, as a table.
      const details = page.locator('details.chart-table').first();
      await details.locator('summary').click();
      expect(await details.locator('tbody tr').count()).to.equal(30);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(baseUrl + path);
      await screenshot(page, `analytics/${name}-phone`);
    }
    // The range picker: a custom range shows its dates.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${baseUrl}/admin/analytics/logins`);
    await page.selectOption('#range', 'custom');
    await page.fill('#from', '2026-11-01');
    await page.fill('#to', '2026-11-10');
    await page.click('form[data-range-picker] button[type=submit]');
    expect(await page.locator('[data-range-label]').textContent()).to.include('1 Nov 2026').and.include('10 Nov 2026');
    expect(problems).to.deep.equal([]);
    await page.close();
    report(await checkPages(context, baseUrl, [
      ['analytics-overview', '/admin?range=30d'],
      ['analytics-purchases', '/admin/analytics/purchases?range=30d'],
      ['analytics-logins', '/admin/analytics/logins?range=30d'],
      ['analytics-abandonment', '/admin/analytics/abandonment?range=30d'],
      ['analytics-abandonment-90d', '/admin/analytics/abandonment?range=90d'],
    ]));
    await context.close();
  });
});
