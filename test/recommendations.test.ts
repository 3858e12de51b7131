import { once } from 'node:events';
import { expect } from 'chai';
import supertest from 'supertest';
import { cosine, sparse } from '../src/lib/recs/cosine.js';
import { RecommendationEngine, historyFromSignals, padWithTrending, scoreFromHistory } from '../src/lib/recs/engine.js';
import type { RecomputeReport } from '../src/services/recommendation-service.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';

/** One at a time: products inserted together into one category deadlock on its kept counts. */
async function seq<T>(xs: number[], make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const x of xs) out.push(await make(x));
  return out;
}

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('recommendations: the math (pure)', () => {
  it('cosine of two hand-made sparse vectors', () => {
    // (1, 2, 0) · (0, 2, 3) = 4; |a| = √5, |b| = √13.
    expect(cosine(sparse([[0, 1], [1, 2]]), sparse([[1, 2], [2, 3]]))).to.be.closeTo(4 / Math.sqrt(5 * 13), 1e-12);
    expect(cosine(sparse([]), sparse([[1, 1]]))).to.equal(0);
  });

  it('behaviour cosine over who touched what, with the signal weights (view 1, cart 3)', () => {
    const now = Date.UTC(2026, 10, 24);
    const products = [1, 2, 3, 4].map((id) => ({ id, categoryId: id, tags: [], title: 'x' }));
    const e = new RecommendationEngine(products, { now });
    // u1 viewed A, B; u2 viewed A, C; u3 viewed A, B, C; u4 viewed A and added D to the cart.
    for (const [actor, id] of [['u1', 1], ['u1', 2], ['u2', 1], ['u2', 3], ['u3', 1], ['u3', 2], ['u3', 3], ['u4', 1]] as const) e.add(actor, id, 'view', now);
    e.add('u4', 4, 'cart', now);
    // Each entry is log(1 + weight): ln 2 for a view, ln 4 for a cart add. A = (c, c, c, c), B = (c, 0, c, 0), C = (0, c, c, 0), D = (0, 0, 0, ln 4).
    expect(e.behaviourCosine(1, 2)).to.be.closeTo(2 / (2 * Math.SQRT2), 1e-12); // 2c² / (2c · √2 c)
    expect(e.behaviourCosine(2, 3)).to.be.closeTo(0.5, 1e-12); // c² / (√2 c)²
    expect(e.behaviourCosine(1, 4)).to.be.closeTo(0.5, 1e-12); // c · ln4 / (2c · ln4)
    expect(e.behaviourCosine(2, 4)).to.equal(0);
    // Recency: a view a half-life old weighs half (log(1 + 0.5)).
    const old = new RecommendationEngine(products, { now, halfLifeDays: 10 });
    old.add('u1', 1, 'view', now - 10 * 86_400_000);
    old.add('u1', 2, 'view', now);
    old.add('u2', 2, 'view', now);
    expect(old.behaviourCosine(1, 2)).to.be.closeTo(Math.log1p(0.5) * Math.LN2 / (Math.log1p(0.5) * Math.sqrt(2) * Math.LN2), 1e-12);
  });

  it('content cosine over category and tags with IDF weights', () => {
    const e = new RecommendationEngine(
      [
        { id: 1, categoryId: 1, tags: ['a'], title: 'X 1' },
        { id: 2, categoryId: 1, tags: ['a', 'b'], title: 'Y 2' },
        { id: 3, categoryId: 2, tags: ['b'], title: 'Z 3' },
      ],
      { now: 0 },
    );
    // idf = ln(1 + N/df): ln 2.5 for df 2 (category 1, tag a, tag b), ln 4 for df 1 (category 2).
    const L = Math.log(2.5);
    const M = Math.log(4);
    expect(e.contentCosine(1, 2)).to.be.closeTo(2 / Math.sqrt(6), 1e-12);
    expect(e.contentCosine(2, 3)).to.be.closeTo((L * L) / (Math.sqrt(3) * L * Math.sqrt(M * M + L * L)), 1e-12);
    expect(e.contentCosine(1, 3)).to.equal(0);
  });

  it('blends, ranks and says why; scores a history and pads with trending', () => {
    const now = Date.UTC(2026, 10, 24);
    const products = [1, 2, 3, 4].map((id) => ({ id, categoryId: id <= 2 ? 1 : 2, tags: [], title: 'item' }));
    const e = new RecommendationEngine(products, { now, alpha: 0.5 });
    e.add('u1', 1, 'purchase', now);
    e.add('u1', 2, 'purchase', now);
    e.add('u2', 1, 'view', now);
    e.add('u2', 3, 'view', now);
    const n = e.neighboursOf(1);
    expect(n.map((x) => x.neighborId)).to.deep.equal([2, 3, 4]);
    expect(n[0]).to.include({ reason: 'bought_together' });
    expect(n[0]!.score).to.be.closeTo(0.5 * n[0]!.behaviourScore + 0.5 * n[0]!.contentScore, 1e-12);
    expect(n[1]).to.include({ reason: 'viewed_together' });
    expect(n[2]).to.include({ reason: 'similar', behaviourScore: 0 });
    const history = historyFromSignals([{ productId: 1, kind: 'view', at: now }, { productId: 1, kind: 'purchase', at: now - 1 }], now);
    expect(history).to.have.length(1);
    expect(history[0]).to.include({ productId: 1, kind: 'purchase', last: now });
    expect(history[0]!.weight).to.be.closeTo(Math.log1p(6), 1e-9);
    const picks = scoreFromHistory(history, new Map([[1, n]]), new Set([3]), 5);
    expect(picks.map((p) => p.productId)).to.deep.equal([2, 4]);
    expect(picks[0]).to.include({ because: 1 });
    expect(padWithTrending(picks, [4, 3, 9, 8], new Set([3]), 3, (productId) => ({ productId, score: 0, because: 0 })).map((p) => p.productId)).to.deep.equal([2, 4, 9]);
  });
});

describe('recommendations (store)', function () {
  this.timeout(20_000);
  let t: TestContext;
  let ipN = 0;
  const ip = () => `198.51.100.${++ipN}`;
  before(async () => {
    t = await createTestContext({ TRUST_PROXY: '1' });
  });
  after(() => t.close());

  const recompute = async () => {
    const r = await t.deps.services.recommendations.recompute();
    expect(r).not.to.have.property('skipped');
    return r as RecomputeReport;
  };
  const beacon = (productId: number, anonymousId: string, from = ip()) =>
    supertest(t.app).post(`/api/products/${productId}/views`).set('X-Forwarded-For', from).set('User-Agent', CHROME).type('form').send(`anonymousId=${anonymousId}`).expect(204);
  async function shopper() {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const from = ip();
    const login = await apiLogin(agent, user.email, user.password, { 'X-Forwarded-For': from });
    const csrfToken = login.body.csrfToken as string;
    const view = (productId: number) => agent.post(`/api/products/${productId}/views`).set('X-Forwarded-For', from).set('User-Agent', CHROME).send({ anonymousId: `browser-of-${user.id}` }).expect(204);
    const add = (productId: number) => agent.post('/api/cart/add').set('X-CSRF-Token', csrfToken).send({ productId }).expect(200);
    return { user, agent, view, add };
  }
  async function paidOrder(userId: number, productIds: number[]) {
    const [order] = (await t.db('orders').insert({ user_id: userId, status: 'paid', subtotal_paise: 1000, total_paise: 1000, paid_at: t.clock.now() }).returning('id')) as { id: number }[];
    await t.db('order_items').insert(productIds.map((product_id) => ({ order_id: order!.id, product_id, title: 'x', unit_price_paise: 1000, sale_price_paise: 1000, line_total_paise: 1000, license_type: 'personal' })));
  }
  const neighbours = (productId: number) => t.db('product_recommendations').where({ product_id: productId }).orderBy('rank').select('neighbor_id', 'reason', 'behaviour_score', 'content_score', 'score', 'rank');

  it('records views (guest and signed in), cart adds and purchases as signals, with the guest browser attributed after sign-in', async () => {
    const cat = await makeCategory(t.db);
    const [a, b, c, d] = await seq([0, 1, 2, 3], (i) => makeProduct(t.db, { category_id: cat.id, title: `Signal Item ${i}`, tags: [`sig${i}`] }));
    // A guest views A and B; later the same browser signs in (its id rides along with the session).
    await beacon(a!.id, 'guest-browser-77');
    await beacon(b!.id, 'guest-browser-77');
    const s = await shopper();
    await s.agent.post(`/api/products/${c!.id}/views`).set('X-Forwarded-For', ip()).set('User-Agent', CHROME).send({ anonymousId: 'guest-browser-77' }).expect(204);
    await s.add(c!.id);
    await paidOrder(s.user.id, [a!.id, d!.id]);
    expect(await t.db('product_views').whereIn('product_id', [a!.id, b!.id, c!.id]).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(3);
    expect(await t.db('cart_events').where({ user_id: s.user.id, product_id: c!.id, action: 'add' }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
    const report = await recompute();
    expect(report.signals).to.be.at.least(5);
    const ofA = await neighbours(a!.id);
    // A and D were bought together; B and C reach A only through the attributed guest views.
    expect(ofA.find((r) => r.neighbor_id === d!.id)).to.include({ reason: 'bought_together' });
    const ofB = await neighbours(b!.id);
    const bc = ofB.find((r) => r.neighbor_id === c!.id);
    expect(bc, 'the guest view of B and the signed-in view of C are one shopper').to.not.equal(undefined);
    expect(bc!.behaviour_score).to.be.greaterThan(0);
    const run = await t.db('recommendation_runs').where({ id: report.runId }).first();
    expect(run.finished_at).to.not.equal(null);
    expect(run.products).to.equal(report.products);
  });

  it('stores the cosine of a hand-made example', async () => {
    const [p, q, r] = await seq([0, 1, 2], (_) => makeProduct(t.db));
    // Three browsers: one views P and Q, one P and R, one P, Q and R → cos(P, Q) = 2/√6, cos(Q, R) = 1/2.
    for (const [anon, ids] of [['hand-made-1', [p!.id, q!.id]], ['hand-made-2', [p!.id, r!.id]], ['hand-made-3', [p!.id, q!.id, r!.id]]] as const) {
      for (const id of ids) await beacon(id, anon);
    }
    await recompute();
    const pq = (await neighbours(p!.id)).find((x) => x.neighbor_id === q!.id);
    const qr = (await neighbours(q!.id)).find((x) => x.neighbor_id === r!.id);
    expect(pq!.behaviour_score).to.be.closeTo(2 / Math.sqrt(6), 1e-6);
    expect(qr!.behaviour_score).to.be.closeTo(0.5, 1e-6);
    expect(pq!.reason).to.equal('viewed_together');
  });

  it('never recommends hidden, archived or (for that shopper) owned products, even when hidden after the run', async () => {
    const cat = await makeCategory(t.db);
    const [src, hidden, archived, owned, later, ok] = await seq([0, 1, 2, 3, 4, 5], (i) => makeProduct(t.db, { category_id: cat.id, title: `Exclusion ${i}`, tags: ['exclusions'] }));
    for (const id of [src!.id, hidden!.id, archived!.id, owned!.id, later!.id, ok!.id]) await beacon(id, 'exclusions-browser');
    await t.db('products').whereIn('id', [hidden!.id]).update({ is_visible: false });
    await t.db('products').whereIn('id', [archived!.id]).update({ is_visible: false, archived_at: t.clock.now() });
    const buyer = await shopper();
    await paidOrder(buyer.user.id, [owned!.id]);
    await recompute();
    const stored = (await neighbours(src!.id)).map((r) => r.neighbor_id);
    expect(stored).to.include.members([owned!.id, later!.id, ok!.id]);
    expect(stored).to.not.include.members([hidden!.id]);
    expect(stored).to.not.include(archived!.id);
    expect(await neighbours(hidden!.id), 'a hidden product has no list').to.have.length(0);
    await t.db('products').where({ id: later!.id }).update({ is_visible: false });
    const guest = await supertest(t.app).get(`/api/products/${src!.slug}/recommendations?limit=20`).expect(200);
    const guestSlugs = (guest.body.items as { slug: string }[]).map((i) => i.slug);
    expect(guestSlugs).to.include.members([owned!.slug, ok!.slug]);
    expect(guestSlugs).to.not.include(later!.slug);
    const mine = await buyer.agent.get(`/api/products/${src!.slug}/recommendations?limit=20`).expect(200);
    const mySlugs = (mine.body.items as { slug: string }[]).map((i) => i.slug);
    expect(mySlugs).to.include(ok!.slug);
    expect(mySlugs, 'the buyer owns it').to.not.include(owned!.slug);
    // The product page too.
    const page = await buyer.agent.get(`/products/${src!.slug}`).expect(200);
    expect(page.text).to.include(ok!.slug);
    expect(page.text).to.not.include(`/products/${owned!.slug}"`);
    expect(page.text).to.not.include(`/products/${later!.slug}"`);
  });

  it('cold start: guests and new accounts get trending; a shopper with a history gets personal picks that say why', async () => {
    const cat = await makeCategory(t.db);
    const [hot, x, y] = await seq([0, 1, 2], (i) => makeProduct(t.db, { category_id: cat.id, title: `Cold Start ${i}`, tags: ['coldstart'] }));
    for (let i = 0; i < 12; i++) await beacon(hot!.id, `trend-browser-${i}`);
    await beacon(x!.id, 'trend-browser-0');
    await beacon(y!.id, 'trend-browser-0');
    await recompute();
    const guest = await supertest(t.app).get('/api/recommendations?limit=3').expect(200);
    expect(guest.body.strategy).to.equal('trending');
    expect(guest.body.items[0]).to.include({ slug: hot!.slug, reason: 'Trending this week' });
    const fresh = await shopper();
    const newAccount = await fresh.agent.get('/api/recommendations?limit=3').expect(200);
    expect(newAccount.body.strategy).to.equal('trending');
    const home = await fresh.agent.get('/').expect(200);
    expect(home.text).to.include('Trending now');
    // After viewing one product, the shopper's list is built from it.
    await fresh.view(x!.id);
    const personal = await fresh.agent.get('/api/recommendations?limit=3').expect(200);
    expect(personal.body.strategy).to.equal('personal');
    expect(personal.body.items[0].reason).to.equal(`Because you viewed Cold Start 1`);
    const myHome = await fresh.agent.get('/').expect(200);
    expect(myHome.text).to.include('Recommended for you').and.include('Because you viewed Cold Start 1');
    // A guest's home page (shared cache) never shows a personal list.
    const guestHome = await supertest(t.app).get('/').expect(200);
    expect(guestHome.text).to.include('Trending now').and.not.include('Recommended for you');
  });

  it('answers the JSON shapes, checks the limit and 404s an unknown or hidden product', async () => {
    const cat = await makeCategory(t.db);
    const [p, q] = await seq([0, 1], (i) => makeProduct(t.db, { category_id: cat.id, title: `Shape ${i}`, tags: ['shapes'] }));
    await beacon(p!.id, 'shape-browser');
    await beacon(q!.id, 'shape-browser');
    await recompute();
    const res = await supertest(t.app).get(`/api/products/${p!.slug}/recommendations?limit=1`).expect(200).expect('Content-Type', /json/);
    expect(res.body).to.have.keys('items', 'strategy');
    expect(res.body.strategy).to.equal('item-item');
    expect(res.body.items).to.have.length(1);
    expect(res.body.items[0]).to.include.keys('slug', 'title', 'price', 'reason', 'score');
    expect(res.body.items[0]).to.include({ slug: q!.slug, title: 'Shape 1', reason: 'Viewed together with Shape 0' });
    expect(res.body.items[0].price).to.be.a('number');
    expect(res.body.items[0].score).to.be.a('number').and.greaterThan(0);
    const me = await supertest(t.app).get('/api/recommendations?limit=2').expect(200);
    expect(me.body).to.have.keys('items', 'strategy');
    for (const item of me.body.items) expect(item).to.include.keys('slug', 'title', 'price', 'reason', 'score');
    const bad = await supertest(t.app).get('/api/recommendations?limit=500').set('Accept', 'application/json').expect(400);
    expect(bad.body.error.fields).to.have.property('limit');
    await supertest(t.app).get(`/api/products/${p!.slug}/recommendations?limit=abc`).set('Accept', 'application/json').expect(400);
    await supertest(t.app).get('/api/products/no-such-product/recommendations').set('Accept', 'application/json').expect(404);
    await t.db('products').where({ id: q!.id }).update({ is_visible: false });
    await supertest(t.app).get(`/api/products/${q!.slug}/recommendations`).set('Accept', 'application/json').expect(404);
    const cart = await supertest(t.app).get(`/api/recommendations/cart?ids=${p!.id}&limit=4`).expect(200);
    expect(cart.body).to.have.keys('items', 'strategy');
    await supertest(t.app).get('/api/recommendations/cart?ids=1;DROP').set('Accept', 'application/json').expect(400);
  });

  it('"Complete your collection" suggests what goes with the cart, leaving out what is in it', async () => {
    const cat = await makeCategory(t.db);
    const [a, b, c] = await seq([0, 1, 2], (i) => makeProduct(t.db, { category_id: cat.id, title: `Collection ${i}`, tags: ['collection'] }));
    const other = await shopper();
    await paidOrder(other.user.id, [a!.id, b!.id, c!.id]);
    await recompute();
    const s = await shopper();
    await s.add(a!.id);
    await s.add(b!.id);
    const res = await s.agent.get('/api/recommendations/cart?limit=4').expect(200);
    const slugs = (res.body.items as { slug: string }[]).map((i) => i.slug);
    expect(slugs[0]).to.equal(c!.slug);
    expect(slugs).to.not.include.members([a!.slug, b!.slug]);
    expect(res.body.items[0].reason).to.match(/^Bought together with Collection [01]$/);
    const guest = await supertest(t.app).get(`/api/recommendations/cart?ids=${a!.id}`).expect(200);
    expect((guest.body.items as { slug: string }[]).map((i) => i.slug)).to.include(c!.slug);
    const page = await s.agent.get('/cart').expect(200);
    expect(page.text).to.include('data-recs-cart').and.include('Complete your collection');
  });

  it('shows "Customers also bought" and "Similar products" on the product page (guest, cacheable)', async () => {
    const cat = await makeCategory(t.db);
    const [a, b, c] = await seq([0, 1, 2], (i) => makeProduct(t.db, { category_id: cat.id, title: `Page Item ${i}`, tags: ['pageitems'] }));
    const buyer = await shopper();
    await paidOrder(buyer.user.id, [a!.id, b!.id]);
    await recompute();
    const page = await supertest(t.app).get(`/products/${a!.slug}`).expect(200);
    expect(page.text).to.include('Customers also bought').and.include('Similar products');
    expect(page.text).to.include('Bought together with Page Item 0');
    expect(page.text).to.include(`data-product-slug="${b!.slug}"`).and.include(`data-product-slug="${c!.slug}"`);
    expect(page.text).to.not.include('More in ');
    // A product no run has listed yet shows today's strip.
    const fresh = await makeProduct(t.db, { category_id: cat.id, title: 'Brand New Item' });
    const newPage = await supertest(t.app).get(`/products/${fresh.slug}`).expect(200);
    expect(newPage.text).to.include(`More in ${cat.name}`);
  });

  it('a recompute clears the shared page cache, so cached guest product pages show the new lists', async () => {
    if (!t.deps.catalogChanges.connected) {
      const connected = once(t.deps.catalogChanges, 'connected');
      t.deps.catalogChanges.start();
      await connected;
    }
    const cat = await makeCategory(t.db);
    const [a, b] = await seq([0, 1], (i) => makeProduct(t.db, { category_id: cat.id, title: `Cached ${i}`, tags: [`cached${i}`] }));
    await recompute();
    await supertest(t.app).get(`/products/${a!.slug}`).expect(200);
    const hit = await supertest(t.app).get(`/products/${a!.slug}`).expect(200);
    expect(hit.headers['x-page-cache']).to.equal('hit');
    expect(hit.text).to.not.include('Viewed together with Cached 0');
    await beacon(a!.id, 'cached-browser');
    await beacon(b!.id, 'cached-browser');
    await recompute();
    const fresh = await supertest(t.app).get(`/products/${a!.slug}`).expect(200);
    expect(fresh.headers['x-page-cache']).to.not.equal('hit');
    expect(fresh.text).to.include('Viewed together with Cached 0');
  });

  it('recompute is idempotent and runs once at a time', async () => {
    const snapshot = () => t.db('product_recommendations').orderBy(['product_id', 'rank']).select('product_id', 'rank', 'neighbor_id', 'score', 'behaviour_score', 'content_score', 'reason');
    await recompute();
    const first = await snapshot();
    const trendingFirst = await t.db('recommendation_trending').orderBy('rank');
    expect(first.length).to.be.greaterThan(0);
    const second = await recompute();
    expect(await snapshot()).to.deep.equal(first);
    expect(await t.db('recommendation_trending').orderBy('rank')).to.deep.equal(trendingFirst);
    expect(await t.db('product_recommendations').whereNot('run_id', second.runId).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(0);
    // Two at once (two schedulers, or the job and `npm run recommendations`): one runs, one skips.
    const both = await Promise.all([t.deps.services.recommendations.recompute(), t.deps.services.recommendations.recompute()]);
    expect(both.filter((r) => 'skipped' in r)).to.have.length(1);
    expect(await snapshot()).to.deep.equal(first);
  });
});
