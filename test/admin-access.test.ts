import { expect } from 'chai';
import type { Router } from 'express';
import type supertest from 'supertest';
import { createAdminRouter } from '../src/routes/admin/index.js';
import { apiLogin, csrf, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';

type Agent = ReturnType<typeof supertest.agent>;

/**
 * Every route the admin router has, read from the router itself: a route added later joins this
 * matrix without anyone listing it, so "deny by default" is checked for it too.
 */
function adminRoutes(router: Router): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const walk = (stack: unknown[]) => {
    for (const layer of stack as { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) {
      if (layer.route) for (const m of Object.keys(layer.route.methods)) out.push({ method: m, path: layer.route.path });
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((router as unknown as { stack: unknown[] }).stack);
  return out;
}

describe('admin access: every admin route × visitor, shopper and admin (issue 11)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let routes: { method: string; path: string }[];
  let ids: Record<string, number>;
  // Data only an admin may see: a hidden product's title and another customer's email.
  const SECRET_TITLE = 'Unreleased Secret Bundle 7731';
  let secretEmail: string;

  before(async () => {
    t = await createTestContext();
    routes = adminRoutes(createAdminRouter(t.deps));
    const category = await makeCategory(t.db, { name: 'Matrix Shelf' });
    const product = await makeProduct(t.db, { category_id: category.id, title: SECRET_TITLE, is_visible: false });
    const customer = await makeUser(t.db, { name: 'Private Person' });
    secretEmail = customer.email;
    const [order] = await t.db('orders').insert({ user_id: customer.id, status: 'paid', subtotal_paise: 10_000, total_paise: 10_000, razorpay_order_id: 'order_MatrixTest0001' }).returning('id');
    // One row for each module whose pages take an id.
    const first = async (table: string, row: Record<string, unknown>) => ((await t.db(table).insert(row).returning('id'))[0] as { id: number }).id;
    const offer = await first('offers', { name: 'Matrix Sale', kind: 'automatic', discount_type: 'percent', amount: 10, starts_at: new Date('2026-11-01'), ends_at: new Date('2026-12-01') });
    const request = await first('product_requests', { user_id: customer.id, title: 'Matrix request' });
    const mergeTarget = await first('product_requests', { user_id: customer.id, title: 'Matrix request, the original' });
    const testimonial = await first('testimonials', { name: 'Matrix Buyer', quote: 'Lovely', rating: 5 });
    const subscriber = await first('newsletter_subscribers', { email: 'matrix-subscriber@example.test', source: 'footer', unsubscribe_nonce: 'matrixnonce0000000000000000000000'.slice(0, 32) });
    const newsletter = await first('newsletter_issues', { subject: 'Matrix issue', body_md: 'Hello' });
    ids = { product: product.id, category: category.id, customer: customer.id, order: (order as { id: number }).id, offer, request, testimonial, subscriber, mergeTarget, newsletter };
  });
  after(() => t.close());

  /** A concrete URL for a route pattern, with real ids where it takes one. */
  function urlFor(path: string): string {
    const modules: [string, string][] = [['/products', 'product'], ['/categories', 'category'], ['/customers', 'customer'], ['/deals', 'offer'], ['/requests', 'request'], ['/testimonials', 'testimonial'], ['/subscribers', 'subscriber'], ['/newsletter', 'newsletter']];
    const kind = modules.find(([prefix]) => path.includes(prefix))?.[1] ?? 'order';
    // The merge confirmation asks which request to merge into.
    const query = path.endsWith('/requests/:id/merge') ? `?into=${ids.mergeTarget}` : '';
    return path.replace(/:(\w+)/g, () => String(ids[kind])) + query;
  }

  it('finds the admin routes to check (pages and JSON of every module)', () => {
    const paths = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    for (const expected of ['GET /admin', 'GET /admin/products', 'POST /admin/products', 'GET /admin/categories', 'GET /admin/orders', 'GET /admin/customers', 'GET /api/admin/products', 'GET /api/admin/orders', 'GET /api/admin/customers']) {
      expect(paths).to.include(expected);
    }
    expect(routes.length).to.be.at.least(30);
  });

  for (const who of ['visitor', 'shopper'] as const) {
    it(`a ${who} is refused everywhere (pages: to sign in; JSON: ${who === 'visitor' ? 401 : 403}), sees no admin data and changes nothing`, async () => {
      const agent: Agent = t.agent();
      let token = await csrf(agent);
      if (who === 'shopper') {
        const user = await makeUser(t.db);
        token = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
      }
      const before = { audit: await t.db('audit_log').count({ n: '*' }), products: await t.db('products').orderBy('id').select('id', 'is_visible', 'title', 'archived_at'), users: await t.db('users').orderBy('id').select('id', 'role', 'disabled_at') };
      const failures: string[] = [];
      for (const { method, path } of routes) {
        const url = urlFor(path);
        const api = url.startsWith('/api/');
        const req = (agent as unknown as Record<string, (u: string) => supertest.Test>)[method]!(url).set('X-CSRF-Token', token);
        const res = api || method === 'get' ? await req.send({}) : await req.type('form').send({ _csrf: token, ids: String(ids.product), action: 'hide', direction: 'up', amount: '100' });
        const expected = api ? (who === 'visitor' ? 401 : 403) : 303;
        if (res.status !== expected) failures.push(`${method.toUpperCase()} ${url}: ${res.status}, expected ${expected}`);
        if (!api && res.status === 303 && !String(res.headers.location).startsWith('/login?next=')) failures.push(`${method.toUpperCase()} ${url}: sent to ${res.headers.location}`);
        if (res.text.includes(SECRET_TITLE) || res.text.includes(secretEmail)) failures.push(`${method.toUpperCase()} ${url}: leaked admin data`);
        if (res.headers['cache-control'] !== 'no-store') failures.push(`${method.toUpperCase()} ${url}: Cache-Control ${res.headers['cache-control']}`);
      }
      expect(failures).to.deep.equal([]);
      expect(await t.db('audit_log').count({ n: '*' })).to.deep.equal(before.audit);
      expect(await t.db('products').orderBy('id').select('id', 'is_visible', 'title', 'archived_at')).to.deep.equal(before.products);
      expect(await t.db('users').orderBy('id').select('id', 'role', 'disabled_at')).to.deep.equal(before.users);
    });
  }

  it('an admin gets every page and JSON read (200), never cached, and an unknown id is a 404', async () => {
    const admin = await makeUser(t.db, { role: 'admin' });
    const agent = t.agent();
    await apiLogin(agent, admin.email, admin.password);
    const failures: string[] = [];
    for (const { path } of routes.filter((r) => r.method === 'get')) {
      const res = await agent.get(urlFor(path));
      if (res.status !== 200) failures.push(`GET ${urlFor(path)}: ${res.status} ${res.text.slice(0, 120)}`);
      if (res.headers['cache-control'] !== 'no-store') failures.push(`GET ${urlFor(path)}: Cache-Control ${res.headers['cache-control']}`);
      if (path.includes(':id')) {
        const missing = await agent.get(path.replace(/:id/, '2147483647'));
        if (missing.status !== 404) failures.push(`GET ${path} with an unknown id: ${missing.status}`);
        const junk = await agent.get(path.replace(/:id/, '12abc'));
        if (junk.status !== 404) failures.push(`GET ${path} with a junk id: ${junk.status}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('an admin change without the CSRF token is refused (403) and changes nothing', async () => {
    const admin = await makeUser(t.db, { role: 'admin' });
    const agent = t.agent();
    await apiLogin(agent, admin.email, admin.password);
    const before = await t.db('audit_log').count({ n: '*' });
    const failures: string[] = [];
    for (const { method, path } of routes.filter((r) => r.method !== 'get')) {
      const res = await (agent as unknown as Record<string, (u: string) => supertest.Test>)[method]!(urlFor(path)).type('form').send({ ids: String(ids.product), action: 'hide' });
      if (res.status !== 403) failures.push(`${method.toUpperCase()} ${urlFor(path)}: ${res.status}`);
    }
    expect(failures).to.deep.equal([]);
    expect(await t.db('audit_log').count({ n: '*' })).to.deep.equal(before);
  });

  it('with REQUIRE_ADMIN_2FA an admin without two-step sign-in is sent to set it up first', async () => {
    const strict = await createTestContext({ REQUIRE_ADMIN_2FA: 'true' });
    try {
      const admin = await makeUser(strict.db, { role: 'admin' });
      const agent = strict.agent();
      await apiLogin(agent, admin.email, admin.password);
      const page = await agent.get('/admin/products').expect(303);
      expect(page.headers.location).to.equal('/account#two-factor');
      expect((await agent.get('/api/admin/products').expect(403)).body.error.code).to.equal('TWO_FACTOR_REQUIRED');
    } finally {
      await strict.close();
    }
  });
});
