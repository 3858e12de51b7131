import { once } from 'node:events';
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { createDeps, type Deps } from '../src/deps.js';
import { createLogger } from '../src/lib/logger.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';

/** Starts a process's catalog-change listener and waits until it hears changes. */
async function listening(deps: Deps) {
  if (deps.catalogChanges.connected) return;
  const connected = once(deps.catalogChanges, 'connected');
  deps.catalogChanges.start();
  await connected;
}

/** Polls `check` (no fixed sleeps) for up to `ms`; returns how long it took. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

describe('the shared page cache for guests (issue 10)', () => {
  let t: TestContext;
  /**
   * A product added, once its change notice has come back: otherwise the notice can land after
   * the test's first render and clear the page the test expects to find kept.
   */
  async function madeProduct(over: Parameters<typeof makeProduct>[1]) {
    const category = await heardAfter('categories', () => makeCategory(t.db));
    return heardAfter('products', () => makeProduct(t.db, { category_id: category.id, ...over }));
  }
  /** Runs a write and waits for the change notice naming `table`. */
  async function heardAfter<T>(table: string, write: () => Promise<T>): Promise<T> {
    const heard = new Promise<void>((resolve) => {
      const onNotice = (_channel: string, changed: string) => {
        if (changed !== table) return;
        t.deps.catalogChanges.off('notification', onNotice);
        resolve();
      };
      t.deps.catalogChanges.on('notification', onNotice);
    });
    const result = await write();
    await heard;
    return result;
  }
  before(async () => {
    t = await createTestContext();
    await listening(t.deps);
  });
  after(() => t.close());

  it('answers a guest from memory the second time, with an ETag that gives 304 and a header a CDN may honour', async () => {
    const p = await madeProduct({ title: 'Cached Catalog Guide' });
    const first = await supertest(t.app).get(`/products/${p.slug}`).expect(200);
    expect(first.headers['x-page-cache']).to.equal('miss');
    const second = await supertest(t.app).get(`/products/${p.slug}`).expect(200);
    expect(second.headers['x-page-cache']).to.equal('hit');
    expect(second.text).to.equal(first.text).and.include('Cached Catalog Guide');
    expect(second.headers.etag).to.equal(first.headers.etag);
    expect(second.headers['cache-control']).to.equal('public, max-age=0, must-revalidate');
    expect(second.headers.vary).to.match(/Cookie/);
    // The security headers still come with a page from memory.
    expect(second.headers['content-security-policy']).to.be.a('string');
    expect(second.headers['x-request-id']).to.be.a('string');
    await supertest(t.app).get(`/products/${p.slug}`).set('If-None-Match', first.headers.etag!).expect(304);
    // Compressed for browsers that ask, once the compressed copy is ready.
    await within(1000, 'gzip copy', async () => (await supertest(t.app).get(`/products/${p.slug}`).set('Accept-Encoding', 'gzip')).headers['content-encoding'] === 'gzip');
  });

  it('serves HEAD from memory without a body', async () => {
    await supertest(t.app).get('/products').expect(200);
    const head = await supertest(t.app).head('/products').expect(200);
    expect(head.headers['x-page-cache']).to.equal('hit');
    expect(head.text ?? '').to.equal('');
  });

  it('never serves a signed-in shopper from it, nor keeps what they see', async () => {
    const p = await madeProduct({ title: 'Signed In Only Check' });
    await supertest(t.app).get(`/products/${p.slug}`).expect(200);
    expect((await supertest(t.app).get(`/products/${p.slug}`)).headers['x-page-cache']).to.equal('hit');

    const user = await makeUser(t.db, { name: 'Cache Tester' });
    const agent = t.agent();
    await apiLogin(agent, user.email, user.password);
    const signedIn = await agent.get(`/products/${p.slug}`).expect(200);
    expect(signedIn.headers['x-page-cache']).to.equal(undefined);
    expect(signedIn.headers['cache-control']).to.equal('private, no-cache');
    expect(signedIn.text).to.include('data-account-link').and.not.include('Create account');

    // A page first rendered for a signed-in shopper is not kept for guests.
    const fresh = await madeProduct({ title: 'Rendered For A User First' });
    const before = t.deps.pageCache.size;
    await agent.get(`/products/${fresh.slug}`).expect(200);
    expect(t.deps.pageCache.size).to.equal(before);
    const guest = await supertest(t.app).get(`/products/${fresh.slug}`).expect(200);
    expect(guest.headers['x-page-cache']).to.equal('miss');
    expect(guest.text).to.include('Create account').and.not.include('data-account-link');
  });

  it('keeps no error pages and no redirects', async () => {
    for (let i = 0; i < 2; i++) expect((await supertest(t.app).get('/products/no-such-product').expect(404)).headers['x-page-cache']).to.equal(undefined);
    for (let i = 0; i < 2; i++) expect((await supertest(t.app).get('/products?page=9999').expect(302)).headers['x-page-cache']).to.equal(undefined);
  });

  it('stops serving while change notices are interrupted, and serves again once they resume', async () => {
    await supertest(t.app).get('/').expect(200);
    expect((await supertest(t.app).get('/')).headers['x-page-cache']).to.equal('hit');
    const disconnected = once(t.deps.catalogChanges, 'disconnected');
    // The database ends the listener's connection (a failover, an admin's pg_terminate_backend).
    await t.db.raw("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    await disconnected;
    expect(t.deps.pageCache.enabled).to.equal(false);
    // A change made now is not heard; the page must show it anyway.
    await makeProduct(t.db, { title: 'Added While Deaf', is_featured: true, rating: 5 });
    for (let i = 0; i < 2; i++) {
      const res = await supertest(t.app).get('/').expect(200);
      expect(res.headers['x-page-cache']).to.equal(undefined);
      expect(res.text).to.include('Added While Deaf');
    }
    await once(t.deps.catalogChanges, 'connected');
    expect((await supertest(t.app).get('/')).headers['x-page-cache']).to.equal('miss');
    expect((await supertest(t.app).get('/')).headers['x-page-cache']).to.equal('hit');
  });
});

describe('a catalog change reaches every web process (issue 10)', () => {
  let t: TestContext;
  let other: Deps;
  let otherApp: ReturnType<typeof createApp>;
  before(async () => {
    t = await createTestContext();
    // A second web process on the same database: its own pools, caches and listener.
    other = createDeps(t.config, { databaseUrl: t.url, logger: createLogger({ level: 'silent' }), clock: t.clock });
    otherApp = createApp(other);
    await Promise.all([listening(t.deps), listening(other)]);
  });
  after(async () => {
    await other?.close();
    await t?.close();
  });

  it('a price changed through one process shows in the other within a second', async () => {
    const p = await makeProduct(t.db, { title: 'Two Process Price', price_paise: 49_900 });
    await supertest(otherApp).get(`/products/${p.slug}`).expect(200);
    const cached = await supertest(otherApp).get(`/products/${p.slug}`).expect(200);
    expect(cached.headers['x-page-cache']).to.equal('hit');
    expect(cached.text).to.include('₹499');

    await t.db('products').where({ id: p.id }).update({ price_paise: 59_900 });
    const ms = await within(1000, 'new price in the second process', async () => (await supertest(otherApp).get(`/products/${p.slug}`)).text.includes('₹599'));
    console.log(`      second process showed the new price after ${ms.toFixed(0)} ms`);
  });

  it("the other process's category counts and catalog total follow a new product too", async () => {
    const count = async () => /data-result-count>(\d[\d,]*)/.exec((await supertest(otherApp).get('/products').expect(200)).text)?.[1];
    const before = await count();
    await makeProduct(t.db, { title: 'Counted Elsewhere' });
    await within(1000, 'new total in the second process', async () => (await count()) === String(Number(before!.replace(/,/g, '')) + 1));
  });

  it('an admin edit in one process (its admin route) shows in the other within a second (issue 11, item 8)', async () => {
    const p = await makeProduct(t.db, { title: 'Edited By Admin', price_paise: 70_000 });
    const admin = await makeUser(t.db, { role: 'admin' });
    const agent = t.agent();
    const token = (await apiLogin(agent, admin.email, admin.password)).body.csrfToken as string;
    const current = (await agent.get(`/api/admin/products/${p.id}`).expect(200)).body.product;
    await supertest(otherApp).get(`/products/${p.slug}`).expect(200);
    expect((await supertest(otherApp).get(`/products/${p.slug}`)).headers['x-page-cache']).to.equal('hit');
    await agent.put(`/api/admin/products/${p.id}`).set('X-CSRF-Token', token).send({ title: 'Edited By Admin, Second Edition', categoryId: current.categoryId, pricePaise: 80_000, licenseType: current.licenseType, visible: true }).expect(200);
    const ms = await within(1000, 'the edit in the second process', async () => (await supertest(otherApp).get(`/products/${p.slug}`)).text.includes('Second Edition'));
    console.log(`      second process showed the admin's edit after ${ms.toFixed(0)} ms`);
  });

  it('a hidden product disappears from the other process at once', async () => {
    const p = await makeProduct(t.db, { title: 'Soon Hidden Product' });
    await supertest(otherApp).get(`/products/${p.slug}`).expect(200);
    await supertest(otherApp).get(`/products/${p.slug}`).expect(200);
    await t.db('products').where({ id: p.id }).update({ is_visible: false });
    await within(1000, 'hidden in the second process', async () => (await supertest(otherApp).get(`/products/${p.slug}`)).status === 404);
  });
});
