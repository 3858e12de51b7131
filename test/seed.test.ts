import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { demoProducts } from '../seeds/demo-catalog-data.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { ensureDevAdmin } from '../seeds/dev-admin.js';
import { publicDir } from '../src/lib/paths.js';
import { hashPassword, verifyPassword } from '../src/lib/passwords.js';
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

  it('creates the dev admin once with a random password saved in the data folder, never resets or promotes after (issue 8, item 18)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-admin-'));
    try {
      const opts = { email: 'admin@dev.test', file: path.join(dir, 'dev-admin.json') };
      const first = await ensureDevAdmin(t.db, opts);
      expect(first.status).to.equal('created');
      expect(first.password).to.match(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
      expect(statSync(opts.file).mode & 0o777).to.equal(0o600);
      expect(JSON.parse(readFileSync(opts.file, 'utf8'))).to.deep.equal({ email: 'admin@dev.test', password: first.password });
      const row = await t.deps.models.users.findByEmail('ADMIN@dev.test');
      expect(row?.role).to.equal('admin');
      expect(row?.password_hash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(await verifyPassword(row!.password_hash, first.password!)).to.equal(true);

      // The next start finds it and prints the same password; nothing is written.
      expect(await ensureDevAdmin(t.db, opts)).to.deep.equal({ status: 'exists', email: 'admin@dev.test', password: first.password });
      // Changed by its owner: left alone, and the old password is not shown as if it worked.
      await t.db('users').where({ id: row!.id }).update({ password_hash: await hashPassword('the owner changed it') });
      expect(await ensureDevAdmin(t.db, opts)).to.deep.equal({ status: 'exists', email: 'admin@dev.test', password: undefined });
      expect(await verifyPassword((await t.deps.models.users.findById(row!.id))!.password_hash, 'the owner changed it')).to.equal(true);
      // Someone else owns the email as a plain user: never promoted.
      await t.db('users').where({ id: row!.id }).update({ role: 'user' });
      expect((await ensureDevAdmin(t.db, opts)).status).to.equal('not-admin');
      expect((await t.deps.models.users.findById(row!.id))?.role).to.equal('user');
      // Two data folders, two different passwords.
      const other = await ensureDevAdmin(t.db, { email: 'admin2@dev.test', file: path.join(dir, 'other.json') });
      expect(other.password).to.be.a('string').and.not.equal(first.password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});
