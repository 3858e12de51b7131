import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { expect } from 'chai';
import supertest from 'supertest';
import { apiLogin, makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

const SYNC_CALLS = ['existsSync', 'statSync', 'lstatSync', 'readFileSync', 'openSync', 'readdirSync', 'accessSync', 'realpathSync'] as const;

/** Counts synchronous file-system calls made by anything in this process while `fn` runs. */
async function countSyncFs(fn: () => Promise<void>): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  const originals = new Map<string, unknown>();
  const target = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of SYNC_CALLS) {
    const original = target[name]!;
    originals.set(name, original);
    target[name] = function (this: unknown, ...args: unknown[]) {
      seen[`${name}(${String(args[0])})`] = (seen[`${name}(${String(args[0])})`] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
  // Named imports of node:fs (import { readFileSync } …) see the patched functions too.
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    for (const [name, original] of originals) target[name] = original as never;
    syncBuiltinESMExports();
  }
  return seen;
}

describe('no synchronous file-system call on the request path (issue 10, goal 6)', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext();
    // As in production: compiled templates are kept (development re-reads them on purpose).
    t.app.enable('view cache');
  });
  after(() => t.close());

  it('pages, assets and cart calls, guest and signed in, once warm', async () => {
    const p = await makeProduct(t.db, { title: 'Quiet Disk Product' });
    const user = await makeUser(t.db);
    const agent = t.agent();
    const { csrfToken } = (await apiLogin(agent, user.email, user.password)).body as { csrfToken: string };
    const guestPaths = ['/', '/products', '/products?q=quiet', `/products/${p.slug}`, '/cart', '/login', '/signup', '/contact', '/policies/refunds', '/css/site.css', '/js/cart.js', '/no-such-page'];
    const userPaths = ['/', '/products', `/products/${p.slug}`, '/cart', '/account', '/orders', '/downloads'];
    const all = async () => {
      for (const path of guestPaths) await supertest(t.app).get(path);
      for (const path of userPaths) await agent.get(path);
      await agent.post('/api/cart/add').set('X-CSRF-Token', csrfToken).send({ productId: p.id }).expect(200);
      await agent.post('/api/cart/remove').set('X-CSRF-Token', csrfToken).send({ productId: p.id }).expect(200);
    };
    await all(); // first renders compile templates and hash assets, once per process
    const calls = await countSyncFs(all);
    expect(calls).to.deep.equal({});
  });
});
