import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { attachDemoFiles } from '../seeds/demo-files.js';
import { createDownloadService } from '../src/services/download-service.js';
import { createTestContext, type TestContext } from './support/context.js';
import { apiLogin, makeUser } from './support/accounts.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { startS3 } from './support/s3.js';

type Agent = ReturnType<typeof supertest.agent>;

/** Buys through the same fulfilment path payments use, then downloads. */
for (const backend of ['local disk', 'S3 (s3rver)'] as const)
describe(`secure downloads from ${backend}`, () => {
  let t: TestContext;
  let product: { id: number };
  let s3: Awaited<ReturnType<typeof startS3>> | undefined;
  /** The bytes as stored, read back from the storage the app uses. */
  async function storedBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.read(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  before(async () => {
    s3 = backend === 'local disk' ? undefined : await startS3();
    t = await createTestContext({ DOWNLOAD_LIMIT: '3', ...(s3?.env ?? {}) });
    expect(t.deps.storage.kind).to.equal(s3 ? 's3' : 'local');
    product = await makeProduct(t.db, { category_id: (await makeCategory(t.db)).id, title: 'Field Guide', price_paise: 49_900 });
    await attachDemoFiles(t.db, t.deps.storage, 'Test Store');
  });
  after(async () => {
    await t.close();
    await s3?.close();
  });

  /** A buyer with a paid order for the product; returns their agent and the download link. */
  async function buyer(): Promise<{ agent: Agent; csrf: string; link: string; entitlementId: number; orderId: number; userId: number }> {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const csrf = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'pending', subtotal_paise: 49_900, total_paise: 49_900, razorpay_order_id: `order_Test${user.id}x${Date.now()}` }).returning('*');
    await t.db('order_items').insert({ order_id: order.id, product_id: product.id, title: 'Field Guide', unit_price_paise: 49_900, sale_price_paise: 49_900, line_total_paise: 49_900, license_type: 'personal' });
    const payment = { id: `pay_Test${user.id}x${Date.now()}`, entity: 'payment' as const, amount: 49_900, currency: 'INR', status: 'captured' as const, order_id: order.razorpay_order_id, method: 'upi', captured: true, amount_refunded: 0, email: user.email, contact: '', error_code: null, error_description: null, created_at: 0 };
    await t.deps.services.checkout.fulfil(order.razorpay_order_id, payment);
    const [right] = await t.db('entitlements').where({ order_id: order.id });
    return { agent, csrf, link: t.deps.services.downloads.linkFor(right.id, user.id), entitlementId: right.id, orderId: order.id, userId: user.id };
  }
  const pathOf = (link: string) => new URL(link).pathname;
  const binary = (res: supertest.Response, cb: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  };

  it('streams exactly the stored bytes as an attachment, counts and logs it', async () => {
    const b = await buyer();
    const row = await t.db('products').where({ id: product.id }).first();
    const stored = await storedBytes(row.file_key);
    if (!s3) expect(Buffer.compare(stored, await readFile(path.join(t.config.storageDir, row.file_key)))).to.equal(0);
    const res = await b.agent.get(pathOf(b.link)).set('User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36').buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(res.body as Buffer, stored)).to.equal(0);
    expect((res.body as Buffer).subarray(0, 5).toString()).to.equal('%PDF-');
    expect(res.headers['content-disposition']).to.equal(`attachment; filename="${row.file_name}"; filename*=UTF-8''${encodeURIComponent(row.file_name)}`);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['content-type']).to.equal('application/octet-stream');
    expect((await t.db('entitlements').where({ id: b.entitlementId }).first()).download_count).to.equal(1);
    const log = await t.db('downloads').where({ entitlement_id: b.entitlementId });
    expect(log).to.have.length(1);
    expect(log[0]).to.include({ browser: 'Chrome 126', os: 'Windows 10', device_type: 'desktop' });
    const history = await b.agent.get('/downloads').expect(200);
    expect(history.text).to.include('Field Guide').and.include('Chrome 126');
  });

  const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0';
  const get = (b: { agent: Agent; link: string }, range?: string, ua = UA) => {
    const req = b.agent.get(pathOf(b.link)).set('User-Agent', ua).buffer(true).parse(binary);
    return range ? req.set('Range', range) : req;
  };
  const countOf = async (entitlementId: number) => (await t.db('entitlements').where({ id: entitlementId }).first()).download_count as number;
  const logOf = async (entitlementId: number) => (await t.db('downloads').where({ entitlement_id: entitlementId }).orderBy('id').pluck('kind')) as string[];

  it('a resumed range (206) of a counted download is served and logged but not counted again', async () => {
    const b = await buyer();
    const row = await t.db('products').where({ id: product.id }).first();
    const stored = await storedBytes(row.file_key);
    await get(b).expect(200);
    const res = await get(b, 'bytes=5-14').expect(206);
    expect(Buffer.compare(res.body as Buffer, stored.subarray(5, 15))).to.equal(0);
    expect(res.headers['content-range']).to.equal(`bytes 5-14/${stored.length}`);
    expect(await countOf(b.entitlementId)).to.equal(1);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download', 'resume']);
    await get(b, `bytes=${stored.length + 10}-`).expect(416);
    expect(await countOf(b.entitlementId)).to.equal(1);
  });

  it('a range that resumes nothing (no recent download from this browser) counts as a download', async () => {
    const b = await buyer();
    await get(b, 'bytes=1-').expect(206);
    expect(await countOf(b.entitlementId)).to.equal(1);
    await get(b).expect(200);
    await get(b, 'bytes=1-', 'Another Browser/1.0').expect(206);
    expect(await countOf(b.entitlementId)).to.equal(3);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download', 'download', 'download']);
  });

  it('past the limit no request gets bytes, ranged or not; a resume of the last download works a few times', async () => {
    const b = await buyer();
    for (let i = 0; i < 3; i++) await get(b).expect(200);
    // Right after the third download, its resume is allowed (and bounded).
    for (let i = 0; i < 5; i++) await get(b, 'bytes=1-').expect(206);
    const sixth = await get(b, 'bytes=1-').expect(410);
    expect(sixth.headers['content-type']).to.match(/^text\/html/);
    // From another browser, or once the resume window has passed: nothing.
    await get(b, 'bytes=1-', 'Another Browser/1.0').expect(410);
    t.clock.advance(2 * 3600_000);
    try {
      const late = await get(b, 'bytes=1-').expect(410);
      expect((late.body as Buffer).toString()).to.include('All downloads of this purchase are used').and.not.include('%PDF');
      await get(b, 'bytes=0-').expect(410);
    } finally {
      t.clock.advance(-2 * 3600_000);
    }
    expect(await countOf(b.entitlementId)).to.equal(3);
    expect((await logOf(b.entitlementId)).filter((k) => k === 'resume')).to.have.length(5);
  });

  it('expired and refunded links give no bytes to a range request either', async () => {
    const b = await buyer();
    await get(b).expect(200);
    t.clock.advance(25 * 3600_000);
    try {
      await get(b, 'bytes=1-').expect(410);
    } finally {
      t.clock.advance(-25 * 3600_000);
    }
    const payment = await t.db('payments').where({ order_id: b.orderId }).first();
    await t.deps.services.refunds.record({ id: `rfnd_Rng${b.orderId}`, payment_id: payment.razorpay_payment_id, amount: payment.amount_paise, status: 'processed' });
    await get(b, 'bytes=1-').expect(410);
    expect(await countOf(b.entitlementId)).to.equal(1);
  });

  it('HEAD answers the headers and counts nothing', async () => {
    const b = await buyer();
    const head = await b.agent.head(pathOf(b.link)).expect(200);
    expect(Number(head.headers['content-length'])).to.be.greaterThan(100);
    expect(head.headers['content-disposition']).to.match(/^attachment;/);
    expect(await countOf(b.entitlementId)).to.equal(0);
    expect(await logOf(b.entitlementId)).to.deep.equal([]);
  });

  it('a file that cannot be read uses up nothing (503)', async () => {
    const b = await buyer();
    // The object is gone from storage: the size check fails first.
    const row = await t.db('products').where({ id: product.id }).first();
    await t.db('products').where({ id: product.id }).update({ file_key: 'products/missing/file.pdf' });
    try {
      const res = await get(b).expect(503);
      expect((res.body as Buffer).toString()).to.include('not used up');
    } finally {
      await t.db('products').where({ id: product.id }).update({ file_key: row.file_key });
    }
    // Storage answers the size but fails to open the file.
    const failing = createDownloadService({ db: t.db, storage: { ...t.deps.storage, read: () => Promise.reject(new Error('EIO: disk error')) }, clock: t.clock, baseUrl: t.config.baseUrl, dataKey: t.config.dataEncryptionKey });
    const token = pathOf(b.link).split('/').pop()!;
    const err = await failing.open(token, { userId: b.userId, ip: '127.0.0.1', method: 'GET' }).then(() => undefined, (e: unknown) => e as { status: number });
    expect(err?.status).to.equal(503);
    expect(await countOf(b.entitlementId)).to.equal(0);
    expect(await logOf(b.entitlementId)).to.deep.equal([]);
  });

  it('20 parallel downloads of a purchase with 3 left: exactly 3 get the file', async () => {
    const b = await buyer();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(b, undefined, `Parallel/${i}`)));
    expect(results.filter((r) => r.status === 200)).to.have.length(3);
    expect(results.filter((r) => r.status === 410)).to.have.length(17);
    expect(await countOf(b.entitlementId)).to.equal(3);
    expect(await logOf(b.entitlementId)).to.have.length(3);
  });

  it('refuses another user (404), a forged link (404) and sends visitors to sign in', async () => {
    const a = await buyer();
    const other = await buyer();
    const foreign = await other.agent.get(pathOf(a.link)).set('Accept', 'text/html').expect(404);
    expect(foreign.text).to.include('This link belongs to another account').and.include('Sign out');
    expect(foreign.text).not.to.match(/<p class="error-code">/);
    const forged = pathOf(a.link).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    await a.agent.get(forged).expect(404);
    await a.agent.get('/downloads/not-a-token').expect(404);
    const anon = await t.agent().get(pathOf(a.link)).expect(303);
    expect(anon.headers.location).to.match(/^\/login\?next=%2Fdownloads%2F/);
  });

  it('stops at the download limit', async () => {
    const b = await buyer();
    for (let i = 0; i < 3; i++) await b.agent.get(pathOf(b.link)).expect(200);
    const over = await b.agent.get(pathOf(b.link)).expect(410);
    expect(over.text).to.include('You have used all 3 downloads');
  });

  it('expires links after 24 hours and gives the owner a fresh one', async () => {
    const b = await buyer();
    t.clock.advance(25 * 3600_000);
    try {
      const expired = await b.agent.get(pathOf(b.link)).expect(410);
      expect(expired.text).to.include('Get a fresh link');
      const token = /name="_csrf" value="([^"]+)"/.exec(expired.text)![1]!;
      const fresh = await b.agent.post('/downloads/fresh').type('form').send({ _csrf: token, entitlementId: b.entitlementId }).expect(303);
      await b.agent.get(pathOf(fresh.headers.location as string)).expect(200);
      // Nobody else can mint one.
      const other = await buyer();
      await other.agent.post('/downloads/fresh').set('X-CSRF-Token', other.csrf).send({ entitlementId: b.entitlementId }).expect(404);
    } finally {
      t.clock.advance(-25 * 3600_000);
    }
  });

  it('ends downloads when the order is refunded', async () => {
    const b = await buyer();
    const payment = await t.db('payments').where({ order_id: b.orderId }).first();
    await t.deps.services.refunds.record({ id: `rfnd_Full${b.orderId}`, payment_id: payment.razorpay_payment_id, amount: payment.amount_paise, status: 'processed' });
    const res = await b.agent.get(pathOf(b.link)).expect(410);
    expect(res.text).to.include('refunded');
  });

  it('shows the order with download buttons only to its owner', async () => {
    const b = await buyer();
    const page = await b.agent.get(`/orders/${b.orderId}`).expect(200);
    expect(page.text).to.include('Order #' + b.orderId).and.include('data-download').and.include('Field Guide');
    const list = await b.agent.get('/orders').expect(200);
    expect(list.text).to.include(`data-order-id="${b.orderId}"`);
    const other = await buyer();
    await other.agent.get(`/orders/${b.orderId}`).expect(404);
    await other.agent.get('/orders/abc').expect(404);
    await t.agent().get(`/orders/${b.orderId}`).expect(303);
  });
});

describe('downloads by redirect to a presigned S3 URL (DOWNLOAD_DELIVERY=redirect)', () => {
  let t: TestContext;
  let s3: Awaited<ReturnType<typeof startS3>>;
  before(async () => {
    s3 = await startS3();
    t = await createTestContext({ DOWNLOAD_LIMIT: '2', DOWNLOAD_DELIVERY: 'redirect', DOWNLOAD_REDIRECT_SECONDS: '120', ...s3.env });
    await makeProduct(t.db, { category_id: (await makeCategory(t.db)).id, title: 'Course Videos', price_paise: 99_900 });
    await attachDemoFiles(t.db, t.deps.storage, 'Test Store');
  });
  after(async () => {
    await t?.close();
    await s3?.close();
  });

  it('checks and counts, then redirects to a URL that lives minutes and serves exactly the file as an attachment', async () => {
    const product = await t.db('products').first();
    const user = await makeUser(t.db);
    const agent = t.agent();
    await apiLogin(agent, user.email, user.password);
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 99_900, total_paise: 99_900 }).returning('id');
    const [right] = await t.db('entitlements').insert({ user_id: user.id, order_id: order.id, product_id: product.id, max_downloads: 2 }).returning('id');
    const link = new URL(t.deps.services.downloads.linkFor(right.id, user.id)).pathname;

    const res = await agent.get(link).expect(302);
    const url = new URL(res.headers.location as string);
    expect(url.origin).to.equal(s3.env.S3_ENDPOINT);
    expect(url.searchParams.get('X-Amz-Expires')).to.equal('120');
    expect(res.headers['cache-control']).to.equal('private, no-store');
    const file = await fetch(url);
    expect(file.status).to.equal(200);
    expect(file.headers.get('content-disposition')).to.match(/^attachment; filename="/);
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.read(product.file_key)) chunks.push(c as Buffer);
    expect(Buffer.compare(Buffer.from(await file.arrayBuffer()), Buffer.concat(chunks))).to.equal(0);
    expect((await t.db('entitlements').where({ id: right.id }).first()).download_count).to.equal(1);

    await agent.get(link).expect(302);
    await agent.get(link).expect(410);
    expect((await t.db('entitlements').where({ id: right.id }).first()).download_count).to.equal(2);
    expect(await t.db('downloads').where({ entitlement_id: right.id })).to.have.length(2);
  });
});
