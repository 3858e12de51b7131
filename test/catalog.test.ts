import { expect } from 'chai';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { cardSlugs } from './support/html.js';

describe('storefront catalog pages', () => {
  let t: TestContext;
  const day = 24 * 3600_000;
  const base = Date.parse('2026-11-01T00:00:00Z');

  before(async () => {
    t = await createTestContext();
    const ebooks = await makeCategory(t.db, { slug: 'ebooks', name: 'E-books', position: 1 });
    const fonts = await makeCategory(t.db, { slug: 'fonts', name: 'Fonts', position: 2 });
    const templates = await makeCategory(t.db, { slug: 'templates', name: 'Templates', position: 3 });
    await makeCategory(t.db, { slug: 'empty-shelf', name: 'Empty shelf', position: 4 });
    await makeProduct(t.db, { slug: 'freelance-pricing-playbook', title: 'Freelance Pricing Playbook', category_id: ebooks.id, tags: ['pricing', 'business'], price_paise: 49_900, discount_percent: 20, rating: 4.8, created_at: new Date(base) });
    await makeProduct(t.db, { slug: 'gst-for-creators', title: 'GST for Creators', description: 'Invoices and returns explained for sellers.', category_id: ebooks.id, tags: ['tax', 'business'], price_paise: 34_900, rating: 4.6, created_at: new Date(base + day) });
    await makeProduct(t.db, { slug: 'chai-script', title: 'Chai Script', category_id: fonts.id, tags: ['script', 'branding'], price_paise: 79_900, rating: 4.5, created_at: new Date(base + 2 * day) });
    await makeProduct(t.db, { slug: 'kavya-serif', title: 'Kavya Serif', category_id: fonts.id, tags: ['serif', 'books'], price_paise: 149_900, rating: 4.9, created_at: new Date(base + 3 * day), is_featured: true });
    await makeProduct(t.db, { slug: 'mukta-devanagari', title: 'Mukta देवनागरी Display', category_id: fonts.id, tags: ['devanagari'], price_paise: 199_900, rating: 4.2, created_at: new Date(base - 100 * day) });
    await makeProduct(t.db, { slug: 'secret-font', title: 'Secret Serif Font', category_id: fonts.id, tags: ['serif'], price_paise: 9_900, is_visible: false, is_featured: true });
    for (let i = 1; i <= 25; i++) {
      await makeProduct(t.db, { slug: `template-${i}`, title: `Slide Template ${i}`, category_id: templates.id, tags: ['slides'], price_paise: 20_000 + i * 100, rating: 3, created_at: new Date(base - i * day) });
    }
  });
  after(() => t.close());

  it('home page shows featured and newest products and every category, but no hidden product', async () => {
    const res = await t.agent().get('/').expect(200).expect('Content-Type', /html/);
    const slugs = cardSlugs(res.text);
    expect(slugs).to.include('kavya-serif');
    expect(slugs).to.include('chai-script');
    expect(slugs).not.to.include('secret-font');
    expect(res.text).to.include('E-books').and.include('Empty shelf');
    expect(res.text).to.match(/0 products/); // the empty category says so rather than hiding
  });

  it('lists visible products newest first, 12 a page, with the total', async () => {
    const res = await t.agent().get('/products').expect(200);
    const slugs = cardSlugs(res.text);
    expect(slugs).to.have.length(12);
    expect(slugs.slice(0, 4)).to.deep.equal(['kavya-serif', 'chai-script', 'gst-for-creators', 'freelance-pricing-playbook']);
    expect(res.text).to.include('30 products · page 1 of 3');
    expect(slugs).not.to.include('secret-font');
  });

  it('paginates to the last page, and a page past it goes to the last one', async () => {
    const last = await t.agent().get('/products?page=3').expect(200);
    expect(cardSlugs(last.text)).to.have.length(6);
    expect(cardSlugs(last.text).at(-1)).to.equal('mukta-devanagari');
    expect(last.text).to.include('rel="prev"');
    const past = await t.agent().get('/products?page=9').expect(302);
    expect(past.headers.location).to.equal('/products?page=3');
  });

  it('filters by category, keeping hidden products out', async () => {
    const res = await t.agent().get('/products?category=fonts').expect(200);
    expect(cardSlugs(res.text)).to.deep.equal(['kavya-serif', 'chai-script', 'mukta-devanagari']);
    expect(res.text).to.include('<h1 id="results-heading">Fonts</h1>');
  });

  it('filters by tag, and by tag within a category', async () => {
    const res = await t.agent().get('/products?tag=business').expect(200);
    expect(cardSlugs(res.text).sort()).to.deep.equal(['freelance-pricing-playbook', 'gst-for-creators']);
    const none = await t.agent().get('/products?tag=business&category=fonts').expect(200);
    expect(cardSlugs(none.text)).to.deep.equal([]);
  });

  it('searches titles, tags and descriptions, matching word prefixes', async () => {
    const byTitle = await t.agent().get('/products?q=playbook').expect(200);
    expect(cardSlugs(byTitle.text)).to.deep.equal(['freelance-pricing-playbook']);
    const byPrefix = await t.agent().get('/products?q=play').expect(200);
    expect(cardSlugs(byPrefix.text)).to.deep.equal(['freelance-pricing-playbook']);
    const byDescription = await t.agent().get('/products?q=invoices').expect(200);
    expect(cardSlugs(byDescription.text)).to.deep.equal(['gst-for-creators']);
    const byTag = await t.agent().get('/search?q=branding').expect(200);
    expect(cardSlugs(byTag.text)).to.deep.equal(['chai-script']);
    const indic = await t.agent().get('/products?q=' + encodeURIComponent('देवना')).expect(200);
    expect(cardSlugs(indic.text)).to.deep.equal(['mukta-devanagari']);
    const twoWords = await t.agent().get('/products?q=' + encodeURIComponent('kavya serif')).expect(200);
    expect(cardSlugs(twoWords.text)).to.deep.equal(['kavya-serif']);
  });

  it('never finds hidden products by search, and treats operator characters as plain text', async () => {
    const hidden = await t.agent().get('/products?q=secret').expect(200);
    expect(cardSlugs(hidden.text)).to.deep.equal([]);
    const operators = await t.agent().get('/products?q=' + encodeURIComponent("serif & !( | ' :*")).expect(200);
    expect(cardSlugs(operators.text)).to.deep.equal(['kavya-serif']);
    const punctuation = await t.agent().get('/products?q=' + encodeURIComponent('!!!')).expect(200);
    expect(cardSlugs(punctuation.text)).to.deep.equal([]);
  });

  it('sorts by price (what the shopper pays) and by rating', async () => {
    const cheap = await t.agent().get('/products?category=ebooks&sort=price-asc').expect(200);
    // 20% off ₹499 is ₹399, which is dearer than ₹349.
    expect(cardSlugs(cheap.text)).to.deep.equal(['gst-for-creators', 'freelance-pricing-playbook']);
    const top = await t.agent().get('/products?sort=rating').expect(200);
    expect(cardSlugs(top.text)[0]).to.equal('kavya-serif');
  });

  it('shows a product page with its discounted price struck through', async () => {
    const res = await t.agent().get('/products/freelance-pricing-playbook').expect(200);
    expect(res.text).to.include('<h1 class="product-title">Freelance Pricing Playbook</h1>');
    expect(res.text).to.include('₹399').and.include('<s class="price-was"><span class="visually-hidden">was </span>₹499</s>');
    expect(res.text).to.include('20% off');
    expect(res.text).to.include('data-add-to-cart=');
  });

  it('shows the current price from the database on every request', async () => {
    // Other tests sort and filter by this price: put it back afterwards.
    await t.db('products').where({ slug: 'chai-script' }).update({ price_paise: 55_500 });
    try {
      const res = await t.agent().get('/products/chai-script').expect(200);
      expect(res.text).to.include('₹555');
      expect(res.text).not.to.include('₹799');
    } finally {
      await t.db('products').where({ slug: 'chai-script' }).update({ price_paise: 79_900 });
    }
  });

  it('answers 404 pages for hidden and unknown products and unknown categories', async () => {
    const hidden = await t.agent().get('/products/secret-font').expect(404).expect('Content-Type', /html/);
    expect(hidden.text).to.include('That product is not available.');
    expect(hidden.text).to.include('site-header'); // the error page looks like the site
    await t.agent().get('/products/no-such-thing').expect(404);
    await t.agent().get('/products/NOT%20a%20slug').expect(404);
    const cat = await t.agent().get('/products?category=no-such-category').expect(404);
    expect(cat.text).to.include('That category does not exist.');
  });

  it('answers a 400 page naming the field for bad filters, never a 500', async () => {
    const cases: [string, string][] = [
      ['/products?page=-1', 'page'],
      ['/products?page=abc', 'page'],
      ['/products?page=1.5', 'page'],
      ['/products?q=' + 'x'.repeat(10_000), 'q'],
      ['/products?category=%3Cscript%3E', 'category'],
      ['/products?sort=cheapest', 'sort'],
      ['/products?q=a&q=b', 'q'],
    ];
    for (const [url, field] of cases) {
      const res = await t.agent().get(url);
      expect(res.status, url).to.equal(400);
      expect(res.text, url).to.include(`<strong>${field}:</strong>`);
    }
  });

  it('ignores unknown query parameters on pages (links carry utm_ tags)', async () => {
    const res = await t.agent().get('/products?category=fonts&utm_source=newsletter').expect(200);
    expect(cardSlugs(res.text)).to.have.length(3);
  });

  it('redirects /categories/:slug to the filtered catalog', async () => {
    await t.agent().get('/categories/fonts').expect(301).expect('Location', '/products?category=fonts');
  });

  it('creates no session row for a visitor who only browses', async () => {
    const before = await t.db('session').count<{ count: number }[]>('* as count');
    const res = await t.agent().get('/products?category=fonts').expect(200);
    expect(res.headers['set-cookie']).to.equal(undefined);
    const after = await t.db('session').count<{ count: number }[]>('* as count');
    expect(Number(after[0]?.count)).to.equal(Number(before[0]?.count));
  });
});
