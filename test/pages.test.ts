import { expect } from 'chai';
import { csrf, makeUser, apiLogin } from './support/accounts.js';
import { mailTo, useAppWithMailbox } from './support/mailbox.js';

/** Contact form and policy pages (issue 9, item 10): what Razorpay asks a merchant to publish. */
describe('contact and policy pages', () => {
  const env = useAppWithMailbox({ SUPPORT_EMAIL: 'help@pixelbazaar.test' });
  const formToken = async (agent: ReturnType<typeof env.t.agent>) => /name="_csrf" value="([^"]+)"/.exec((await agent.get('/contact').expect(200)).text)![1]!;
  afterEach(async () => {
    await env.t.db('rate_limits').where('key', 'like', 'contact_ip%').delete();
  });

  it('links every policy and the contact page from the footer, and serves each', async () => {
    const home = (await env.t.agent().get('/').expect(200)).text;
    for (const path of ['/contact', '/policies/refunds', '/policies/delivery', '/policies/terms', '/policies/privacy']) {
      expect(home).to.include(`href="${path}"`);
    }
    const refunds = await env.t.agent().get('/policies/refunds').expect(200);
    expect(refunds.text).to.include('<h1>Refunds and cancellations</h1>').and.include('5–7 working days');
    expect((await env.t.agent().get('/policies/privacy').expect(200)).text).to.include('We do not sell your data');
    await env.t.agent().get('/policies/constructor').expect(404);
    await env.t.agent().get('/policies/..%2Fcontact').expect(404);
  });

  it('a message is stored and mailed to the support address once', async () => {
    const agent = env.t.agent();
    const token = await formToken(agent);
    const res = await agent
      .post('/contact')
      .type('form')
      .send({ _csrf: token, name: 'Ravi Kumar', email: 'ravi@example.test', topic: 'refund', orderId: '#42', message: 'My download stopped halfway.\nCan I get a refund?', website: '' })
      .expect(303);
    expect(res.headers.location).to.equal('/contact?sent=1');
    expect((await agent.get('/contact?sent=1').expect(200)).text).to.include('data-contact-sent');
    const rows = await env.t.db('contact_messages').where({ email: 'ravi@example.test' });
    expect(rows.map((r: Record<string, unknown>) => [r.name, r.topic, r.order_id, r.message, r.status])).to.deep.equal([['Ravi Kumar', 'refund', 42, 'My download stopped halfway.\nCan I get a refund?', 'new']]);
    const mail = await env.mailbox.waitFor(mailTo('help@pixelbazaar.test'));
    expect(mail.subject).to.equal(`[Pixel Bazaar support] A refund (message #${rows[0].id})`);
    expect(mail.text).to.include('Ravi Kumar (ravi@example.test)').and.include('order #42').and.include('My download stopped halfway.');
  });

  it('bad input comes back beside each field with what was typed, and stores nothing', async () => {
    const agent = env.t.agent();
    const token = await formToken(agent);
    const res = await agent.post('/contact').type('form').send({ _csrf: token, name: '', email: 'not-an-email', topic: 'lottery', orderId: '99999999999', message: 'hi <b>' }).expect(400);
    expect(res.text).to.include('Enter your name.').and.include('Enter a valid email address').and.include('Choose what your message is about.').and.include('at least 10 characters');
    expect(res.text).to.include('value="not-an-email"').and.include('hi &lt;b&gt;');
    expect(res.text).not.to.include('hi <b>');
    expect(await env.t.db('contact_messages').where({ email: 'not-an-email' })).to.have.length(0);
  });

  it('a bot that fills the honeypot is thanked, and nothing is stored or sent', async () => {
    const agent = env.t.agent();
    const token = await formToken(agent);
    const before = env.mailbox.messages.length;
    await agent.post('/contact').type('form').send({ _csrf: token, name: 'Best SEO', email: 'seo@spam.test', topic: 'other', message: 'Cheap backlinks for your site!!!', website: 'https://spam.test' }).expect(303);
    expect(await env.t.db('contact_messages').where({ email: 'seo@spam.test' })).to.have.length(0);
    expect(await env.t.db('email_outbox').where('subject', 'like', '%support%').andWhere('text', 'like', '%seo@spam.test%')).to.have.length(0);
    expect(env.mailbox.messages.length).to.equal(before);
  });

  it('needs the CSRF token and is throttled to 5 messages an hour per network', async () => {
    await env.t.agent().post('/contact').type('form').send({ name: 'A', email: 'a@example.test', topic: 'other', message: 'no token here at all' }).expect(403);
    const agent = env.t.agent();
    const token = await formToken(agent);
    const send = (i: number) => agent.post('/contact').type('form').send({ _csrf: token, name: 'Asha', email: `asha${i}@example.test`, topic: 'other', message: `Question number ${i} for you` });
    for (let i = 0; i < 5; i++) await send(i).expect(303);
    const sixth = await send(5).expect(429);
    expect(sixth.headers['retry-after']).to.match(/^\d+$/);
    expect(sixth.text).to.include('several messages');
    expect(await env.t.db('contact_messages').where('email', 'like', 'asha%@example.test')).to.have.length(5);
  });

  it('fills in the name and email of a signed-in shopper and records who wrote', async () => {
    const user = await makeUser(env.t.db, { name: 'Lakshmi Menon' });
    const agent = env.t.agent();
    expect((await apiLogin(agent, user.email, user.password)).status).to.equal(200);
    const page = (await agent.get('/contact?topic=order&order=7').expect(200)).text;
    expect(page).to.include('value="Lakshmi Menon"').and.include(`value="${user.email}"`).and.include('<option value="order" selected>');
    await agent.post('/contact').type('form').send({ _csrf: await csrf(agent), name: 'Lakshmi Menon', email: user.email, topic: 'order', orderId: '7', message: 'Where is my invoice please?' }).expect(303);
    expect(await env.t.db('contact_messages').where({ user_id: user.id }).pluck('order_id')).to.deep.equal([7]);
  });
});
