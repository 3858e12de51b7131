import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type supertest from 'supertest';
import { apiLogin, makeUser } from './accounts.js';
import { createTestContext, type TestContext } from './context.js';
import { freePort } from './database.js';
import { makeCategory, makeProduct } from './factories.js';
import { startMailbox, type Mailbox } from './mailbox.js';
import { startRazorpayEmulator, TEST_KEYS } from './razorpay.js';

type Agent = ReturnType<typeof supertest.agent>;

export interface Shopper {
  user: Awaited<ReturnType<typeof makeUser>>;
  agent: Agent;
  csrf: string;
}

/**
 * The store on a real port with a mailbox and the Razorpay emulator (whose webhooks reach the
 * store), and two products: what every checkout, webhook and refund test starts from.
 */
export async function startCheckoutWorld() {
  const mailbox: Mailbox = await startMailbox();
  const port = await freePort();
  const rzp = await startRazorpayEmulator({ webhookUrl: `http://127.0.0.1:${port}/api/webhooks/razorpay` });
  const t: TestContext = await createTestContext({
    SMTP_URL: mailbox.url,
    RAZORPAY_KEY_ID: TEST_KEYS.keyId,
    RAZORPAY_KEY_SECRET: TEST_KEYS.keySecret,
    RAZORPAY_WEBHOOK_SECRET: TEST_KEYS.webhookSecret,
    RAZORPAY_API_BASE: rzp.apiBase,
  });
  const server: Server = t.app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const cat = await makeCategory(t.db);
  const products = [
    await makeProduct(t.db, { category_id: cat.id, title: 'Pitch Deck', price_paise: 129_900, discount_percent: 25 }),
    await makeProduct(t.db, { category_id: cat.id, title: 'Resume Kit', price_paise: 24_900 }),
  ];

  /** A signed-in shopper with both products (or the given ones) in the cart. */
  async function shopperWithCart(productIds = products.map((p) => p.id)): Promise<Shopper> {
    const user = await makeUser(t.db);
    const agent = t.agent();
    const csrf = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
    for (const productId of productIds) await agent.post('/api/cart/add').set('X-CSRF-Token', csrf).send({ productId }).expect(200);
    return { user, agent, csrf };
  }

  /** A webhook signed with the store's webhook secret, as Razorpay sends it. */
  function signedWebhook(event: string, entities: Record<string, unknown>, eventId = `evt_${Math.random().toString(36).slice(2, 16)}`) {
    const payload: Record<string, { entity: unknown }> = {};
    for (const [k, v] of Object.entries(entities)) payload[k] = { entity: v };
    return signedBody(JSON.stringify({ entity: 'event', account_id: 'acc_test', event, contains: Object.keys(entities), payload, created_at: 1 }), eventId);
  }

  function signedBody(body: string, eventId?: string) {
    const signature = createHmac('sha256', TEST_KEYS.webhookSecret).update(body).digest('hex');
    return (agent = t.agent()) => {
      const req = agent.post('/api/webhooks/razorpay').set('Content-Type', 'application/json').set('X-Razorpay-Signature', signature);
      if (eventId) req.set('X-Razorpay-Event-Id', eventId);
      return req.send(body);
    };
  }

  return {
    t,
    mailbox,
    rzp,
    products,
    shopperWithCart,
    signedWebhook,
    signedBody,
    createOrder: (s: Shopper) => s.agent.post('/api/orders/create').set('X-CSRF-Token', s.csrf).send({}),
    verify: (s: Shopper, response: unknown) => s.agent.post('/api/payments/verify').set('X-CSRF-Token', s.csrf).send(response as object),
    orderRow: (id: number) => t.db('orders').where({ id }).first(),
    confirmations: (userEmail: string) => t.db('email_outbox').where({ to_address: userEmail, template: 'order-confirmation' }),
    alerts: (kind: string) => t.db('alerts').where({ kind }).orderBy('id'),
    async close() {
      await new Promise((r) => server.close(r));
      await t.close();
      await rzp.close();
      await mailbox.close();
    },
  };
}

export type CheckoutWorld = Awaited<ReturnType<typeof startCheckoutWorld>>;
