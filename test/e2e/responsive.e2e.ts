import type { Browser, BrowserContext } from 'playwright-core';
import { makeUser } from '../support/accounts.js';
import { screenshot, useBrowserApp } from '../support/browser.js';
import type { TestContext } from '../support/context.js';
import { checkPages, layoutProblems, report, signInContext, type PageToCheck } from '../support/layout-check.js';

/**
 * Every page a shopper or an admin can reach, signed out, signed in and as admin, in its empty
 * and full states, at 360, 390 and 768 px: no sideways scrolling and no tap target under 24×24.
 * A screenshot of each lands in test-results/screenshots/responsive/. Pages that later features
 * add join these lists, or check their pages in their own e2e file with checkPages.
 */
describe('e2e: every page fits phones and tablets', function () {
  this.timeout(300_000);
  const env = useBrowserApp({ seed: true });
  let t: TestContext;
  let baseUrl: string;
  let browser: Browser;
  before(() => ({ t, baseUrl, browser } = env));

  const check = (context: BrowserContext, pages: PageToCheck[]) => checkPages(context, baseUrl, pages);
  const signedIn = (email: string, password: string) => signInContext(browser, baseUrl, email, password);

  /** A buyer with one paid order (through the bundled Razorpay emulator) and two items in the cart. */
  async function buyerWithHistory() {
    const user = await makeUser(t.db, { name: 'Meenakshi Sundaram Iyer' });
    const products = (await t.db('products').orderBy('id').limit(4).select('id', 'slug')) as { id: number; slug: string }[];
    const { cart, checkout } = t.deps.services;
    await cart.add(user.id, products[0]!.id);
    await cart.add(user.id, products[1]!.id, 3);
    const order = await checkout.createOrder(user.id);
    const { payment } = t.deps.razorpayEmulator!.pay(order.razorpayOrderId);
    await checkout.settle(payment as never, { fresh: true });
    await cart.add(user.id, products[2]!.id);
    await cart.add(user.id, products[3]!.id);
    return { user, orderId: order.orderId, owned: products[0]!.slug };
  }

  it('signed out: catalog, product, cart (empty and full), sign-in pages, errors', async () => {
    const product = (await t.db('products').where({ is_visible: true }).orderBy('id').first('id', 'slug')) as { id: number; slug: string };
    const category = (await t.db('categories').orderBy('id').first('id', 'slug')) as { id: number; slug: string };
    // A listing long enough for the full page bar: first, nearby and last pages with gaps.
    await t.db.raw("INSERT INTO products (slug, title, category_id, price_paise, tags, created_at) SELECT 'long-list-' || g, 'Long List Sketchbook ' || g, ?, 29900, ARRAY['long-list'], now() - interval '400 days' - g * interval '1 hour' FROM generate_series(1, 150) g", [category.id]);
    const context = await browser.newContext();
    const failures = await check(context, [
      ['home', '/'],
      ['catalog', '/products'],
      ['catalog-page-2', '/products?page=2'],
      ['catalog-deep-page', '/products?tag=long-list&page=7'],
      ['search', '/products?q=lightroom'],
      ['search-empty', '/products?q=zzzzzz'],
      ['category', `/products?category=${category.slug}&sort=price-asc`],
      ['product', `/products/${product.slug}`],
      ['cart-empty', '/cart'],
      ['login', '/login'],
      ['signup', '/signup'],
      ['forgot-password', '/forgot-password'],
      ['reset-password', '/reset-password?token=not-a-real-token-0000'],
      ['verify-email', '/verify-email?token=not-a-real-token-0000'],
      ['not-found', '/no-such-page', 404],
      ['contact', '/contact'],
      ['contact-sent', '/contact?sent=1'],
      ['policy-refunds', '/policies/refunds'],
      ['policy-terms', '/policies/terms'],
      ['policy-privacy', '/policies/privacy'],
      ['policy-delivery', '/policies/delivery'],
      ['cart-no-script', `/cart/add?product=${product.slug}`],
    ]);
    const page = await context.newPage();
    await page.goto(baseUrl + '/');
    await page.evaluate((id) => localStorage.setItem('pixelbazaar.cart.v1', JSON.stringify([{ productId: id, quantity: 1 }])), product.id);
    await page.close();
    failures.push(...(await check(context, [['cart-guest-full', '/cart']])));
    await context.close();
    report(failures);
  });

  it('signed in: account, orders, order, downloads, cart, checkout, test-mode payment', async () => {
    const empty = await makeUser(t.db);
    const fresh = await signedIn(empty.email, empty.password);
    const failures = await check(fresh, [
      ['orders-empty', '/orders'],
      ['downloads-empty', '/downloads'],
      ['cart-signed-in-empty', '/cart'],
    ]);
    await fresh.close();

    const b = await buyerWithHistory();
    const context = await signedIn(b.user.email, b.user.password);
    failures.push(
      ...(await check(context, [
        ['account', '/account'],
        ['orders', '/orders'],
        ['order', `/orders/${b.orderId}`],
        ['order-just-paid', `/orders/${b.orderId}?paid=1`],
        ['downloads', '/downloads'],
        ['cart-signed-in', '/cart'],
        ['checkout', '/checkout'],
        ['product-owned', `/products/${b.owned}`],
      ])),
    );
    // The test-mode payment page for the cart's order.
    const order = await t.deps.services.checkout.createOrder(b.user.id);
    failures.push(...(await check(context, [['test-payment', `/__razorpay/checkout?order_id=${order.razorpayOrderId}`]])));
    // An emailed download link that has expired, and one of another account.
    const right = (await t.db('entitlements').where({ user_id: b.user.id }).first('id')) as { id: number };
    const link = new URL(t.deps.services.downloads.linkFor(right.id, b.user.id)).pathname;
    t.clock.advance(25 * 3600_000);
    try {
      failures.push(...(await check(context, [['download-expired', link, 410]])));
    } finally {
      t.clock.advance(-25 * 3600_000);
    }
    const stranger = await makeUser(t.db);
    const strangerContext = await signedIn(stranger.email, stranger.password);
    failures.push(...(await check(strangerContext, [['download-other-account', link, 404]])));
    await strangerContext.close();
    await context.close();
    report(failures);
  });

  it('admin: dashboard, products, categories (lists, forms, errors, confirmations), orders, customers', async () => {
    const admin = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    const context = await signedIn(admin.email, admin.password);
    const product = (await t.db('products').orderBy('id').first('id')) as { id: number };
    const category = (await t.db('categories').orderBy('id').first('id')) as { id: number };
    // A product with a history (an audited edit) and a product form sent back with errors.
    const page = await context.newPage();
    await page.goto(`${baseUrl}/admin/products/${product.id}`);
    await page.getByLabel('Price (₹)').fill('1,299');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`${baseUrl}/admin/products/${product.id}`);
    await page.close();
    // A buyer with a paid order, so orders and customers show their full states.
    const buyer = await buyerWithHistory();
    const adminPages: [string, string][] = [
      ['admin-dashboard', '/admin'],
      ['admin-purchases', '/admin/analytics/purchases?range=90d'],
      ['admin-purchases-empty', '/admin/analytics/purchases?range=today'],
      ['admin-products', '/admin/products'],
      ['admin-products-search-empty', '/admin/products?q=nothing-matches-this'],
      ['admin-product-new', '/admin/products/new'],
      ['admin-product-edit', `/admin/products/${product.id}`],
      ['admin-product-delete', `/admin/products/${product.id}/delete`],
      ['admin-categories', '/admin/categories'],
      ['admin-category-edit', `/admin/categories/${category.id}`],
      ['admin-orders', '/admin/orders'],
      ['admin-orders-empty', '/admin/orders?status=expired'],
      ['admin-order', `/admin/orders/${buyer.orderId}`],
      ['admin-order-refund', `/admin/orders/${buyer.orderId}/refund`],
      ['admin-customers', '/admin/customers'],
      ['admin-customer', `/admin/customers/${buyer.user.id}`],
      ['admin-customer-disable', `/admin/customers/${buyer.user.id}/disable`],
      ['admin-customer-self', `/admin/customers/${admin.id}`],
    ];
    const failures = await check(context, adminPages);
    // And as the owner mostly sees them, on a desktop (screenshots to look at).
    const desktop = await context.newPage();
    await desktop.setViewportSize({ width: 1366, height: 900 });
    for (const [name, path] of adminPages) {
      await desktop.goto(baseUrl + path);
      await screenshot(desktop, `responsive/${name}-1366`);
    }
    await desktop.close();
    // The product form with its errors beside the fields.
    const errorsPage = await context.newPage();
    for (const width of [360, 390, 768]) {
      await errorsPage.setViewportSize({ width, height: 800 });
      await errorsPage.goto(`${baseUrl}/admin/products/new`);
      await errorsPage.getByLabel('Price (₹)').fill('twelve');
      await errorsPage.getByRole('button', { name: 'Add the product' }).click();
      await errorsPage.waitForSelector('[data-field-error="title"]');
      for (const p of await layoutProblems(errorsPage, width)) failures.push(`admin-product-errors @${p.width}: ${p.kind} ${p.detail}`);
      await screenshot(errorsPage, `responsive/admin-product-errors-${width}`);
    }
    await context.close();
    report(failures);
  });
});
