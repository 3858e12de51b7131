import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { demoProducts } from '../seeds/demo-catalog-data.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { ensureDevAdmin } from '../seeds/dev-admin.js';
import { publicDir } from '../src/lib/paths.js';
import { verifyPassword } from '../src/lib/passwords.js';
import { createTestContext, type TestContext } from './support/context.js';

describe('demo seed', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
  });
  after(() => t.close());

  it('adds at least 30 products over at least 6 categories, each with an image in the repo', async () => {
    const added = await seedDemoCatalog(t.db);
    expect(added).to.equal(demoProducts.length).and.to.be.at.least(30);
    const cats = await t.db('categories').count<{ count: number }[]>('* as count');
    expect(Number(cats[0]?.count)).to.be.at.least(6);
    const products = (await t.db('products').select('slug', 'image_url', 'price_paise', 'search_vector')) as { slug: string; image_url: string; price_paise: number; search_vector: string }[];
    expect(products).to.have.length(added);
    for (const p of products) {
      expect(existsSync(path.join(publicDir, p.image_url)), p.image_url).to.equal(true);
      expect(p.price_paise % 100, `${p.slug} is whole rupees`).to.equal(0);
      expect(p.price_paise, `${p.slug} meets Razorpay's minimum of 100 paise`).to.be.at.least(100);
      expect(p.search_vector, `${p.slug} is searchable`).to.be.a('string').and.not.equal('');
    }
  });

  it('does nothing on a catalog that already has products', async () => {
    expect(await seedDemoCatalog(t.db)).to.equal(0);
    expect(await t.deps.models.products.count()).to.equal(demoProducts.length);
  });

  it('the shop shows the seeded catalog', async () => {
    const res = await t.agent().get('/api/products?pageSize=60').expect(200);
    expect(res.body.total).to.equal(demoProducts.filter((p) => !p.hidden).length);
  });

  it('creates the dev admin with an Argon2id hash and restores its password if changed', async () => {
    const admin = { email: 'admin@dev.test', password: 'dev-password-123' };
    expect(await ensureDevAdmin(t.db, admin)).to.equal('created');
    const row = await t.deps.models.users.findByEmail('ADMIN@dev.test');
    expect(row?.role).to.equal('admin');
    expect(row?.password_hash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(row!.password_hash, admin.password)).to.equal(true);
    expect(await ensureDevAdmin(t.db, admin)).to.equal('unchanged');
    await t.db('users').where({ id: row!.id }).update({ role: 'user' });
    expect(await ensureDevAdmin(t.db, admin)).to.equal('updated');
    expect((await t.deps.models.users.findById(row!.id))?.role).to.equal('admin');
  });
});
