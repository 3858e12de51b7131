import { expect } from 'chai';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';

interface ApiItem {
  id: number;
  slug: string;
  price: number;
  salePrice: number;
  discountPercent: number;
  category: { slug: string; name: string };
  tags: string[];
  rating: number;
  licenseType: string;
  image: string;
}

describe('GET /api/products', () => {
  let t: TestContext;

  before(async () => {
    t = await createTestContext();
    const presets = await makeCategory(t.db, { slug: 'presets', name: 'Presets' });
    const code = await makeCategory(t.db, { slug: 'code', name: 'Code' });
    await makeProduct(t.db, { slug: 'monsoon-presets', title: 'Monsoon Moods Presets', category_id: presets.id, tags: ['lightroom', 'moody'], price_paise: 59_900, discount_percent: 40, rating: 4.6, license_type: 'personal' });
    await makeProduct(t.db, { slug: 'golden-luts', title: 'Golden Hour LUTs', category_id: presets.id, tags: ['luts', 'video'], price_paise: 99_900, rating: 4.7, license_type: 'commercial' });
    await makeProduct(t.db, { slug: 'next-starter', title: 'Next.js Starter', category_id: code.id, tags: ['nextjs'], price_paise: 249_900, rating: 4.8, license_type: 'extended' });
    await makeProduct(t.db, { slug: 'hidden-kit', title: 'Hidden Kit', category_id: code.id, is_visible: false });
  });
  after(() => t.close());

  it('lists visible products with prices in paise, matching the database', async () => {
    const res = await t.agent().get('/api/products').expect(200).expect('Content-Type', /json/);
    expect(res.body).to.include({ total: 3, page: 1, pageSize: 24 });
    const items = res.body.items as ApiItem[];
    expect(items.map((i) => i.slug)).to.have.members(['monsoon-presets', 'golden-luts', 'next-starter']);
    const monsoon = items.find((i) => i.slug === 'monsoon-presets')!;
    const row = await t.db('products').where({ slug: 'monsoon-presets' }).first();
    expect(monsoon.id).to.equal(row.id);
    expect(monsoon.price).to.equal(row.price_paise);
    expect(monsoon).to.include({ discountPercent: 40, salePrice: 35_900, rating: 4.6, licenseType: 'personal' });
    expect(monsoon.category).to.deep.equal({ slug: 'presets', name: 'Presets' });
    expect(monsoon.tags).to.deep.equal(['lightroom', 'moody']);
  });

  it('filters, searches, sorts and paginates like the storefront', async () => {
    const cat = await t.agent().get('/api/products?category=presets&sort=price-desc').expect(200);
    expect((cat.body.items as ApiItem[]).map((i) => i.slug)).to.deep.equal(['golden-luts', 'monsoon-presets']);
    const tag = await t.agent().get('/api/products?tag=nextjs').expect(200);
    expect((tag.body.items as ApiItem[]).map((i) => i.slug)).to.deep.equal(['next-starter']);
    const search = await t.agent().get('/api/products?q=golden').expect(200);
    expect((search.body.items as ApiItem[]).map((i) => i.slug)).to.deep.equal(['golden-luts']);
    expect(search.body.sort).to.equal('relevance');
    const page2 = await t.agent().get('/api/products?pageSize=2&page=2&sort=rating').expect(200);
    expect(page2.body).to.include({ total: 3, page: 2, pageSize: 2, pageCount: 2 });
    expect((page2.body.items as ApiItem[]).map((i) => i.slug)).to.deep.equal(['monsoon-presets']);
    const past = await t.agent().get('/api/products?pageSize=2&page=5').expect(200);
    expect(past.body).to.include({ total: 3 });
    expect(past.body.items).to.deep.equal([]);
  });

  it('returns one product with its description, and 404 for hidden or unknown ones', async () => {
    const res = await t.agent().get('/api/products/golden-luts').expect(200);
    expect(res.body.product).to.include({ slug: 'golden-luts', price: 99_900, salePrice: 99_900, licenseType: 'commercial' });
    expect(res.body.product.description).to.be.a('string');
    const hidden = await t.agent().get('/api/products/hidden-kit').expect(404);
    expect(hidden.body).to.deep.equal({ error: { code: 'NOT_FOUND', message: 'That product is not available.' } });
    await t.agent().get('/api/products/12345').expect(404);
    await t.agent().get('/api/products/%E2%9C%93').expect(404);
    const cat = await t.agent().get('/api/products?category=nope').expect(404);
    expect(cat.body.error.code).to.equal('NOT_FOUND');
  });

  it('refuses bad parameters with 400 and a message per field', async () => {
    const bad = await t.agent().get('/api/products?page=0&pageSize=500&sort=cheap&color=red').expect(400);
    expect(bad.body.error.code).to.equal('VALIDATION_ERROR');
    expect(bad.body.error.fields).to.have.keys(['page', 'pageSize', 'sort', 'color']);
    expect(bad.body.error.fields.color).to.equal('This field is not allowed.');
    const huge = await t.agent().get('/api/products?q=' + 'x'.repeat(10_000)).expect(400);
    expect(huge.body.error.fields.q).to.match(/at most 100/);
    const nonNumeric = await t.agent().get('/api/products?page=two').expect(400);
    expect(nonNumeric.body.error.fields.page).to.equal('Page must be a number.');
  });
});
