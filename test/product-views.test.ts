import { once } from 'node:events';
import { expect } from 'chai';
import supertest from 'supertest';
import type { Deps } from '../src/deps.js';
import { REPEAT_VIEW_MS } from '../src/services/product-view-service.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36';

/** Starts a process's catalog-change listener (the shared page cache serves only while it hears). */
async function listening(deps: Deps) {
  if (deps.catalogChanges.connected) return;
  const connected = once(deps.catalogChanges, 'connected');
  deps.catalogChanges.start();
  await connected;
}

describe('product views (the product page beacon)', () => {
  let t: TestContext;
  let ipN = 0;
  // Each test from its own network, so the per-IP throttle of one never touches another.
  const ip = () => `203.0.113.${++ipN}`;

  before(async () => {
    t = await createTestContext({ TRUST_PROXY: '1' });
    await listening(t.deps);
  });
  after(() => t.close());

  const views = (productId: number) => t.db('product_views').where({ product_id: productId }).orderBy('id');
  /** What the beacon sends: form-encoded, no CSRF token, no session cookie for a guest. */
  const beacon = (productId: number | string, anonymousId: string | undefined, from: string, ua = CHROME) =>
    supertest(t.app)
      .post(`/api/products/${productId}/views`)
      .set('X-Forwarded-For', from)
      .set('User-Agent', ua)
      .type('form')
      .send(anonymousId === undefined ? '' : `anonymousId=${encodeURIComponent(anonymousId)}`);

  it('records a guest view with the anonymous id and the app clock, without a token or a session', async () => {
    const p = await makeProduct(t.db);
    const res = await beacon(p.id, 'guest-anon-0001', ip()).expect(204);
    expect(res.headers['set-cookie'], 'a guest beacon starts no session').to.equal(undefined);
    const rows = await views(p.id);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ product_id: p.id, user_id: null, anonymous_id: 'guest-anon-0001' });
    expect(new Date(rows[0].created_at).toISOString()).to.equal(t.clock.now().toISOString());
  });

  it('records a signed-in view with the user id (the session cookie rides along), JSON too', async () => {
    const p = await makeProduct(t.db);
    const user = await makeUser(t.db);
    const agent = t.agent();
    const from = ip();
    expect((await apiLogin(agent, user.email, user.password, { 'X-Forwarded-For': from })).status).to.equal(200);
    // No X-CSRF-Token: the beacon cannot send one.
    await agent.post(`/api/products/${p.id}/views`).set('X-Forwarded-For', from).send({ anonymousId: 'signed-in-browser-1' }).expect(204);
    const rows = await views(p.id);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ user_id: user.id, anonymous_id: 'signed-in-browser-1' });
    // A signed-in viewer needs no anonymous id; a repeat within the window is judged by the user.
    await agent.post(`/api/products/${p.id}/views`).set('X-Forwarded-For', from).expect(204);
    expect(await views(p.id)).to.have.length(1);
  });

  it('counts the same viewer and product once per 30 minutes, then again', async () => {
    const p = await makeProduct(t.db);
    const other = await makeProduct(t.db);
    const from = ip();
    await beacon(p.id, 'repeat-viewer-1', from).expect(204);
    t.clock.advance(REPEAT_VIEW_MS - 60_000);
    await beacon(p.id, 'repeat-viewer-1', from).expect(204);
    expect(await views(p.id), 'a repeat within 30 minutes').to.have.length(1);
    // Another product, or another browser, is a view of its own.
    await beacon(other.id, 'repeat-viewer-1', from).expect(204);
    await beacon(p.id, 'repeat-viewer-2', from).expect(204);
    expect(await views(other.id)).to.have.length(1);
    expect(await views(p.id)).to.have.length(2);
    // The window runs from the last recorded view: 31 minutes after it, a new view.
    t.clock.advance(2 * 60_000);
    await beacon(p.id, 'repeat-viewer-1', from).expect(204);
    const rows = (await views(p.id)).filter((r) => r.anonymous_id === 'repeat-viewer-1');
    expect(rows).to.have.length(2);
    expect(new Date(rows[1].created_at).getTime() - new Date(rows[0].created_at).getTime()).to.equal(REPEAT_VIEW_MS + 60_000);
  });

  it('answers 404 for a hidden or unknown product and stores nothing', async () => {
    const hidden = await makeProduct(t.db, { is_visible: false });
    const from = ip();
    const res = await beacon(hidden.id, 'hidden-viewer-1', from).set('Accept', 'application/json').expect(404);
    expect(res.body.error.code).to.equal('NOT_FOUND');
    await beacon(2_000_000_000, 'hidden-viewer-1', from).expect(404);
    expect(await t.db('product_views').where({ anonymous_id: 'hidden-viewer-1' })).to.have.length(0);
  });

  it('answers 400 with field messages for a bad anonymous id, a missing one, unknown fields or a bad product id', async () => {
    const p = await makeProduct(t.db);
    const from = ip();
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(65), 'semi;colon-id', '']) {
      const res = await beacon(p.id, bad, from).set('Accept', 'application/json').expect(400);
      expect(res.body.error.fields, bad).to.have.property('anonymousId');
    }
    const missing = await beacon(p.id, undefined, from).set('Accept', 'application/json').expect(400);
    expect(missing.body.error.fields.anonymousId).to.match(/required/);
    const extra = await supertest(t.app).post(`/api/products/${p.id}/views`).set('X-Forwarded-For', from).set('Accept', 'application/json').send({ anonymousId: 'good-anon-id-1', userId: 1 }).expect(400);
    expect(extra.body.error.fields).to.have.property('userId');
    for (const id of ['abc', '0', '-1', '1.5', '99999999999']) {
      const res = await beacon(id, 'good-anon-id-1', from).set('Accept', 'application/json').expect(400);
      expect(res.body.error.fields, id).to.have.property('id');
    }
    expect(await views(p.id)).to.have.length(0);
  });

  it('throttles each network to 600 beacons a minute (429 with Retry-After, nothing stored)', async function () {
    this.timeout(60_000);
    const p = await makeProduct(t.db);
    const from = ip();
    // 600 a minute: shoppers behind one carrier-grade NAT share an address.
    for (let i = 0; i < 600; i++) await beacon(p.id, 'throttled-viewer', from).expect(204);
    const over = await beacon(p.id, 'throttled-viewer-2', from).expect(429);
    expect(Number(over.headers['retry-after'])).to.be.within(1, 60);
    expect((await views(p.id)).map((r) => r.anonymous_id)).to.deep.equal(['throttled-viewer']);
    // Another network is not held back.
    await beacon(p.id, 'throttled-viewer-2', ip()).expect(204);
  });

  it('stores nothing for crawlers, but counts headless Chrome (our e2e runs)', async () => {
    const p = await makeProduct(t.db);
    const from = ip();
    for (const ua of [
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
      'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
      'Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    ]) {
      await beacon(p.id, 'crawler-anon-1', from, ua).expect(204);
    }
    expect(await views(p.id), 'no crawler view').to.have.length(0);
    await beacon(p.id, 'headless-anon-1', from, HEADLESS).expect(204);
    expect((await views(p.id)).map((r) => r.anonymous_id)).to.deep.equal(['headless-anon-1']);
  });

  it('puts the beacon and the product id on the product page, also when served from the shared cache', async () => {
    const p = await makeProduct(t.db, { title: 'Beacon Cached Guide' });
    const script = /<script src="\/js\/product-views\.js\?v=[^"]+" defer><\/script>/;
    const first = await supertest(t.app).get(`/products/${p.slug}`).expect(200);
    expect(first.headers['x-page-cache']).to.equal('miss');
    const second = await supertest(t.app).get(`/products/${p.slug}`).expect(200);
    expect(second.headers['x-page-cache']).to.equal('hit');
    for (const page of [first, second]) {
      expect(page.text).to.match(script);
      expect(page.text).to.include(`data-product-view="${p.id}"`);
    }
    // Signed in (never from the cache) the page carries them too.
    const user = await makeUser(t.db);
    const agent = t.agent();
    await apiLogin(agent, user.email, user.password);
    const signedIn = await agent.get(`/products/${p.slug}`).expect(200);
    expect(signedIn.headers['x-page-cache']).to.equal(undefined);
    expect(signedIn.text).to.match(script).and.include(`data-product-view="${p.id}"`);
    // And the script itself is served.
    const js = await supertest(t.app).get('/js/product-views.js').expect(200);
    expect(js.text).to.include('sendBeacon').and.include('pixelbazaar.anon.v1');
  });
});
