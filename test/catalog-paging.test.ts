import { expect } from 'chai';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';

/** Small storefront confusions from the new-shopper walk-through (issue 9, item 13). */
describe('catalog pages past the end, and the signed-out confirmation', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
    const cat = await makeCategory(t.db, { slug: 'paging-cat', name: 'Paging' });
    for (let i = 0; i < 30; i++) await makeProduct(t.db, { category_id: cat.id, title: `Paging product ${i}` });
    await makeProduct(t.db, { category_id: cat.id, title: 'Walrus Sticker Pack' });
  });
  after(async () => {
    await t?.close();
  });

  it('a page past the last one goes to the last page, keeping the filters', async () => {
    const res = await t.agent().get('/products?category=paging-cat&sort=price-asc&page=99').expect(302);
    expect(res.headers.location).to.equal('/products?category=paging-cat&sort=price-asc&page=3');
    const last = await t.agent().get(res.headers.location!).expect(200);
    expect(last.text).to.include('page 3 of 3');
    // With one page of results, page 2 goes to the plain URL.
    const one = await t.agent().get('/search?q=walrus&page=2').expect(302);
    expect(one.headers.location).to.equal('/search?q=walrus');
    // No results at all: the empty page, not a redirect loop.
    await t.agent().get('/products?q=zzzzzz&page=5').expect(200);
  });

  it('the home page confirms a sign-out', async () => {
    expect((await t.agent().get('/?signed-out=1').expect(200)).text).to.include('data-signed-out').and.include('You are signed out');
    expect((await t.agent().get('/').expect(200)).text).not.to.include('data-signed-out');
  });
});
