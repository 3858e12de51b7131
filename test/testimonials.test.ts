import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import supertest from 'supertest';
import type { Deps } from '../src/deps.js';
import { imageObjectKeys } from '../src/services/image-service.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

type Agent = ReturnType<typeof supertest.agent>;

const png = (width = 600, height = 600) => sharp({ create: { width, height, channels: 3, background: '#0f766e' } }).png().toBuffer();
/** A photo-like PNG of noise that does not compress: about 6.3 MB. */
const bigPng = () => {
  const raw = Buffer.alloc(1450 * 1450 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: 1450, height: 1450, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
};
const SVG_WITH_SCRIPT = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>');

/** Starts a process's catalog-change listener (which turns the guest page cache on) and waits for it. */
async function listening(deps: Deps) {
  if (deps.catalogChanges.connected) return;
  const connected = once(deps.catalogChanges, 'connected');
  deps.catalogChanges.start();
  await connected;
}

describe('testimonials (issues 8 and 9)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let admin: Agent;
  let token: string;
  let adminEmail: string;

  /** Every stored object: the proof that a refused photo left nothing behind. */
  function objects(): string[] {
    const root = t.config.storageDir;
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.relative(root, path.join(dir, n))]));
    return walk(root).sort();
  }
  const count = async () => Number((await t.db('testimonials').count({ n: '*' }))[0]!.n);

  /** The admin form as a browser posts it (multipart, token in the form). */
  function adminPost(url: string, form: Record<string, string>, photo?: [Buffer, string], csrf: string | null = token) {
    const req = admin.post(url);
    if (csrf !== null) req.field('_csrf', csrf);
    for (const [k, v] of Object.entries(form)) req.field(k, v);
    if (photo) req.attach('image', photo[0], photo[1]);
    return req;
  }
  const fields = (over: Record<string, string> = {}) => ({ name: 'Meera Iyer', roleOrCity: 'Illustrator, Chennai', quote: 'The brushes saved me a week of work on my picture book.', rating: '5', product: '', position: '0', published: '1', ...over });

  /** A buyer with a signed-in agent and an order of theirs holding `products`. */
  async function buyerWithOrder(status: 'paid' | 'pending' | 'refunded', products: { id: number; title?: string }[]) {
    const user = await makeUser(t.db, { name: 'Arjun Nair' });
    const [order] = await t.db('orders').insert({ user_id: user.id, status, subtotal_paise: 49_900 * products.length, total_paise: 49_900 * products.length, paid_at: status === 'paid' ? new Date() : null }).returning('*');
    for (const p of products) await t.db('order_items').insert({ order_id: order.id, product_id: p.id, title: p.title ?? `Product ${p.id}`, unit_price_paise: 49_900, discount_percent: 0, sale_price_paise: 49_900, line_total_paise: 49_900, license_type: 'personal' });
    const agent = t.agent();
    const csrf = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    return { user, orderId: order.id as number, agent, csrf };
  }
  const leave = (b: { agent: Agent; csrf: string; orderId: number }, form: Record<string, string>) =>
    b.agent.post(`/orders/${b.orderId}/testimonial`).type('form').send({ _csrf: b.csrf, ...form });

  before(async () => {
    t = await createTestContext();
    await listening(t.deps);
    const user = await makeUser(t.db, { role: 'admin', name: 'Store Owner' });
    adminEmail = user.email;
    admin = t.agent();
    token = (await apiLogin(admin, user.email, user.password)).body.csrfToken as string;
  });
  after(() => t?.close());

  describe('admin CRUD', () => {
    it('adds, edits, publishes, hides and deletes, each with an audit row naming the admin', async () => {
      const product = await makeProduct(t.db, { title: 'Ink Brush Pack', slug: 'ink-brush-pack' });
      const res = await adminPost('/admin/testimonials', fields({ product: 'ink-brush-pack', featured: '1', position: '3' })).expect(303);
      const id = Number(/\/admin\/testimonials\/(\d+)$/.exec(res.headers.location!)![1]);
      const row = await t.db('testimonials').where({ id }).first();
      expect(row).to.include({ name: 'Meera Iyer', role: 'Illustrator, Chennai', rating: 5, status: 'published', is_featured: true, position: 3, product_id: product.id, user_id: null, order_id: null, photo_key: null });
      expect(row.published_at).to.be.an.instanceOf(Date);
      expect((await admin.get(res.headers.location!).expect(200)).text).to.include('Added the testimonial from “Meera Iyer”; it is on the shop');

      // Edit: unticking "published" hides it; the audit row lists what changed.
      await adminPost(`/admin/testimonials/${id}`, fields({ product: 'http://store.test/products/ink-brush-pack', quote: 'The brushes saved me two weeks of work on my picture book.', rating: '4', featured: '1', position: '3' })).expect(303);
      await adminPost(`/admin/testimonials/${id}`, fields({ product: 'ink-brush-pack', published: '' })).expect(303);
      expect(await t.db('testimonials').where({ id }).first()).to.include({ status: 'hidden', is_featured: false });
      // Status buttons.
      await admin.post(`/admin/testimonials/${id}/status`).type('form').send({ _csrf: token, status: 'published' }).expect(303);
      expect(await t.db('testimonials').where({ id }).first()).to.include({ status: 'published' });
      await admin.post(`/admin/testimonials/${id}/status`).type('form').send({ status: 'hidden' }).expect(403); // no token, no change
      expect(await t.db('testimonials').where({ id }).first()).to.include({ status: 'published' });

      const audit = await t.db('audit_log').where({ entity_type: 'testimonial', entity_id: id }).orderBy('id');
      expect(audit.map((a) => a.action)).to.deep.equal(['testimonial.create', 'testimonial.update', 'testimonial.update', 'testimonial.publish']);
      expect(audit.every((a) => a.actor_email === adminEmail)).to.equal(true);
      expect(audit[1].changes).to.deep.include({ rating: [5, 4] });
      expect(audit[1].changes).not.to.have.property('name');
      expect(audit[2].changes).to.deep.include({ status: ['published', 'hidden'], is_featured: [true, false] });
      // The edit page shows its history.
      expect((await admin.get(`/admin/testimonials/${id}`).expect(200)).text).to.include('data-audit').and.include('Published the testimonial from “Meera Iyer”');

      await admin.post(`/admin/testimonials/${id}/delete`).type('form').send({ _csrf: token }).expect(303);
      expect(await t.db('testimonials').where({ id })).to.have.length(0);
      expect(await t.db('audit_log').where({ entity_type: 'testimonial', entity_id: id, action: 'testimonial.delete' })).to.have.length(1);
      await admin.get(`/admin/testimonials/${id}`).expect(404);
    });

    it('scripts create, replace, publish and delete as JSON; only admins may', async () => {
      const created = await admin.post('/api/admin/testimonials').set('X-CSRF-Token', token).send({ name: 'API Person', quote: 'Made through the JSON interface.', rating: 3 }).expect(201);
      const id = created.body.testimonial.id as number;
      expect(created.body.testimonial).to.include({ name: 'API Person', rating: 3, status: 'hidden', featured: false, roleOrCity: '' });
      const put = await admin.put(`/api/admin/testimonials/${id}`).set('X-CSRF-Token', token).send({ name: 'API Person', roleOrCity: 'Goa', quote: 'Made through the JSON interface.', rating: 4, published: true, featured: true }).expect(200);
      expect(put.body.testimonial).to.include({ roleOrCity: 'Goa', rating: 4, status: 'published', featured: true });
      const listed = await admin.get('/api/admin/testimonials?q=api+pers').expect(200);
      expect(listed.body.items.map((i: { id: number }) => i.id)).to.deep.equal([id]);
      await admin.post('/api/admin/testimonials').set('X-CSRF-Token', token).send({ name: 'X', quote: 'Long enough to pass the check.', rating: 5, status: 'published' }).expect(400);

      const shopper = await makeUser(t.db);
      const agent = t.agent();
      const csrf = (await apiLogin(agent, shopper.email, shopper.password)).body.csrfToken as string;
      await agent.get('/api/admin/testimonials').expect(403);
      await agent.delete(`/api/admin/testimonials/${id}`).set('X-CSRF-Token', csrf).expect(403);
      await supertest(t.app).get('/admin/testimonials').expect(303);

      await admin.delete(`/api/admin/testimonials/${id}`).set('X-CSRF-Token', token).expect(200);
      expect(await t.db('testimonials').where({ id })).to.have.length(0);
    });

    it('refuses bad fields with 400 and a message beside each, keeps what was typed, and saves nothing', async () => {
      const before = await count();
      const res = await adminPost('/admin/testimonials', fields({ name: '', quote: 'Too short', rating: '6', position: '-1', roleOrCity: 'Kept city' })).expect(400);
      expect(res.text).to.match(/data-field-error="name"[^>]*>Enter the name to show/);
      expect(res.text).to.match(/data-field-error="quote"[^>]*>Write a little more/);
      expect(res.text).to.match(/data-field-error="rating"[^>]*>Choose a rating from 1 to 5 stars/);
      expect(res.text).to.match(/data-field-error="position"[^>]*>Display order is a whole number/);
      expect(res.text).to.include('value="Kept city"');
      const noProduct = await adminPost('/admin/testimonials', fields({ product: 'no-such-product' })).expect(400);
      expect(noProduct.text).to.match(/data-field-error="product"[^>]*>No product has this address/);
      const json = await admin.post('/api/admin/testimonials').set('X-CSRF-Token', token).send({ name: 'A', quote: 'x'.repeat(1001), rating: 2 }).expect(400);
      expect(json.body.error.fields).to.have.property('quote').that.match(/at most 1000 characters/);
      expect(await count()).to.equal(before);
    });

    for (const rating of ['0', '6', '-1', '4.5', 'five', '']) {
      it(`refuses the rating ${JSON.stringify(rating)} (400, rating field) from the admin form and a buyer`, async () => {
        const before = await count();
        const res = await adminPost('/admin/testimonials', fields({ rating })).expect(400);
        expect(res.text).to.match(/data-field-error="rating"/);
        const product = await makeProduct(t.db);
        const buyer = await buyerWithOrder('paid', [product]);
        const mine = await leave(buyer, { name: 'Arjun', quote: 'A fine product that did what it said.', rating }).expect(400);
        expect(mine.text).to.match(/data-field-error="rating"/);
        expect(await count()).to.equal(before);
      });
    }

    it('refuses a rating outside 1–5 in the database too', async () => {
      let error: unknown;
      await t.db('testimonials').insert({ name: 'Direct', quote: 'Straight into the table.', rating: 7 }).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/testimonials_rating_check/);
    });

    it('lists by status, searches by name and pages, newest first', async () => {
      await t.db('testimonials').delete();
      const rows = Array.from({ length: 35 }, (_, i) => ({ name: i === 7 ? 'Zoya Qureshi' : `Person ${i}`, quote: `Quote number ${i}, long enough.`, rating: 1 + (i % 5), status: i % 3 === 0 ? 'pending' : i % 3 === 1 ? 'published' : 'hidden', created_at: new Date(Date.UTC(2026, 10, 1, 0, i)) }));
      await t.db('testimonials').insert(rows);
      const names = (html: string) => [...html.matchAll(/data-testimonial-id="\d+">\s*<td class="col-main">[\s\S]*?<strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
      const first = await admin.get('/admin/testimonials').expect(200);
      expect(names(first.text)).to.have.length(30);
      expect(names(first.text)[0]).to.equal('Person 34');
      expect(first.text).to.include('35 testimonials · page 1 of 2');
      expect(first.text).to.match(/data-pending-count>12</);
      expect(names((await admin.get('/admin/testimonials?page=2').expect(200)).text)).to.deep.equal(['Person 4', 'Person 3', 'Person 2', 'Person 1', 'Person 0']);
      const pending = names((await admin.get('/admin/testimonials?status=pending').expect(200)).text);
      expect(pending).to.have.length(12);
      expect(pending.every((n) => rows.find((r) => r.name === n)!.status === 'pending')).to.equal(true);
      expect(names((await admin.get('/admin/testimonials?q=oya+q').expect(200)).text)).to.deep.equal(['Zoya Qureshi']);
      expect(names((await admin.get('/admin/testimonials?q=50%25_').expect(200)).text)).to.deep.equal([]);
      expect((await admin.get('/admin/testimonials?status=pending&q=nobody').expect(200)).text).to.include('Nothing matches these filters');
      await admin.get('/admin/testimonials?status=approved').expect(400);
      await admin.get('/admin/testimonials?page=9').expect(302);
      await t.db('testimonials').delete();
    });
  });

  describe('photos', () => {
    it('stores a photo as WebP in every width, serves it, shows it on the card, and deletes it with the testimonial', async () => {
      const before = objects();
      const res = await adminPost('/admin/testimonials', fields({ featured: '1', name: 'Photo Person' }), [await png(), 'face.png']).expect(303);
      const id = Number(res.headers.location!.split('/').pop());
      const row = await t.db('testimonials').where({ id }).first();
      expect(row.photo_key).to.match(/^images\/[0-9a-f-]{36}$/);
      const added = objects().filter((k) => !before.includes(k));
      expect(added).to.deep.equal(imageObjectKeys(row.photo_key).sort());
      const media = await supertest(t.app).get(`/media/${row.photo_key}-400.webp`).expect(200);
      expect(media.headers['content-type']).to.equal('image/webp');
      expect((await sharp(media.body as Buffer).metadata()).format).to.equal('webp');
      const home = await supertest(t.app).get('/').expect(200);
      expect(home.text).to.include(`src="/media/${row.photo_key}-400.webp"`);

      // A new photo replaces the old, whose objects go.
      await adminPost(`/admin/testimonials/${id}`, fields({ featured: '1', name: 'Photo Person' }), [await png(300, 300), 'new.png']).expect(303);
      const replaced = await t.db('testimonials').where({ id }).first();
      expect(replaced.photo_key).not.to.equal(row.photo_key);
      expect(objects()).to.include.members(imageObjectKeys(replaced.photo_key)).and.not.include.members(imageObjectKeys(row.photo_key));
      // "Remove the photo" drops it.
      await adminPost(`/admin/testimonials/${id}`, fields({ featured: '1', name: 'Photo Person', removePhoto: '1' })).expect(303);
      expect((await t.db('testimonials').where({ id }).first()).photo_key).to.equal(null);
      expect(objects()).to.deep.equal(before);
      await admin.post(`/admin/testimonials/${id}/delete`).type('form').send({ _csrf: token }).expect(303);
    });

    const refusals: [string, () => Promise<[Buffer, string]>, number, RegExp][] = [
      ['a text file named .png', async () => [Buffer.from('not an image at all, just words'), 'face.png'], 400, /JPEG, PNG, WebP or AVIF/],
      ['an SVG with a script', async () => [SVG_WITH_SCRIPT, 'face.svg'], 400, /SVG and other files are not accepted/],
      ['a 6 MB image', async () => [await bigPng(), 'huge.png'], 413, /at most 5 MB/],
    ];
    for (const [what, make, status, message] of refusals) {
      it(`refuses ${what} with ${status}, and stores nothing`, async () => {
        const before = objects();
        const rows = await count();
        const res = await adminPost('/admin/testimonials', fields({ name: `Refused ${what}` }), await make());
        expect(res.status, res.text.slice(0, 300)).to.equal(status);
        expect(res.text).to.match(message);
        expect(objects()).to.deep.equal(before);
        expect(await count()).to.equal(rows);
      });
    }

    it('refuses a second file part (only a photo belongs here) and a form without its token, storing nothing', async () => {
      const before = objects();
      const rows = await count();
      const req = adminPost('/admin/testimonials', fields()).attach('file', Buffer.from('a zip perhaps'), 'x.zip');
      const res = await req.expect(400);
      expect(res.text).to.include('Only a photo can be uploaded here');
      await adminPost('/admin/testimonials', fields(), [await png(), 'face.png'], null).expect(403);
      expect(objects()).to.deep.equal(before);
      expect(await count()).to.equal(rows);
    });
  });

  describe('a buyer leaves one from a paid order', () => {
    it('shows the form with their name, saves it as pending with user, order and product, and takes one per order', async () => {
      const product = await makeProduct(t.db, { title: 'Hindi Calligraphy Kit' });
      const b = await buyerWithOrder('paid', [{ id: product.id, title: 'Hindi Calligraphy Kit' }]);
      const order = await b.agent.get(`/orders/${b.orderId}`).expect(200);
      expect(order.text).to.match(new RegExp(`href="/orders/${b.orderId}/testimonial" data-leave-testimonial`));
      const form = await b.agent.get(`/orders/${b.orderId}/testimonial`).expect(200);
      expect(form.text).to.include('value="Arjun Nair"').and.include('About <strong>Hindi Calligraphy Kit</strong>');
      expect(form.headers['cache-control']).to.match(/no-store/);

      // The client's `status` and `userId` are ignored: the server decides.
      const res = await leave(b, { name: 'Arjun N.', roleOrCity: 'Kochi', quote: 'Beautiful letterforms.\n\nMy daughter learnt in a week.', rating: '5', status: 'published', userId: '1' }).expect(303);
      expect(res.headers.location).to.equal(`/orders/${b.orderId}/testimonial?thanks=1`);
      const rows = await t.db('testimonials').where({ order_id: b.orderId });
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ name: 'Arjun N.', role: 'Kochi', rating: 5, status: 'pending', user_id: b.user.id, product_id: product.id, is_featured: false });
      expect(rows[0].quote).to.equal('Beautiful letterforms.\n\nMy daughter learnt in a week.');
      const thanks = await b.agent.get(res.headers.location!).expect(200);
      expect(thanks.text).to.include('data-testimonial-thanks').and.include('Waiting for review').and.not.include('data-testimonial-form');

      // Once per order: a second try (and a racing pair) is 409 and changes nothing.
      const again = await leave(b, { name: 'Arjun', quote: 'Trying a second time here.', rating: '1' }).expect(409);
      expect(again.text).to.include('You already left a testimonial for this order');
      const race = await Promise.all([1, 2].map(() => leave(b, { name: 'Arjun', quote: 'Racing a double click here.', rating: '2' })));
      expect(race.map((r) => r.status)).to.deep.equal([409, 409]);
      expect(await t.db('testimonials').where({ order_id: b.orderId })).to.have.length(1);
    });

    it('takes one per order under a real race (two at once, first ever): one row, the other 409', async () => {
      const product = await makeProduct(t.db);
      const b = await buyerWithOrder('paid', [product]);
      const race = await Promise.all([1, 2, 3].map((i) => leave(b, { name: 'Racer', quote: `Double click number ${i} here.`, rating: '4' })));
      expect(race.map((r) => r.status).sort()).to.deep.equal([303, 409, 409]);
      expect(await t.db('testimonials').where({ order_id: b.orderId })).to.have.length(1);
    });

    it('lets a buyer of several products pick one of them (or none), and refuses another product', async () => {
      const a = await makeProduct(t.db, { title: 'Alpha Guide' });
      const c = await makeProduct(t.db, { title: 'Charlie Fonts' });
      const stranger = await makeProduct(t.db, { title: 'Not In The Order' });
      const b = await buyerWithOrder('paid', [{ id: a.id, title: 'Alpha Guide' }, { id: c.id, title: 'Charlie Fonts' }]);
      const form = await b.agent.get(`/orders/${b.orderId}/testimonial`).expect(200);
      expect(form.text).to.include(`<option value="${c.id}" >Charlie Fonts</option>`);
      const refused = await leave(b, { name: 'Arjun', quote: 'About some other product.', rating: '4', productId: String(stranger.id) }).expect(400);
      expect(refused.text).to.match(/data-field-error="productId"[^>]*>Choose one of the products in this order/);
      await leave(b, { name: 'Arjun', quote: 'Charlie Fonts are lovely.', rating: '4', productId: String(c.id) }).expect(303);
      expect(await t.db('testimonials').where({ order_id: b.orderId }).first()).to.include({ product_id: c.id });

      const whole = await buyerWithOrder('paid', [a, c]);
      await leave(whole, { name: 'Arjun', quote: 'Both were good, thanks.', rating: '5', productId: '' }).expect(303);
      expect(await t.db('testimonials').where({ order_id: whole.orderId }).first()).to.include({ product_id: null });
    });

    it('keeps everyone else out: another buyer and a guest get 404 or the sign-in page, an unpaid or refunded order 403', async () => {
      const product = await makeProduct(t.db);
      const owner = await buyerWithOrder('paid', [product]);
      const other = await buyerWithOrder('paid', [product]);
      const url = `/orders/${owner.orderId}/testimonial`;
      await other.agent.get(url).expect(404);
      await other.agent.post(url).type('form').send({ _csrf: other.csrf, name: 'Thief', quote: 'Not my order at all here.', rating: '5' }).expect(404);
      await other.agent.get('/orders/999999/testimonial').expect(404);
      await other.agent.get('/orders/abc/testimonial').expect(404);
      const guest = await supertest(t.app).get(url).expect(303);
      expect(guest.headers.location).to.match(/^\/login\?next=/);

      for (const status of ['pending', 'refunded'] as const) {
        const unpaid = await buyerWithOrder(status, [product]);
        expect((await unpaid.agent.get(`/orders/${unpaid.orderId}`).expect(200)).text).not.to.include('data-leave-testimonial');
        await unpaid.agent.get(`/orders/${unpaid.orderId}/testimonial`).expect(403);
        const post = await leave(unpaid, { name: 'Early', quote: 'Before paying for it here.', rating: '5' }).expect(403);
        expect(post.text).to.include('once the order is paid');
      }
      // Without the form token nothing is saved.
      await owner.agent.post(url).type('form').send({ name: 'No Token', quote: 'There is no token here.', rating: '5' }).expect(403);
      expect(await t.db('testimonials').whereIn('order_id', [owner.orderId, other.orderId])).to.have.length(0);
    });
  });

  describe('on the shop', () => {
    it('shows a pending one nowhere; once published and featured, cookie-less guests see it on the home page at once', async () => {
      const product = await makeProduct(t.db, { title: 'Warli Art Brushes', slug: 'warli-art-brushes', is_featured: true });
      const b = await buyerWithOrder('paid', [{ id: product.id, title: 'Warli Art Brushes' }]);
      await leave(b, { name: 'Lakshmi Pillai', roleOrCity: 'Thrissur', quote: 'These brushes feel like real paint.', rating: '5' }).expect(303);
      const id = (await t.db('testimonials').where({ order_id: b.orderId }).first()).id as number;

      // Guests' pages are cached now: a second guest request is a hit, still without it.
      for (const url of ['/', '/products/warli-art-brushes']) {
        await supertest(t.app).get(url).expect(200);
        const cached = await supertest(t.app).get(url).expect(200);
        expect(cached.headers['x-page-cache']).to.equal('hit');
        expect(cached.text).not.to.include('These brushes feel like real paint');
      }
      expect((await b.agent.get('/').expect(200)).text).not.to.include('These brushes feel like real paint');

      // Published (not featured): its product page shows it, the home page does not.
      await admin.post(`/admin/testimonials/${id}/status`).type('form').send({ _csrf: token, status: 'published' }).expect(303);
      const productPage = await supertest(t.app).get('/products/warli-art-brushes').expect(200);
      expect(productPage.headers['x-page-cache']).to.equal('miss');
      expect(productPage.text).to.include('These brushes feel like real paint').and.include('Lakshmi Pillai').and.include('Thrissur');
      expect((await supertest(t.app).get('/').expect(200)).text).not.to.include('These brushes feel like real paint');

      // Featured too: on the home page for the very next cookie-less guest, with its stars and product.
      await adminPost(`/admin/testimonials/${id}`, { name: 'Lakshmi Pillai', roleOrCity: 'Thrissur', quote: 'These brushes feel like real paint.', rating: '5', product: 'warli-art-brushes', published: '1', featured: '1', position: '0' }).expect(303);
      const home = await supertest(t.app).get('/').expect(200);
      expect(home.headers['x-page-cache']).to.equal('miss');
      expect(home.text).to.include('data-testimonials').and.include('These brushes feel like real paint').and.include('aria-label="Rated 5.0 out of 5"').and.include('href="/products/warli-art-brushes">Bought');

      // Hidden again: gone from both at once.
      await admin.post(`/admin/testimonials/${id}/status`).type('form').send({ _csrf: token, status: 'hidden' }).expect(303);
      expect((await supertest(t.app).get('/').expect(200)).text).not.to.include('These brushes feel like real paint');
      expect((await supertest(t.app).get('/products/warli-art-brushes').expect(200)).text).not.to.include('These brushes feel like real paint');
    });

    it('shows the featured ones in display order, at most six', async () => {
      await t.db('testimonials').delete();
      await t.db('testimonials').insert(Array.from({ length: 8 }, (_, i) => ({ name: `Order ${i}`, quote: `Display order quote ${i}.`, rating: 4, status: 'published', is_featured: true, position: 10 - i })));
      await t.db('testimonials').insert({ name: 'Not featured', quote: 'Published but not featured.', rating: 4, status: 'published', is_featured: false, position: 0 });
      t.deps.pageCache.clear();
      const home = (await supertest(t.app).get('/').expect(200)).text;
      const shown = [...home.matchAll(/Display order quote (\d)\./g)].map((m) => Number(m[1]));
      expect(shown).to.deep.equal([7, 6, 5, 4, 3, 2]);
      expect(home).not.to.include('Published but not featured');
      await t.db('testimonials').delete();
    });

    it('shows a <script> in a quote, name or city as text, never as HTML', async () => {
      const script = '<script>alert("x")</script><img src=x onerror=alert(1)>';
      await adminPost('/admin/testimonials', fields({ name: `Eve ${script}`, roleOrCity: `City ${script}`, quote: `Nice ${script} product indeed.`, featured: '1' })).expect(303);
      for (const html of [(await supertest(t.app).get('/').expect(200)).text, (await admin.get('/admin/testimonials').expect(200)).text]) {
        expect(html).not.to.include('<script>alert("x")</script>').and.not.include('<img src=x');
        expect(html).to.include('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;');
      }
      const product = await makeProduct(t.db);
      const b = await buyerWithOrder('paid', [product]);
      await leave(b, { name: 'Mallory', quote: `Buyer ${script} wrote this.`, rating: '3' }).expect(303);
      const own = (await b.agent.get(`/orders/${b.orderId}/testimonial`).expect(200)).text;
      expect(own).not.to.include('<script>alert("x")</script>');
      expect(own).to.include('Buyer &lt;script&gt;');
      await t.db('testimonials').delete();
    });
  });
});
