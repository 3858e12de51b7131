import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import sharp from 'sharp';
import type supertest from 'supertest';
import { imageObjectKeys } from '../src/services/image-service.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { startS3 } from './support/s3.js';

type Agent = ReturnType<typeof supertest.agent>;

const png = (width = 1600, height = 900) => sharp({ create: { width, height, channels: 3, background: '#4338ca' } }).png().toBuffer();
/** A photo-like PNG of noise that does not compress: about 6.3 MB. */
const bigPng = () => {
  const raw = Buffer.alloc(1450 * 1450 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: 1450, height: 1450, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
};
const SVG_WITH_SCRIPT = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>');

/** Fields of a valid product form; override what a test is about. */
const fields = (over: Record<string, string> = {}) => ({ title: 'Monsoon Field Notes', slug: '', summary: 'Notes from the rain.', description: 'A guide.\n\nWith two paragraphs.', categoryId: '', price: '1,499', discount: '10', rating: '4.5', tags: 'Notes, Monsoon, notes', licenseType: 'commercial', visible: '1', ...over });

for (const backend of ['local disk', 'S3 (s3rver)'] as const)
describe(`admin products: uploads to ${backend} (issue 11)`, function () {
  this.timeout(60_000);
  let t: TestContext;
  let s3: Awaited<ReturnType<typeof startS3>> | undefined;
  let admin: Agent;
  let token: string;
  let categoryId: number;

  /** Every object in storage now: the proof that a refused upload left nothing behind. */
  async function objects(): Promise<string[]> {
    if (!s3) {
      const root = t.config.storageDir;
      const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.relative(root, path.join(dir, n))]));
      return walk(root).sort();
    }
    const client = new S3Client({ region: 'ap-south-1', endpoint: s3.env.S3_ENDPOINT, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const res = await client.send(new ListObjectsV2Command({ Bucket: s3.env.S3_BUCKET! }));
    client.destroy();
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  }
  async function stored(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.read(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  /** The product form posted as a browser does (multipart, token in the form). */
  function post(url: string, form: Record<string, string>, files: { image?: [Buffer, string]; file?: [Buffer, string] } = {}, csrf: string | null = token) {
    const req = admin.post(url);
    if (csrf !== null) req.field('_csrf', csrf);
    for (const [k, v] of Object.entries(form)) req.field(k, v);
    if (files.image) req.attach('image', files.image[0], files.image[1]);
    if (files.file) req.attach('file', files.file[0], files.file[1]);
    return req;
  }

  before(async () => {
    s3 = backend === 'local disk' ? undefined : await startS3();
    t = await createTestContext({ PRODUCT_FILE_MAX_MB: '1', ...(s3?.env ?? {}) });
    categoryId = (await makeCategory(t.db, { name: 'Guides' })).id;
    const user = await makeUser(t.db, { role: 'admin' });
    admin = t.agent();
    token = (await apiLogin(admin, user.email, user.password)).body.csrfToken as string;
  });
  after(async () => {
    await t?.close();
    await s3?.close();
  });

  it('adds a product with an image and a file: stored privately, image in three widths, audited, on the shop', async () => {
    const before = await objects();
    const file = Buffer.from('PK\u0003\u0004 the whole guide '.repeat(2000));
    const res = await post('/admin/products', fields({ categoryId: String(categoryId) }), { image: [await png(), 'cover.png'], file: [file, 'Monsoon Notes.zip'] }).expect(303);
    const id = Number(/\/admin\/products\/(\d+)$/.exec(res.headers.location!)![1]);
    const row = await t.db('products').where({ id }).first();
    expect(row).to.include({ title: 'Monsoon Field Notes', slug: 'monsoon-field-notes', price_paise: 149_900, discount_percent: 10, license_type: 'commercial', is_visible: true, file_name: 'Monsoon Notes.zip', file_size: file.length });
    expect(row.tags).to.deep.equal(['notes', 'monsoon']);
    expect(row.file_key).to.match(/^files\/[0-9a-f-]{36}$/); // the server's key, never the file's name
    expect(await stored(row.file_key)).to.deep.equal(file);
    const added = (await objects()).filter((k) => !before.includes(k));
    expect(added.sort()).to.deep.equal([row.file_key, ...imageObjectKeys(row.image_key)].sort());
    // Each width is a real WebP of that width (re-encoded: no byte of the upload is served).
    for (const [i, key] of imageObjectKeys(row.image_key).entries()) expect((await sharp(await stored(key)).metadata())).to.include({ format: 'webp', width: [400, 800, 1200][i] });
    const media = await admin.get(`/media/${row.image_key}-800.webp`).expect(200);
    expect(media.headers['content-type']).to.equal('image/webp');
    expect(media.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    // The shop shows it, with the responsive image.
    const page = await t.agent().get(`/products/${row.slug}`).expect(200);
    expect(page.text).to.include('Monsoon Field Notes');
    const audit = await t.db('audit_log').where({ entity_type: 'product', entity_id: id });
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ action: 'product.create', actor_email: (await t.db('users').where({ role: 'admin' }).first()).email });
    expect(audit[0].changes.price_paise).to.deep.equal([null, 149_900]);
    // The flash message on the page it lands on.
    expect((await admin.get(res.headers.location!).expect(200)).text).to.include('was added and is on the shop');
  });

  const refusals: [string, () => Promise<{ form?: Record<string, string>; files: { image?: [Buffer, string]; file?: [Buffer, string] } }>, number, RegExp][] = [
    ['a text file named .png', async () => ({ files: { image: [Buffer.from('just some text, not an image at all'), 'cover.png'] } }), 400, /JPEG, PNG, WebP or AVIF/],
    ['an SVG with a script', async () => ({ files: { image: [SVG_WITH_SCRIPT, 'cover.svg'] } }), 400, /SVG and other files are not accepted/],
    ['a 6 MB image', async () => ({ files: { image: [await bigPng(), 'huge.png'] } }), 413, /at most 5 MB/],
    ['a product file over the limit (1 MB here)', async () => ({ files: { file: [Buffer.alloc(1_500_000, 7), 'course.zip'] } }), 413, /at most 1 MB/],
    ['an empty product file', async () => ({ files: { file: [Buffer.alloc(0), 'empty.zip'] } }), 400, /The product file is empty/],
    ['an image that is only a PNG header', async () => ({ files: { image: [Buffer.concat([(await png(20, 20)).subarray(0, 40), Buffer.alloc(200)]), 'broken.png'] } }), 400, /could not be read/],
  ];
  for (const [what, make, status, message] of refusals) {
    it(`refuses ${what} with ${status}, and stores nothing`, async () => {
      const before = await objects();
      const products = (await t.db('products').count({ n: '*' }))[0]!.n;
      const { files } = await make();
      const good = { file: [Buffer.from('content'), 'guide.pdf'] as [Buffer, string] };
      const res = await post('/admin/products', fields({ categoryId: String(categoryId), title: `Refused ${what}` }), { ...good, ...files });
      expect(res.status, res.text.slice(0, 300)).to.equal(status);
      expect(res.text).to.match(message);
      expect(await objects()).to.deep.equal(before);
      expect((await t.db('products').count({ n: '*' }))[0]!.n).to.equal(products);
    });
  }

  it('refuses 30 files at once (413), and stores nothing', async () => {
    const before = await objects();
    const req = admin.post('/admin/products').field('_csrf', token);
    for (const [k, v] of Object.entries(fields({ categoryId: String(categoryId) }))) req.field(k, v);
    for (let i = 0; i < 30; i++) req.attach('file', Buffer.from(`file ${i}`), `f${i}.zip`);
    const res = await req;
    expect(res.status).to.equal(413);
    expect(res.text).to.include('one image and one product file at most');
    expect(await objects()).to.deep.equal(before);
  });

  it('refuses a form without its CSRF token (403) and deletes the file it had already stored', async () => {
    const before = await objects();
    await post('/admin/products', fields({ categoryId: String(categoryId) }), { file: [Buffer.from('bytes'), 'x.zip'] }, null).expect(403);
    await post('/admin/products', fields({ categoryId: String(categoryId) }), { file: [Buffer.from('bytes'), 'x.zip'] }, 'not-the-token').expect(403);
    expect(await objects()).to.deep.equal(before);
  });

  it('shows each problem beside its field and keeps what was typed; a taken address is a field error', async () => {
    const taken = await makeProduct(t.db, { category_id: categoryId, slug: 'already-here' });
    const res = await post('/admin/products', fields({ categoryId: String(categoryId), title: '', price: 'twelve', slug: taken.slug, summary: 'Kept summary' })).expect(400);
    expect(res.text).to.match(/data-field-error="title"[^>]*>Give the product a title/);
    expect(res.text).to.match(/data-field-error="price"[^>]*>Enter the price in rupees/);
    expect(res.text).to.include('value="Kept summary"');
    const slug = await post('/admin/products', fields({ categoryId: String(categoryId), slug: taken.slug, title: 'Another' })).expect(400);
    expect(slug.text).to.match(/data-field-error="slug"[^>]*>Another product already uses this address/);
    expect(await t.db('products').where({ title: 'Another' })).to.have.length(0);
  });

  it('an edit is audited field by field; a new file replaces the old for buyers, and the old object goes', async () => {
    const res = await post('/admin/products', fields({ categoryId: String(categoryId), title: 'Replace Me Guide' }), { file: [Buffer.from('version one'), 'guide-v1.pdf'] }).expect(303);
    const id = Number(res.headers.location!.split('/').pop());
    const first = await t.db('products').where({ id }).first();
    // A buyer who owns it.
    const buyer = await makeUser(t.db);
    const [order] = await t.db('orders').insert({ user_id: buyer.id, status: 'pending', subtotal_paise: 134_900, total_paise: 134_900, razorpay_order_id: `order_Rep${id}x${Date.now()}` }).returning('*');
    await t.db('order_items').insert({ order_id: order.id, product_id: id, title: 'Replace Me Guide', unit_price_paise: 149_900, discount_percent: 10, sale_price_paise: 134_900, line_total_paise: 134_900, license_type: 'commercial' });
    await t.deps.services.checkout.fulfil(order.razorpay_order_id, { id: `pay_Rep${id}x${Date.now()}`, entity: 'payment', amount: 134_900, currency: 'INR', status: 'captured', order_id: order.razorpay_order_id, method: 'upi', captured: true, amount_refunded: 0, email: buyer.email, contact: '', error_code: null, error_description: null, created_at: 0 } as never);
    const [ent] = await t.db('entitlements').where({ order_id: order.id });
    const shopper = t.agent();
    await apiLogin(shopper, buyer.email, buyer.password);
    const download = async () => {
      const r = await shopper.get(new URL(t.deps.services.downloads.linkFor(ent.id, buyer.id)).pathname).buffer(true).parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      return r.body as Buffer;
    };
    expect((await download()).toString()).to.equal('version one');

    await post(`/admin/products/${id}`, fields({ categoryId: String(categoryId), title: 'Replace Me Guide', price: '999', tags: 'notes' }), { file: [Buffer.from('version two, better'), 'guide-v2.pdf'] }).expect(303);
    const after = await t.db('products').where({ id }).first();
    expect(after).to.include({ price_paise: 99_900, file_name: 'guide-v2.pdf' });
    expect((await download()).toString()).to.equal('version two, better');
    expect(await objects()).not.to.include(first.file_key);
    const [edit] = await t.db('audit_log').where({ entity_type: 'product', entity_id: id, action: 'product.update' });
    expect(edit.changes.price_paise).to.deep.equal([149_900, 99_900]);
    expect(edit.changes.file_name).to.deep.equal(['guide-v1.pdf', 'guide-v2.pdf']);
    expect(edit.changes.tags).to.deep.equal([['notes', 'monsoon'], ['notes']]);
    expect(edit.changes).not.to.have.property('description'); // unchanged fields are not listed
    // The edit page shows the history.
    const page = await admin.get(`/admin/products/${id}`).expect(200);
    expect(page.text).to.include('data-audit').and.include('guide-v1.pdf');

    // Bought: "delete" archives it. Off the shop, still downloadable, and the page says so.
    const confirm = await admin.get(`/admin/products/${id}/delete`).expect(200);
    expect(confirm.text).to.include('has buyers, so it cannot be deleted');
    await admin.post(`/admin/products/${id}/delete`).type('form').send({ _csrf: token }).expect(303);
    expect(await t.db('products').where({ id }).first()).to.include({ is_visible: false }).and.have.property('archived_at').that.is.not.null;
    await t.agent().get(`/products/${after.slug}`).expect(404);
    expect((await download()).toString()).to.equal('version two, better');
    expect((await admin.get(`/admin/products/${id}`).expect(200)).text).to.include('data-archived');
    expect(await objects()).to.include(after.file_key);
  });

  it('deletes a product nobody bought, with its image and file', async () => {
    const res = await post('/admin/products', fields({ categoryId: String(categoryId), title: 'Short Lived' }), { image: [await png(), 'c.png'], file: [Buffer.from('x'), 'x.zip'] }).expect(303);
    const id = Number(res.headers.location!.split('/').pop());
    const row = await t.db('products').where({ id }).first();
    expect((await admin.get(`/admin/products/${id}/delete`).expect(200)).text).to.include('This cannot be undone');
    await admin.post(`/admin/products/${id}/delete`).type('form').send({ _csrf: token }).expect(303);
    expect(await t.db('products').where({ id })).to.have.length(0);
    const left = await objects();
    for (const key of [row.file_key, ...imageObjectKeys(row.image_key)]) expect(left).not.to.include(key);
    expect(await t.db('audit_log').where({ entity_type: 'product', entity_id: id, action: 'product.delete' })).to.have.length(1);
  });
});

describe('admin products: the list, bulk changes and JSON (issue 11)', () => {
  let t: TestContext;
  let admin: Agent;
  let token: string;
  let fonts: number;
  before(async () => {
    t = await createTestContext();
    const user = await makeUser(t.db, { role: 'admin' });
    admin = t.agent();
    token = (await apiLogin(admin, user.email, user.password)).body.csrfToken as string;
    fonts = (await makeCategory(t.db, { name: 'Fonts' })).id;
    const books = (await makeCategory(t.db, { name: 'Books' })).id;
    await makeProduct(t.db, { category_id: fonts, title: 'Kavya Serif', slug: 'kavya-serif', tags: ['serif', 'devanagari'], price_paise: 149_900 });
    await makeProduct(t.db, { category_id: fonts, title: 'Chai Script', slug: 'chai-script-font', tags: ['script'], is_visible: false });
    await makeProduct(t.db, { category_id: books, title: 'GST for Creators', slug: 'gst-guide', tags: ['tax'], price_paise: 34_900 });
  });
  after(() => t.close());
  const titles = (html: string) => [...html.matchAll(/<strong>([^<]+)<\/strong><span class="muted small">/g)].map((m) => m[1]);

  it('searches titles and addresses by any part, and tags whole; filters by category and status; sorts', async () => {
    expect(titles((await admin.get('/admin/products?q=avya').expect(200)).text)).to.deep.equal(['Kavya Serif']);
    expect(titles((await admin.get('/admin/products?q=script-f').expect(200)).text)).to.deep.equal(['Chai Script']);
    expect(titles((await admin.get('/admin/products?q=tax').expect(200)).text)).to.deep.equal(['GST for Creators']);
    expect(titles((await admin.get('/admin/products?q=50%25_off').expect(200)).text)).to.deep.equal([]);
    expect(titles((await admin.get(`/admin/products?category=${fonts}&sort=title`).expect(200)).text)).to.deep.equal(['Chai Script', 'Kavya Serif']);
    expect(titles((await admin.get('/admin/products?status=hidden').expect(200)).text)).to.deep.equal(['Chai Script']);
    expect(titles((await admin.get('/admin/products?sort=price-desc&status=visible').expect(200)).text)).to.deep.equal(['Kavya Serif', 'GST for Creators']);
    await admin.get('/admin/products?sort=sideways').expect(400);
  });

  it('shows and hides ticked products at once, audited one row each', async () => {
    const ids = (await t.db('products').whereIn('slug', ['kavya-serif', 'gst-guide']).pluck('id')) as number[];
    const res = await admin.post('/admin/products/bulk').type('form').send(`_csrf=${encodeURIComponent(token)}&action=hide&ids=${ids[0]}&ids=${ids[1]}`).expect(303);
    expect((await admin.get(res.headers.location!)).text).to.include('2 products are now hidden');
    expect(await t.db('products').whereIn('id', ids).pluck('is_visible')).to.deep.equal([false, false]);
    expect(await t.db('audit_log').whereIn('entity_id', ids).andWhere({ action: 'product.hide' })).to.have.length(2);
    // Without a token nothing changes.
    await admin.post('/admin/products/bulk').type('form').send(`action=show&ids=${ids[0]}`).expect(403);
    expect(await t.db('products').whereIn('id', ids).pluck('is_visible')).to.deep.equal([false, false]);
    await admin.post('/api/admin/products/visibility').set('X-CSRF-Token', token).send({ ids, action: 'show' }).expect(200);
    expect(await t.db('products').whereIn('id', ids).pluck('is_visible')).to.deep.equal([true, true]);
  });

  it('scripts create, read and replace products as JSON, with field errors as 400', async () => {
    const created = await admin.post('/api/admin/products').set('X-CSRF-Token', token).send({ title: 'Script Made', categoryId: fonts, pricePaise: 25_000, licenseType: 'personal', tags: ['api'] }).expect(201);
    expect(created.body.product).to.include({ slug: 'script-made', pricePaise: 25_000, visible: false });
    const id = created.body.product.id as number;
    const got = await admin.get(`/api/admin/products/${id}`).expect(200);
    expect(got.body.product).to.include({ title: 'Script Made', inOrders: false });
    await admin.put(`/api/admin/products/${id}`).set('X-CSRF-Token', token).send({ title: 'Script Made', categoryId: fonts, pricePaise: 30_000, licenseType: 'personal', visible: true }).expect(200);
    expect(await t.db('products').where({ id }).first()).to.include({ price_paise: 30_000, is_visible: true });
    const bad = await admin.post('/api/admin/products').set('X-CSRF-Token', token).send({ title: '', categoryId: 'x', pricePaise: 50, licenseType: 'pirate', role: 'admin' }).expect(400);
    expect(Object.keys(bad.body.error.fields)).to.include.members(['title', 'categoryId', 'pricePaise', 'licenseType', 'role']);
    const list = await admin.get('/api/admin/products?q=script').expect(200);
    expect(list.body.items.map((i: { title: string }) => i.title)).to.include('Script Made');
  });
});
