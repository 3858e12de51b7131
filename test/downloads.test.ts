import { readdirSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import type supertest from 'supertest';
import { attachDemoFiles } from '../seeds/demo-files.js';
import { ConfigError, loadConfig } from '../src/config.js';
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
  async function buyer(productId = product.id): Promise<{ agent: Agent; csrf: string; cookie: string; link: string; entitlementId: number; orderId: number; userId: number }> {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const login = await apiLogin(agent, user.email, user.password);
    const csrf = login.body.csrfToken as string;
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'pending', subtotal_paise: 49_900, total_paise: 49_900, razorpay_order_id: `order_Test${user.id}x${Date.now()}` }).returning('*');
    await t.db('order_items').insert({ order_id: order.id, product_id: productId, title: 'Field Guide', unit_price_paise: 49_900, sale_price_paise: 49_900, line_total_paise: 49_900, license_type: 'personal' });
    const payment = { id: `pay_Test${user.id}x${Date.now()}`, entity: 'payment' as const, amount: 49_900, currency: 'INR', status: 'captured' as const, order_id: order.razorpay_order_id, method: 'upi', captured: true, amount_refunded: 0, email: user.email, contact: '', error_code: null, error_description: null, created_at: 0 };
    await t.deps.services.checkout.fulfil(order.razorpay_order_id, payment);
    const [right] = await t.db('entitlements').where({ order_id: order.id });
    return { agent, csrf, cookie, link: t.deps.services.downloads.linkFor(right.id, user.id), entitlementId: right.id, orderId: order.id, userId: user.id };
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
    expect(res.headers['accept-ranges']).to.equal('bytes');
    expect(res.headers.etag).to.match(/^"[0-9a-f]{16}-\d+"$/);
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

  it('HEAD answers the headers and counts nothing, and refuses a link that has ended', async () => {
    const b = await buyer();
    const head = await b.agent.head(pathOf(b.link)).expect(200);
    expect(Number(head.headers['content-length'])).to.be.greaterThan(100);
    expect(head.headers['content-disposition']).to.match(/^attachment;/);
    await b.agent.head(pathOf(b.link)).set('Range', 'bytes=1-').expect(200);
    expect(await countOf(b.entitlementId)).to.equal(0);
    expect(await logOf(b.entitlementId)).to.deep.equal([]);
    for (let i = 0; i < 3; i++) await get(b).expect(200);
    await b.agent.head(pathOf(b.link)).expect(410);
    expect(await countOf(b.entitlementId)).to.equal(3);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download', 'download', 'download']);
  });

  it('a resume for another version of the file (If-Range does not match) gets the whole file and counts', async () => {
    const b = await buyer();
    const first = await get(b).expect(200);
    const etag = first.headers.etag as string;
    const resumed = await get(b, 'bytes=7-').set('If-Range', etag).expect(206);
    expect(resumed.headers['content-range']).to.match(/^bytes 7-/);
    const stale = await get(b, 'bytes=7-').set('If-Range', '"0000000000000000-1"').expect(200);
    expect(Buffer.compare(stale.body as Buffer, first.body as Buffer)).to.equal(0);
    expect(await countOf(b.entitlementId)).to.equal(2);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download', 'resume', 'download']);
  });

  it('several ranges in one request get the whole file (200), counted once', async () => {
    const b = await buyer();
    const res = await get(b, 'bytes=0-1,10-20').expect(200);
    expect((res.body as Buffer).subarray(0, 5).toString()).to.equal('%PDF-');
    expect(res.headers['content-range']).to.equal(undefined);
    expect(await countOf(b.entitlementId)).to.equal(1);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download']);
  });

  /** Where the backend keeps an object's bytes (s3rver's on-disk layout for S3). */
  const objectPath = (key: string) => {
    if (!s3) return path.join(t.config.storageDir, key);
    const parts = key.split('/');
    return path.join(s3.directory, s3.env.S3_BUCKET!, ...parts.slice(0, -1), `${parts.at(-1)}._S3rver_object`);
  };

  it('a missing object (deleted from storage) answers 503 and uses up nothing', async () => {
    const b = await buyer();
    const row = await t.db('products').where({ id: product.id }).first();
    const bytes = await storedBytes(row.file_key);
    if (s3) {
      const client = new S3Client({ region: s3.env.S3_REGION!, endpoint: s3.env.S3_ENDPOINT, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      await client.send(new DeleteObjectCommand({ Bucket: s3.env.S3_BUCKET!, Key: row.file_key }));
      client.destroy();
    } else {
      await rm(objectPath(row.file_key));
    }
    try {
      const res = await get(b).expect(503);
      expect((res.body as Buffer).toString()).to.include('not used up').and.not.include('%PDF');
      await get(b, 'bytes=1-').expect(503);
      await b.agent.head(pathOf(b.link)).expect(503);
    } finally {
      await t.deps.storage.put(row.file_key, bytes, 'application/pdf');
    }
    expect(await countOf(b.entitlementId)).to.equal(0);
    expect(await logOf(b.entitlementId)).to.deep.equal([]);
    await get(b).expect(200);
    expect(await countOf(b.entitlementId)).to.equal(1);
  });

  it('an object that is found but fails on the first read answers 503 and uses up nothing', async () => {
    const b = await buyer();
    const row = await t.db('products').where({ id: product.id }).first();
    const bytes = await storedBytes(row.file_key);
    // A directory where the file was: stat (and an S3 HEAD) still succeed, reading fails (EISDIR).
    await rm(objectPath(row.file_key));
    await mkdir(objectPath(row.file_key));
    try {
      const res = await get(b).expect(503);
      expect((res.body as Buffer).toString()).to.include('not used up');
    } finally {
      await rm(objectPath(row.file_key), { recursive: true });
      await t.deps.storage.put(row.file_key, bytes, 'application/pdf');
    }
    expect(await countOf(b.entitlementId)).to.equal(0);
    expect(await logOf(b.entitlementId)).to.deep.equal([]);
  });

  it('a file of several megabytes arrives whole, and a resume from its middle gives exactly the rest', async () => {
    const big = await makeProduct(t.db, { category_id: (await makeCategory(t.db)).id, title: 'Course Videos', price_paise: 49_900 });
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 12)) & 0xff;
    const key = `products/${big.id}/big-${backend === 'local disk' ? 'l' : 's'}.bin`;
    await t.deps.storage.put(key, bytes, 'application/octet-stream');
    await t.db('products').where({ id: big.id }).update({ file_key: key, file_name: 'course.bin', file_size: bytes.length });
    const b = await buyer(big.id);
    const whole = await get(b).expect(200);
    expect(Buffer.compare(whole.body as Buffer, bytes)).to.equal(0);
    const rest = await get(b, 'bytes=1500000-').expect(206);
    expect(Buffer.compare(rest.body as Buffer, bytes.subarray(1_500_000))).to.equal(0);
    expect(await countOf(b.entitlementId)).to.equal(1);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download', 'resume']);
  });

  it('a download the browser abandons closes its file or S3 connection (no leak)', async () => {
    const big = await makeProduct(t.db, { category_id: (await makeCategory(t.db)).id, title: 'Huge', price_paise: 49_900 });
    // Far more than socket buffers hold, so the server is mid-file when the client goes.
    const key = `products/${big.id}/huge-${backend === 'local disk' ? 'l' : 's'}.bin`;
    await t.deps.storage.put(key, Buffer.alloc(24 * 1024 * 1024, 7), 'application/octet-stream');
    await t.db('products').where({ id: big.id }).update({ file_key: key, file_name: 'huge.bin', file_size: 24 * 1024 * 1024 });
    const b = await buyer(big.id);
    await t.db('entitlements').where({ id: b.entitlementId }).update({ max_downloads: 100 });
    const server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const openFiles = () => readdirSync('/proc/self/fd').length;
    try {
      const { port } = server.address() as AddressInfo;
      const before = openFiles();
      for (let i = 0; i < 20; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: pathOf(b.link), headers: { cookie: b.cookie, 'user-agent': `Leaver/${i}` } }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve(res.statusCode ?? 0);
            });
          });
          req.on('error', reject);
        });
        expect(status).to.equal(200);
      }
      // Closing is asynchronous: poll (bounded) rather than sleep.
      for (let i = 0; i < 100 && openFiles() > before + 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(openFiles()).to.be.at.most(before + 3);
      expect(await countOf(b.entitlementId)).to.equal(20);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
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
    expect(await countOf(a.entitlementId)).to.equal(0);
    expect(await logOf(a.entitlementId)).to.deep.equal([]);
  });

  it('stops at the download limit', async () => {
    const b = await buyer();
    for (let i = 0; i < 3; i++) await b.agent.get(pathOf(b.link)).expect(200);
    const over = await b.agent.get(pathOf(b.link)).expect(410);
    expect(over.text).to.include('You have used all 3 downloads').and.not.include('%PDF');
    expect(await countOf(b.entitlementId)).to.equal(3);
    expect(await logOf(b.entitlementId)).to.deep.equal(['download', 'download', 'download']);
  });

  it('expires links after 24 hours and gives the owner a fresh one', async () => {
    const b = await buyer();
    t.clock.advance(25 * 3600_000);
    try {
      const expired = await b.agent.get(pathOf(b.link)).expect(410);
      expect(expired.text).to.include('Get a fresh link');
      expect(await countOf(b.entitlementId)).to.equal(0);
      const token = /name="_csrf" value="([^"]+)"/.exec(expired.text)![1]!;
      const fresh = await b.agent.post('/downloads/fresh').type('form').send({ _csrf: token, entitlementId: b.entitlementId }).expect(303);
      await b.agent.get(pathOf(fresh.headers.location as string)).expect(200);
      expect(await countOf(b.entitlementId)).to.equal(1);
      expect(await logOf(b.entitlementId)).to.deep.equal(['download']);
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
    const right = await t.db('entitlements').where({ id: b.entitlementId }).first();
    expect(right.revoked_at).to.be.an.instanceOf(Date);
    expect(right.download_count).to.equal(0);
    expect(await logOf(b.entitlementId)).to.deep.equal([]);
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
    // The lifetime is left to its default: a presigned URL must live minutes at most.
    t = await createTestContext({ DOWNLOAD_LIMIT: '2', DOWNLOAD_DELIVERY: 'redirect', ...s3.env });
    await makeProduct(t.db, { category_id: (await makeCategory(t.db)).id, title: 'Course Videos', price_paise: 99_900 });
    await attachDemoFiles(t.db, t.deps.storage, 'Test Store');
  });
  after(async () => {
    await t?.close();
    await s3?.close();
  });

  async function buyer() {
    const product = await t.db('products').first();
    const user = await makeUser(t.db);
    const agent = t.agent();
    await apiLogin(agent, user.email, user.password);
    const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 99_900, total_paise: 99_900 }).returning('id');
    const [right] = await t.db('entitlements').insert({ user_id: user.id, order_id: order.id, product_id: product.id, max_downloads: 2 }).returning('id');
    return { product, agent, entitlementId: right.id as number, link: new URL(t.deps.services.downloads.linkFor(right.id, user.id)).pathname };
  }
  const countOf = async (id: number) => (await t.db('entitlements').where({ id }).first()).download_count as number;
  const logOf = async (id: number) => (await t.db('downloads').where({ entitlement_id: id }).orderBy('id').pluck('kind')) as string[];

  it('checks and counts, then redirects to a URL that lives minutes and serves exactly the file as an attachment', async () => {
    const { product, agent, entitlementId, link } = await buyer();
    const res = await agent.get(link).expect(302);
    const url = new URL(res.headers.location as string);
    expect(url.origin).to.equal(s3.env.S3_ENDPOINT);
    expect(url.pathname).to.equal(`/${s3.env.S3_BUCKET}/${product.file_key}`);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).to.be.within(1, 300);
    expect(url.searchParams.get('response-content-disposition')).to.equal(`attachment; filename="${product.file_name}"; filename*=UTF-8''${encodeURIComponent(product.file_name)}`);
    expect(res.headers['cache-control']).to.equal('private, no-store');
    expect(res.headers['content-disposition']).to.equal(undefined);
    expect(await countOf(entitlementId)).to.equal(1);
    expect(await logOf(entitlementId)).to.deep.equal(['download']);

    const file = await fetch(url);
    expect(file.status).to.equal(200);
    expect(file.headers.get('content-disposition')).to.equal(`attachment; filename="${product.file_name}"; filename*=UTF-8''${encodeURIComponent(product.file_name)}`);
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.read(product.file_key)) chunks.push(c as Buffer);
    expect(Buffer.compare(Buffer.from(await file.arrayBuffer()), Buffer.concat(chunks))).to.equal(0);
    // Following the URL is S3's business: it counts nothing more here.
    expect(await countOf(entitlementId)).to.equal(1);

    // A resume of that download is redirected again without counting; the limit still holds.
    await agent.get(link).set('Range', 'bytes=100-').expect(302);
    expect(await countOf(entitlementId)).to.equal(1);
    await agent.get(link).expect(302);
    const over = await agent.get(link).set('User-Agent', 'Another Browser/1.0').expect(410);
    expect(over.headers.location).to.equal(undefined);
    expect(await countOf(entitlementId)).to.equal(2);
    expect(await logOf(entitlementId)).to.deep.equal(['download', 'resume', 'download']);
  });

  it('HEAD and a missing object hand out no URL and count nothing', async () => {
    const { product, agent, entitlementId, link } = await buyer();
    const head = await agent.head(link).expect(200);
    expect(head.headers.location).to.equal(undefined);
    const client = new S3Client({ region: s3.env.S3_REGION!, endpoint: s3.env.S3_ENDPOINT, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.read(product.file_key)) chunks.push(c as Buffer);
    await client.send(new DeleteObjectCommand({ Bucket: s3.env.S3_BUCKET!, Key: product.file_key }));
    client.destroy();
    try {
      const gone = await agent.get(link).expect(503);
      expect(gone.headers.location).to.equal(undefined);
    } finally {
      await t.deps.storage.put(product.file_key, Buffer.concat(chunks), 'application/pdf');
    }
    expect(await countOf(entitlementId)).to.equal(0);
    expect(await logOf(entitlementId)).to.deep.equal([]);
  });

  it('the configuration refuses redirect without S3 and a URL lifetime over 5 minutes', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DOWNLOAD_DELIVERY: 'redirect' })).to.throw(ConfigError, /DOWNLOAD_DELIVERY/);
    expect(() => loadConfig({ NODE_ENV: 'test', DOWNLOAD_DELIVERY: 'redirect', DOWNLOAD_REDIRECT_SECONDS: '900', ...s3.env })).to.throw(ConfigError, /DOWNLOAD_REDIRECT_SECONDS/);
    expect(t.config.downloadRedirectSeconds).to.equal(300);
  });
});
