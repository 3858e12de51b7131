import { expect } from 'chai';
import { csrf } from './support/accounts.js';
import { startCheckoutWorld, type CheckoutWorld } from './support/checkout-world.js';

/** What a shopper sees and can do on a product page: ownership, Buy now, and no-JavaScript adds (issue 9). */
describe('product page: ownership, Buy now, adding without JavaScript', () => {
  let w: CheckoutWorld;
  let slugs: string[];
  before(async () => {
    w = await startCheckoutWorld();
    slugs = (await w.t.db('products').whereIn('id', w.products.map((p) => p.id)).orderBy('id').pluck('slug')) as string[];
  });
  after(async () => {
    await w?.close();
  });

  it('a product the shopper owns says so and links to its downloads, with no price or Add to cart (item 11)', async () => {
    const s = await w.shopperWithCart([w.products[0]!.id]);
    const created = await w.createOrder(s).expect(201);
    await w.verify(s, w.rzp.emulator.pay(created.body.razorpayOrderId).response).expect(200);
    const owned = (await s.agent.get(`/products/${slugs[0]}`).expect(200)).text;
    expect(owned).to.include('data-owned').and.include('You own this').and.include(`href="/orders/${created.body.orderId}"`);
    expect(owned).not.to.include('data-add-to-cart');
    expect(owned).not.to.include('data-buy-now');
    // Another product, and the same product for someone else, still sell.
    expect((await s.agent.get(`/products/${slugs[1]}`).expect(200)).text).to.include('data-add-to-cart').and.not.include('data-owned');
    expect((await w.t.agent().get(`/products/${slugs[0]}`).expect(200)).text).to.include('data-add-to-cart').and.not.include('data-owned');
  });

  it('Buy now checks out that product alone and leaves the cart as it was (item 14)', async () => {
    const s = await w.shopperWithCart([w.products[1]!.id]);
    const page = (await s.agent.get(`/products/${slugs[0]}`).expect(200)).text;
    expect(page).to.include(`href="/checkout?buy=${w.products[0]!.id}"`);
    const checkout = (await s.agent.get(`/checkout?buy=${w.products[0]!.id}`).expect(200)).text;
    expect(checkout).to.include('Pitch Deck').and.include(`data-buy="${w.products[0]!.id}"`);
    expect(checkout).not.to.include('Resume Kit');
    const created = await s.agent.post('/api/orders/create').set('X-CSRF-Token', s.csrf).send({ productId: w.products[0]!.id }).expect(201);
    expect(created.body.amount).to.equal(97_400);
    expect(await w.t.db('order_items').where({ order_id: created.body.orderId }).pluck('product_id')).to.deep.equal([w.products[0]!.id]);
    await w.verify(s, w.rzp.emulator.pay(created.body.razorpayOrderId).response).expect(200);
    // The saved cart still holds what was in it.
    expect((await s.agent.get('/api/cart').expect(200)).body.items.map((i: { productId: number }) => i.productId)).to.deep.equal([w.products[1]!.id]);
    // Buying it again is refused; a guest is sent to sign in first.
    const again = await s.agent.post('/api/orders/create').set('X-CSRF-Token', s.csrf).send({ productId: w.products[0]!.id }).expect(409);
    expect(again.body.error.code).to.equal('ALREADY_OWNED');
    expect((await w.t.agent().get(`/products/${slugs[0]}`).expect(200)).text).to.include(`href="/login?next=${encodeURIComponent(`/checkout?buy=${w.products[0]!.id}`)}"`);
    await s.agent.get('/checkout?buy=99999999999').expect(404);
  });

  it('without JavaScript, Add to cart adds for a signed-in shopper and explains to a guest (item 13)', async () => {
    const s = await w.shopperWithCart([]);
    const page = (await s.agent.get(`/products/${slugs[1]}`).expect(200)).text;
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(token).to.be.a('string');
    const res = await s.agent.post('/cart/add').type('form').send({ _csrf: token, productId: String(w.products[1]!.id) }).expect(303);
    expect(res.headers.location).to.equal('/cart');
    const lines = await w.t.db('cart_items as ci').join('carts as c', 'c.id', 'ci.cart_id').where('c.user_id', s.user.id).pluck('ci.product_id');
    expect(lines).to.deep.equal([w.products[1]!.id]);
    const flash = (await s.agent.get('/cart').expect(200)).text;
    expect(flash).to.include('Resume Kit is in your cart.');

    const guest = w.t.agent();
    const guestPage = (await guest.get(`/products/${slugs[1]}`).expect(200)).text;
    expect(guestPage).to.match(/<form method="get" action="\/cart\/add"/);
    const explained = await guest.get(`/cart/add?product=${slugs[1]}`).expect(200);
    expect(explained.text).to.include('JavaScript turned off').and.include(`/login?next=${encodeURIComponent(`/products/${slugs[1]}`)}`);
    // A guest who posts the form anyway is sent to sign in, and nothing is stored.
    const guestToken = await csrf(guest);
    const refused = await guest.post('/cart/add').type('form').send({ _csrf: guestToken, productId: String(w.products[1]!.id) });
    expect(refused.status).to.equal(303);
    expect(refused.headers.location).to.match(/^\/login/);
    expect(await w.t.db('cart_events').where({ product_id: w.products[1]!.id, user_id: null })).to.have.length(0);
  });
});
