import { expect } from 'chai';
import { createTestContext, type TestContext } from './support/context.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { makeCategory, makeProduct } from './support/factories.js';

describe('cart', () => {
  let t: TestContext;
  let p1: { id: number; slug: string };
  let p2: { id: number; slug: string };
  let p3: { id: number; slug: string };
  let hidden: { id: number; slug: string };

  before(async () => {
    t = await createTestContext();
    const cat = await makeCategory(t.db);
    p1 = await makeProduct(t.db, { category_id: cat.id, title: 'Pitch Deck', price_paise: 129_900, discount_percent: 25 });
    p2 = await makeProduct(t.db, { category_id: cat.id, title: 'Resume Kit', price_paise: 24_900 });
    p3 = await makeProduct(t.db, { category_id: cat.id, title: 'Icon Set', price_paise: 89_900, discount_percent: 20 });
    hidden = await makeProduct(t.db, { category_id: cat.id, title: 'Hidden', is_visible: false });
  });
  after(() => t.close());

  async function shopper() {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const login = await apiLogin(agent, user.email, user.password);
    const csrfToken = login.body.csrfToken as string;
    const post = (url: string, body: unknown) => agent.post(url).set('X-CSRF-Token', csrfToken).send(body as object);
    return { user, agent, csrfToken, post };
  }
  const lines = async (userId: number) =>
    t.db('cart_items as i').join('carts as c', 'c.id', 'i.cart_id').where('c.user_id', userId).select('i.product_id', 'i.quantity').orderBy('i.product_id');

  it('adds, shows with server prices, and removes', async () => {
    const { user, agent, post } = await shopper();
    const added = await post('/api/cart/add', { productId: p1.id }).expect(200);
    expect(added.body).to.include({ subtotal: 129_900, discount: 32_500, total: 97_400, currency: 'INR', count: 1 });
    expect(added.body.items[0]).to.deep.include({ productId: p1.id, slug: p1.slug, title: 'Pitch Deck', unitPrice: 129_900, discountPercent: 25, salePrice: 97_400, quantity: 1, lineTotal: 97_400, licenseType: 'personal' });
    await post('/api/cart/add', { productId: p2.id, quantity: 3 }).expect(200);
    const cart = await agent.get('/api/cart').expect(200);
    expect(cart.body).to.include({ subtotal: 129_900 + 3 * 24_900, total: 97_400 + 3 * 24_900, count: 4 });
    expect(await lines(user.id)).to.deep.equal([
      { product_id: p1.id, quantity: 1 },
      { product_id: p2.id, quantity: 3 },
    ]);
    const removed = await post('/api/cart/remove', { productId: p1.id }).expect(200);
    expect(removed.body.items.map((i: { productId: number }) => i.productId)).to.deep.equal([p2.id]);
    await post('/api/cart/remove', { productId: p1.id }).expect(200); // removing twice is fine
    expect(await lines(user.id)).to.deep.equal([{ product_id: p2.id, quantity: 3 }]);
    const events = await t.db('cart_events').where({ user_id: user.id }).orderBy('id').pluck('action');
    expect(events).to.deep.equal(['add', 'add', 'remove']);
  });

  it('refuses unknown, hidden and already-owned products without changing the cart', async () => {
    const { user, post } = await shopper();
    await post('/api/cart/add', { productId: p2.id }).expect(200);
    const unknown = await post('/api/cart/add', { productId: 999_999 }).expect(404);
    expect(unknown.body.error.message).to.equal('That product is not available.');
    await post('/api/cart/add', { productId: hidden.id }).expect(404);

    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 89_900, total_paise: 71_900, discount_paise: 18_000, paid_at: new Date() }).returning('id');
    await t.db('order_items').insert({ order_id: order.id, product_id: p3.id, title: 'Icon Set', unit_price_paise: 89_900, discount_percent: 20, sale_price_paise: 71_900, quantity: 1, line_total_paise: 71_900, license_type: 'personal' });
    const owned = await post('/api/cart/add', { productId: p3.id }).expect(409);
    expect(owned.body.error).to.deep.equal({ code: 'ALREADY_OWNED', message: 'You already own this product. Find it in your downloads.' });
    expect(await lines(user.id)).to.deep.equal([{ product_id: p2.id, quantity: 1 }]);
  });

  it('validates quantity and ids: 0, -1, 10^9, strings, unknown fields → 400', async () => {
    const { user, post } = await shopper();
    for (const [body, field] of [
      [{ productId: p1.id, quantity: 0 }, 'quantity'],
      [{ productId: p1.id, quantity: -1 }, 'quantity'],
      [{ productId: p1.id, quantity: 1e9 }, 'quantity'],
      [{ productId: p1.id, quantity: '2' }, 'quantity'],
      [{ productId: p1.id, quantity: 1.5 }, 'quantity'],
      [{ productId: String(p1.id) }, 'productId'],
      [{ productId: -5 }, 'productId'],
      [{}, 'productId'],
      [{ productId: p1.id, price: 1 }, 'price'],
    ] as const) {
      const res = await post('/api/cart/add', body).expect(400);
      expect(res.body.error.fields, JSON.stringify(body)).to.have.property(field);
    }
    expect(await lines(user.id)).to.deep.equal([]);
  });

  it('20 concurrent adds of the same product make one line', async () => {
    const { user, post } = await shopper();
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/api/cart/add', { productId: p1.id })));
    expect(results.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
    expect(await lines(user.id)).to.deep.equal([{ product_id: p1.id, quantity: 1 }]);
    expect(await t.db('carts').where({ user_id: user.id })).to.have.length(1);
  });

  it('merges a guest cart: union, larger quantity wins, hidden/unknown/owned dropped, idempotent', async () => {
    const { user, agent, post } = await shopper();
    await post('/api/cart/add', { productId: p1.id, quantity: 2 }).expect(200);
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 89_900, total_paise: 71_900, discount_paise: 18_000 }).returning('id');
    await t.db('order_items').insert({ order_id: order.id, product_id: p3.id, title: 'Icon Set', unit_price_paise: 89_900, discount_percent: 20, sale_price_paise: 71_900, quantity: 1, line_total_paise: 71_900, license_type: 'personal' });
    const guest = { items: [{ productId: p1.id, quantity: 1 }, { productId: p2.id, quantity: 1 }, { productId: hidden.id, quantity: 1 }, { productId: 424_242, quantity: 1 }, { productId: p3.id, quantity: 1 }] };
    const merged = await post('/api/cart/merge', guest).expect(200);
    expect(merged.body.items.map((i: { productId: number; quantity: number }) => [i.productId, i.quantity])).to.deep.equal([
      [p1.id, 2],
      [p2.id, 1],
    ]);
    expect(merged.body.dropped).to.deep.equal([
      { productId: hidden.id, title: 'Hidden', reason: 'unavailable' },
      { productId: 424_242, reason: 'unavailable' },
      { productId: p3.id, title: 'Icon Set', reason: 'owned' },
    ]);
    const again = await post('/api/cart/merge', guest).expect(200);
    expect(again.body.items).to.deep.equal(merged.body.items);
    expect(await lines(user.id)).to.deep.equal([
      { product_id: p1.id, quantity: 2 },
      { product_id: p2.id, quantity: 1 },
    ]);
    await post('/api/cart/merge', { items: Array.from({ length: 51 }, (_, i) => ({ productId: i + 1, quantity: 1 })) }).expect(400);
    await post('/api/cart/merge', { items: 'all of them' }).expect(400);
    // The stored cart survives sign-out and comes back at the next sign-in.
    await agent.post('/api/auth/logout').set('X-CSRF-Token', (await agent.get('/api/auth/csrf')).body.csrfToken).expect(204);
    const back = t.agent();
    await apiLogin(back, user.email, user.password);
    const cart = await back.get('/api/cart').expect(200);
    expect(cart.body.count).to.equal(3);
  });

  it('shows the new price when the database price changes, and drops products hidden since', async () => {
    const { agent, post } = await shopper();
    await post('/api/cart/add', { productId: p2.id }).expect(200);
    await post('/api/cart/add', { productId: p3.id }).expect(200);
    await t.db('products').where({ id: p2.id }).update({ price_paise: 19_900 });
    const lateHide = await makeProduct(t.db, { title: 'Soon hidden', price_paise: 50_000 });
    await post('/api/cart/add', { productId: lateHide.id }).expect(200);
    await t.db('products').where({ id: lateHide.id }).update({ is_visible: false });
    const cart = await agent.get('/api/cart').expect(200);
    expect(cart.body.items.find((i: { productId: number }) => i.productId === p2.id).unitPrice).to.equal(19_900);
    expect(cart.body.removed).to.deep.equal([{ productId: lateHide.id, title: 'Soon hidden', reason: 'unavailable' }]);
    expect(cart.body.items.map((i: { productId: number }) => i.productId)).not.to.include(lateHide.id);
    await t.db('products').where({ id: p2.id }).update({ price_paise: 24_900 });
  });

  it('quotes a guest cart at current prices without storing anything', async () => {
    const before = await t.db('cart_items').count<{ count: number }[]>('* as count');
    const res = await t.agent().get(`/api/cart/quote?items=${p1.id}:1,${p3.id}:2,${hidden.id}:1`).expect(200);
    expect(res.body).to.include({ subtotal: 129_900 + 2 * 89_900, total: 97_400 + 2 * 71_900, count: 3 });
    expect(res.body.dropped).to.deep.equal([{ productId: hidden.id, title: 'Hidden', reason: 'unavailable' }]);
    expect(await t.db('cart_items').count<{ count: number }[]>('* as count')).to.deep.equal(before);
    await t.agent().get('/api/cart/quote?items=abc').expect(400);
    await t.agent().get(`/api/cart/quote?items=${p1.id}:0`).expect(400);
    await t.agent().get(`/api/cart/quote?items=${p1.id}:99`).expect(400);
    await t.agent().get('/api/cart/quote?items=').expect(200);
    const empty = await t.agent().get('/api/cart/quote').expect(200);
    expect(empty.body).to.include({ total: 0, count: 0 });
  });

  it('records guest cart events with an anonymous id', async () => {
    const agent = t.agent();
    const token = (await agent.get('/api/auth/csrf')).body.csrfToken;
    await agent.post('/api/cart/events').set('X-CSRF-Token', token).send({ anonymousId: 'guest-abc-12345', action: 'add', productId: p1.id }).expect(204);
    await agent.post('/api/cart/events').set('X-CSRF-Token', token).send({ anonymousId: 'x', action: 'add', productId: p1.id }).expect(400);
    const rows = await t.db('cart_events').where({ anonymous_id: 'guest-abc-12345' });
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ action: 'add', product_id: p1.id, user_id: null });
  });

  it('needs sign-in for the saved cart and CSRF for changes', async () => {
    await t.agent().get('/api/cart').expect(401);
    const { agent } = await shopper();
    await agent.post('/api/cart/add').send({ productId: p1.id }).expect(403);
    const page = await agent.get('/cart').expect(200);
    expect(page.text).to.include('data-cart-root').and.include('data-checkout');
  });

  it('shows the signed-in cart count in the header', async () => {
    const { agent, post } = await shopper();
    await post('/api/cart/add', { productId: p2.id, quantity: 2 }).expect(200);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.match(/<span class="cart-count" data-cart-count>2<\/span>/);
  });
});
