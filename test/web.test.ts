import { expect } from 'chai';
import { redactUrl } from '../src/lib/logger.js';
import { createTestContext, csrfFor, type TestContext } from './support/context.js';

describe('web plumbing', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
  });
  after(() => t.close());

  describe('health', () => {
    it('/healthz answers without touching the database', async () => {
      const res = await t.agent().get('/healthz').expect(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('/readyz answers 200 when the database is reachable and 503 when it is not', async () => {
      const ok = await t.agent().get('/readyz').expect(200);
      expect(ok.body).to.deep.equal({ status: 'ready', database: 'ok' });

      const broken = await createTestContext({ DATABASE_POOL_MAX: '1' });
      await broken.db.destroy(); // pool gone: every query now fails
      const down = await broken.agent().get('/readyz').expect(503);
      expect(down.body).to.deep.equal({ status: 'unavailable', database: 'unreachable' });
      await broken.close();
    });
  });

  describe('security headers', () => {
    it('sends a CSP that allows only our scripts plus Razorpay Checkout', async () => {
      const res = await t.agent().get('/').expect(200);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).to.include("default-src 'self'");
      expect(csp).to.include("script-src 'self' https://checkout.razorpay.com");
      expect(csp).to.include('frame-src https://api.razorpay.com');
      expect(csp).to.include("frame-ancestors 'none'");
      expect(csp).not.to.include('unsafe-inline');
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['x-powered-by']).to.equal(undefined);
    });

    it('gives every response a request id, keeping a sane incoming one', async () => {
      const fresh = await t.agent().get('/healthz');
      expect(fresh.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      const kept = await t.agent().get('/healthz').set('X-Request-Id', 'lb-trace-12345678');
      expect(kept.headers['x-request-id']).to.equal('lb-trace-12345678');
      const replaced = await t.agent().get('/healthz').set('X-Request-Id', 'bad id with spaces and <junk>');
      expect(replaced.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe('static files', () => {
    it('serves versioned assets with a one-year immutable cache and others briefly', async () => {
      const home = await t.agent().get('/').expect(200);
      const cssUrl = /href="(\/css\/site\.css\?v=[0-9a-f]{10})"/.exec(home.text)?.[1];
      expect(cssUrl, 'stylesheet link with a content hash').to.be.a('string');
      const css = await t.agent().get(cssUrl!).expect(200).expect('Content-Type', /css/);
      expect(css.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
      const img = await t.agent().get('/img/placeholder.svg').expect(200);
      expect(img.headers['cache-control']).to.equal('public, max-age=3600');
    });

    it('compresses large text responses', async () => {
      const res = await t.agent().get('/css/site.css').set('Accept-Encoding', 'gzip').expect(200);
      expect(res.headers['content-encoding']).to.equal('gzip');
    });
  });

  describe('errors', () => {
    it('answers unknown pages with a 404 page that looks like the site', async () => {
      const res = await t.agent().get('/no/such/page').expect(404).expect('Content-Type', /html/);
      expect(res.text).to.include('Page not found').and.include('site-header').and.include('site-footer');
    });

    it('answers unknown API routes with JSON', async () => {
      const res = await t.agent().get('/api/nothing-here').expect(404).expect('Content-Type', /json/);
      expect(res.body).to.deep.equal({ error: { code: 'NOT_FOUND', message: 'We could not find that page.' } });
    });
  });

  describe('sessions and CSRF', () => {
    it('issues a CSRF token in an HttpOnly, SameSite=Lax session cookie stored in PostgreSQL', async () => {
      const agent = t.agent();
      const res = await agent.get('/api/auth/csrf').expect(200);
      expect(res.body.csrfToken).to.be.a('string').with.length.greaterThan(20);
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).to.match(/^sid=/).and.match(/HttpOnly/).and.match(/SameSite=Lax/);
      expect(cookie).not.to.match(/Secure/); // only in production, where the site is HTTPS
      const sid = /^sid=s:([^.;]+)/.exec(decodeURIComponent(cookie))?.[1];
      const row = await t.db('session').where({ sid }).first();
      expect(row, 'session row').to.exist;
      expect(row.sess.csrfSecret).to.be.a('string');
    });

    it('puts the token in a meta tag once the session has one', async () => {
      const agent = t.agent();
      const token = await csrfFor(agent);
      const page = await agent.get('/').expect(200);
      expect(page.text).to.match(/<meta name="csrf-token" content="[^"]+">/);
      expect(token).to.be.a('string');
    });

    it('refuses a state-changing request without a valid token (403) and lets a valid one through', async () => {
      const agent = t.agent();
      const token = await csrfFor(agent);
      const missing = await agent.post('/api/anything').send({ a: 1 }).expect(403);
      expect(missing.body.error.code).to.equal('CSRF_INVALID');
      const wrong = await agent.post('/api/anything').set('X-CSRF-Token', 'forged').send({ a: 1 }).expect(403);
      expect(wrong.body.error.code).to.equal('CSRF_INVALID');
      // A valid token passes CSRF and reaches routing (no such route: 404, not 403).
      await agent.post('/api/anything').set('X-CSRF-Token', token).send({ a: 1 }).expect(404);
      // A token from another session is refused.
      const other = await csrfFor(t.agent());
      await agent.post('/api/anything').set('X-CSRF-Token', other).send({ a: 1 }).expect(403);
    });

    it('accepts the token only from the form body or a header, never the query string (issue 8, item 17)', async () => {
      const agent = t.agent();
      const token = await csrfFor(agent);
      const inQuery = await agent.post(`/api/anything?_csrf=${encodeURIComponent(token)}`).send({ a: 1 }).expect(403);
      expect(inQuery.body.error.code).to.equal('CSRF_INVALID');
      await agent.post('/api/anything').type('form').send({ _csrf: token }).expect(404);
      await agent.post('/api/anything').set('X-CSRF-Token', token).send({}).expect(404);
    });

    it('refuses a form post without a token with an HTML 403 page', async () => {
      const res = await t.agent().post('/products').type('form').send('q=x').expect(403).expect('Content-Type', /html/);
      expect(res.text).to.include('Your form expired');
    });
  });

  describe('request bodies', () => {
    it('answers malformed JSON with 400 and an oversized body with 413, never a 500', async () => {
      const agent = t.agent();
      const token = await csrfFor(agent);
      const bad = await agent.post('/api/anything').set('X-CSRF-Token', token).set('Content-Type', 'application/json').send('{"a": ').expect(400);
      expect(bad.body.error.code).to.equal('MALFORMED_BODY');
      const big = await agent
        .post('/api/anything')
        .set('X-CSRF-Token', token)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ a: 'x'.repeat(200_000) }))
        .expect(413);
      expect(big.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
    });
  });

  describe('log redaction', () => {
    it('masks tokens carried in URLs', () => {
      expect(redactUrl('/downloads/abc.def?x=1')).to.equal('/downloads/[redacted]?x=1');
      expect(redactUrl('/reset-password?token=secret123&next=/')).to.equal('/reset-password?token=[redacted]&next=/');
      expect(redactUrl('/products?q=token')).to.equal('/products?q=token');
      expect(redactUrl('/login?_csrf=abc123&next=/')).to.equal('/login?_csrf=[redacted]&next=/');
    });
  });
});
