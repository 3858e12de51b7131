import { expect } from 'chai';
import type supertest from 'supertest';
import { apiLogin, makeUser, uniqueEmail } from './support/accounts.js';
import type { TestContext } from './support/context.js';
import { createDb } from '../src/db/knex.js';
import * as migration from '../migrations/20261201000400_product_requests.js';
import { createTestDatabase, dropTestDatabase } from './support/database.js';
import { makeCategory, makeProduct } from './support/factories.js';
import { mailTo, useAppWithMailbox, type Mailbox } from './support/mailbox.js';

type Agent = ReturnType<typeof supertest.agent>;
type User = Awaited<ReturnType<typeof makeUser>>;

/** Product requests (issue items 6 and 7): the board, votes, throttles, and the admin's triage with its emails. */
describe('product requests (items 6 and 7)', function () {
  this.timeout(60_000);
  const env = useAppWithMailbox();
  let t: TestContext;
  let mailbox: Mailbox;
  let admin: Agent;
  let adminToken: string;

  before(async () => {
    ({ t, mailbox } = env);
    const boss = await makeUser(t.db, { role: 'admin', email: uniqueEmail('boss') });
    admin = t.agent();
    adminToken = (await apiLogin(admin, boss.email, boss.password)).body.csrfToken as string;
  });

  /** A verified shopper signed in on their own browser, with the CSRF token of that session. */
  async function shopper(name = 'Asha Rao'): Promise<{ user: User; agent: Agent; token: string }> {
    const user = await makeUser(t.db, { name, email: uniqueEmail('req') });
    const agent = t.agent();
    const res = await apiLogin(agent, user.email, user.password);
    expect(res.status).to.equal(200);
    return { user, agent, token: res.body.csrfToken as string };
  }
  const json = (agent: Agent, token: string, path: string, body: object) => agent.post(path).set('X-CSRF-Token', token).set('Accept', 'application/json').send(body);
  const ask = (s: { agent: Agent; token: string }, body: object) => json(s.agent, s.token, '/requests', body);
  const vote = (s: { agent: Agent; token: string }, id: number, body: object = {}) => json(s.agent, s.token, `/requests/${id}/vote`, body);
  const adminPost = (path: string, body: object) => admin.post(`/api/admin/requests${path}`).set('X-CSRF-Token', adminToken).send(body);
  const row = (id: number) => t.db('product_requests').where({ id }).first();
  const voteRows = (id: number) => t.db('product_request_votes').where({ request_id: id });
  /** A request straight in the database (the throttle allows 5 an hour per account through the form). */
  async function seed(over: Record<string, unknown> = {}): Promise<number> {
    const user = (over.user_id as number | undefined) ?? (await makeUser(t.db)).id;
    const [r] = await t.db('product_requests').insert({ title: 'Seeded request', details: '', vote_count: 0, created_at: t.clock.now(), ...over, user_id: user }).returning('id');
    return (r as { id: number }).id;
  }
  const statusMails = (title: string) => mailbox.messages.filter((m) => m.subject?.includes(`“${title}”`) && /Now available|An answer to/.test(m.subject ?? ''));
  /** Waits until every queued email has left the outbox, so a count of received mail is final. */
  async function outboxDrained() {
    const deadline = Date.now() + 8000;
    for (;;) {
      const pending = await t.db('email_outbox').whereIn('status', ['pending', 'sending']).count({ n: '*' });
      if (Number(pending[0]!.n) === 0) return;
      if (Date.now() > deadline) throw new Error('outbox never drained');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  describe('asking (item 6)', () => {
    it('a signed-in shopper asks through the form: the request is stored with their vote, and shown on its page', async () => {
      const s = await shopper('Kavya Menon');
      const category = await makeCategory(t.db, { name: 'Fonts' });
      const form = await s.agent.get('/requests/new').expect(200);
      expect(form.text).to.include('name="title"').and.include('name="details"').and.include('name="categoryId"').and.include('name="maxPrice"').and.include('name="_csrf"');
      const res = await s.agent.post('/requests').type('form').send({ _csrf: s.token, title: 'Tamil calligraphy font', details: 'Bold, for posters.\nWith ligatures.', categoryId: String(category.id), maxPrice: '1,499' }).expect(303);
      const id = Number(/^\/requests\/(\d+)$/.exec(res.headers.location as string)![1]);
      const stored = await row(id);
      expect(stored).to.include({ user_id: s.user.id, title: 'Tamil calligraphy font', details: 'Bold, for posters.\nWith ligatures.', category_id: category.id, max_price_paise: 149_900, status: 'new', vote_count: 1 });
      expect((await voteRows(id)).map((v) => v.user_id)).to.deep.equal([s.user.id]);
      const page = await s.agent.get(`/requests/${id}`).expect(200);
      expect(page.text).to.include('Tamil calligraphy font').and.include('Fonts').and.include('data-status="new"').and.include('aria-pressed="true"').and.include('₹1,499');
      // The price they would pay is theirs and the store's only.
      const guestPage = await t.agent().get(`/requests/${id}`).expect(200);
      expect(guestPage.text).not.to.include('₹1,499');
      expect(guestPage.text).to.include('Sign in</a> to vote');
    });

    it('guests are sent to sign in to ask or vote; the board and request pages are public', async () => {
      const guest = t.agent();
      const form = await guest.get('/requests/new').expect(303);
      expect(form.headers.location).to.equal(`/login?next=${encodeURIComponent('/requests/new')}`);
      const id = await seed({ title: 'Guest visible request' });
      const board = await guest.get('/requests').expect(200);
      expect(board.text).to.include('Guest visible request').and.include('Sign in to request a product').and.include('to vote and to ask for products');
      expect(board.text).not.to.include('data-vote-form');
      // A guest reading the board is given no session row.
      expect(board.headers['set-cookie']).to.equal(undefined);
      await guest.get(`/requests/${id}`).expect(200);
      const api = await guest.post(`/requests/${id}/vote`).set('Accept', 'application/json').send({});
      expect(api.status).to.be.oneOf([401, 403]);
      expect(await voteRows(id)).to.have.length(0);
    });

    it('over-long or missing fields answer 400 with a message per field, and nothing is stored', async () => {
      const s = await shopper();
      const before = await t.db('product_requests').count({ n: '*' });
      const res = await ask(s, { title: 'x'.repeat(121), details: 'd'.repeat(2001), categoryId: 'fonts', maxPrice: 'lots' }).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
      expect(res.body.error.fields).to.deep.equal({
        title: 'The title can be at most 120 characters.',
        details: 'The details can be at most 2000 characters.',
        categoryId: 'Category must be a whole number.',
        maxPrice: 'Enter an amount in rupees, like 499 or 1,499.',
      });
      expect((await ask(s, { title: 'ab' }).expect(400)).body.error.fields).to.have.keys('title');
      expect((await ask(s, { title: 'Fine title', categoryId: 999_999 }).expect(400)).body.error.fields).to.deep.equal({ categoryId: 'Choose one of the categories.' });
      expect((await ask(s, { title: 'Control\u0000chars' }).expect(400)).body.error.fields).to.have.keys('title');
      // The form comes back with the messages beside the fields and what was typed.
      const page = await s.agent.post('/requests').type('form').send({ _csrf: s.token, title: 'y'.repeat(130), details: 'Keep this text' }).expect(400);
      expect(page.text).to.include('The title can be at most 120 characters.').and.include('Keep this text').and.include('aria-invalid="true"');
      expect(await t.db('product_requests').count({ n: '*' })).to.deep.equal(before);
    });

    it('throttles new requests: the sixth within an hour answers 429 with Retry-After, as JSON and as the form', async () => {
      const s = await shopper();
      for (let i = 1; i <= 5; i++) await ask(s, { title: `Throttle test ${i}` }).expect(201);
      const refused = await ask(s, { title: 'Throttle test 6' }).expect(429);
      expect(refused.body.error.code).to.equal('TOO_MANY_REQUESTS');
      expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
      const page = await s.agent.post('/requests').type('form').send({ _csrf: s.token, title: 'Throttle test 7' }).expect(429);
      expect(page.text).to.include('asked for several products').and.include('Throttle test 7');
      expect(await t.db('product_requests').where({ user_id: s.user.id })).to.have.length(5);
      // Another account is not affected.
      await ask(await shopper(), { title: 'Someone else asks' }).expect(201);
    });
  });

  describe('the board (item 6)', () => {
    it('sorts by votes or newest over keyset pages, searches titles, and marks what the viewer voted for', async () => {
      const tag = `zq${Date.now().toString(36)}`;
      const ids: number[] = [];
      // 25 requests: votes 0..24 with the newest having the fewest votes.
      for (let i = 0; i < 25; i++) {
        ids.push(await seed({ title: `Board ${tag} item ${i}`, vote_count: 24 - i, created_at: new Date(t.clock.now().getTime() + i * 60_000) }));
      }
      const s = await shopper();
      await t.db('product_request_votes').insert({ request_id: ids[3], user_id: s.user.id });

      const byVotes = await s.agent.get('/requests').query({ q: tag }).set('Accept', 'application/json').expect(200);
      expect(byVotes.body.items.map((i: { id: number }) => i.id)).to.deep.equal(ids.slice(0, 20));
      expect(byVotes.body.items.find((i: { id: number }) => i.id === ids[3]).voted).to.equal(true);
      expect(byVotes.body.items.filter((i: { voted: boolean }) => i.voted)).to.have.length(1);
      const page2 = await s.agent.get('/requests').query({ q: tag, after: byVotes.body.next }).set('Accept', 'application/json').expect(200);
      expect(page2.body.items.map((i: { id: number }) => i.id)).to.deep.equal(ids.slice(20));
      expect(page2.body.next).to.equal(null);

      const newest = await s.agent.get('/requests').query({ q: tag, sort: 'newest' }).set('Accept', 'application/json').expect(200);
      expect(newest.body.items.map((i: { id: number }) => i.id)).to.deep.equal([...ids].reverse().slice(0, 20));
      const newest2 = await s.agent.get('/requests').query({ q: tag, sort: 'newest', after: newest.body.next }).set('Accept', 'application/json').expect(200);
      expect(newest2.body.items.map((i: { id: number }) => i.id)).to.deep.equal([...ids].reverse().slice(20));

      // Search matches any part of a title, any case; % is a character, not a wildcard.
      const one = await t.agent().get('/requests').query({ q: `${tag.toUpperCase()} ITEM 17` }).set('Accept', 'application/json').expect(200);
      expect(one.body.items.map((i: { id: number }) => i.id)).to.deep.equal([ids[17]]);
      expect((await t.agent().get('/requests').query({ q: `${tag}%` }).set('Accept', 'application/json').expect(200)).body.items).to.deep.equal([]);

      // The page: a card per request, the next-page link, and the vote buttons' state.
      const html = await s.agent.get('/requests').query({ q: tag }).expect(200);
      expect(html.text).to.include(`id="request-${ids[0]}"`).and.include('data-next-page').and.include('aria-pressed="true"');
      expect(html.text.indexOf(`id="request-${ids[0]}"`)).to.be.lessThan(html.text.indexOf(`id="request-${ids[1]}"`));
      const empty = await t.agent().get('/requests').query({ q: `${tag}-nothing` }).expect(200);
      expect(empty.text).to.include('data-requests-empty').and.include('No request matches');

      await t.agent().get('/requests').query({ sort: 'rating' }).expect(400);
      await t.agent().get('/requests').query({ after: 'drop table' }).expect(400);
      await t.agent().get('/requests').query({ q: 'q'.repeat(101) }).expect(400);
    });

    it('hidden requests vanish from the board, their page and votes; showing them again brings them back (audited)', async () => {
      const tag = `hid${Date.now().toString(36)}`;
      const id = await seed({ title: `Spam ${tag} buy cheap followers` });
      const keep = await seed({ title: `Real ${tag} request` });
      const s = await shopper();
      await admin.post(`/admin/requests/${id}/hide`).type('form').send({ _csrf: adminToken }).expect(303);
      expect((await row(id)).hidden_at).to.be.instanceOf(Date);
      const board = await t.agent().get('/requests').query({ q: tag }).set('Accept', 'application/json').expect(200);
      expect(board.body.items.map((i: { id: number }) => i.id)).to.deep.equal([keep]);
      const html = await t.agent().get('/requests').query({ q: tag }).expect(200);
      expect(html.text).not.to.include('buy cheap followers');
      await t.agent().get(`/requests/${id}`).expect(404);
      await vote(s, id).expect(404);
      expect(await voteRows(id)).to.have.length(0);
      // The admin still finds it under "Hidden".
      const hiddenList = await admin.get('/api/admin/requests').query({ visibility: 'hidden', q: tag }).expect(200);
      expect(hiddenList.body.items.map((i: { id: number }) => i.id)).to.deep.equal([id]);

      await adminPost(`/${id}/unhide`, {}).expect(200);
      const back = await t.agent().get('/requests').query({ q: tag }).set('Accept', 'application/json').expect(200);
      expect(back.body.items.map((i: { id: number }) => i.id)).to.have.members([id, keep]);
      const audit = await t.db('audit_log').where({ entity_type: 'product_request', entity_id: id }).orderBy('id');
      expect(audit.map((a) => a.action)).to.deep.equal(['product-request.hide', 'product-request.unhide']);
    });
  });

  describe('votes (item 6)', () => {
    it('one vote per account: on, again on (no change), off, toggle; the count follows the rows', async () => {
      const asker = await shopper();
      const id = (await ask(asker, { title: 'Vote test request' }).expect(201)).body.request.id as number;
      const s = await shopper();
      expect((await vote(s, id, { on: true }).expect(200)).body).to.deep.equal({ requestId: id, voted: true, votes: 2 });
      expect((await vote(s, id, { on: true }).expect(200)).body).to.deep.equal({ requestId: id, voted: true, votes: 2 });
      expect((await vote(s, id, { on: false }).expect(200)).body).to.deep.equal({ requestId: id, voted: false, votes: 1 });
      expect((await vote(s, id).expect(200)).body).to.deep.equal({ requestId: id, voted: true, votes: 2 });
      expect((await vote(s, id).expect(200)).body).to.deep.equal({ requestId: id, voted: false, votes: 1 });
      expect((await row(id)).vote_count).to.equal(1);
      // The form posts and comes back to the page it was on.
      const res = await s.agent.post(`/requests/${id}/vote`).type('form').send({ _csrf: s.token, on: '1', back: '/requests?sort=newest' }).expect(303);
      expect(res.headers.location).to.equal(`/requests?sort=newest#request-${id}`);
      const offsite = await s.agent.post(`/requests/${id}/vote`).type('form').send({ _csrf: s.token, on: '1', back: '//evil.example/requests' }).expect(303);
      expect(offsite.headers.location).to.equal(`/requests/${id}#request-${id}`);
      expect((await row(id)).vote_count).to.equal(2);
      await vote(s, id, { on: 'maybe' }).expect(400);
      await vote(s, 99_999_999).expect(404);
      // A vote needs the CSRF token.
      await s.agent.post(`/requests/${id}/vote`).set('Accept', 'application/json').send({ on: false }).expect(403);
      expect((await row(id)).vote_count).to.equal(2);
    });

    it('10 parallel toggles by one user leave a count equal to the vote rows; 10 parallel "on" leave exactly one vote', async () => {
      const id = await seed({ title: 'Concurrency request' });
      const s = await shopper();
      const toggles = await Promise.all(Array.from({ length: 10 }, () => vote(s, id)));
      expect(toggles.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
      const rows = await voteRows(id);
      expect((await row(id)).vote_count).to.equal(rows.length);
      // An even number of flips from "not voted" ends "not voted", whatever the order.
      expect(rows).to.have.length(0);
      // Each answer saw a state the one before it left: the counts they report alternate 1, 0, 1, …
      expect(toggles.map((r) => r.body.votes).sort()).to.deep.equal([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);

      const ons = await Promise.all(Array.from({ length: 10 }, () => vote(s, id, { on: true })));
      expect(ons.every((r) => r.status === 200 && r.body.voted === true && r.body.votes === 1)).to.equal(true);
      expect(await voteRows(id)).to.have.length(1);
      expect((await row(id)).vote_count).to.equal(1);

      // Many users at once: each counts once.
      const crowd = await Promise.all(Array.from({ length: 6 }, () => shopper()));
      await Promise.all(crowd.flatMap((c) => [vote(c, id, { on: true }), vote(c, id, { on: true })]));
      expect((await row(id)).vote_count).to.equal(7);
      expect(await voteRows(id)).to.have.length(7);
    });

    it('closed requests take no more votes (409)', async () => {
      const id = await seed({ title: 'Closed request', status: 'declined' });
      const s = await shopper();
      const res = await vote(s, id, { on: true }).expect(409);
      expect(res.body.error.code).to.equal('REQUEST_CLOSED');
      expect(await voteRows(id)).to.have.length(0);
      const page = await s.agent.get(`/requests/${id}`).expect(200);
      expect(page.text).not.to.include('data-vote-form');
      expect(page.text).to.include('data-status="declined"');
    });
  });

  describe('the admin (item 7)', () => {
    it('is for admins only', async () => {
      const s = await shopper();
      await s.agent.get('/api/admin/requests').expect(403);
      expect((await s.agent.get('/admin/requests')).status).to.equal(303);
      await t.agent().get('/api/admin/requests').expect(401);
    });

    it('lists with status, votes and requester, filters by status, searches, sorts by votes', async () => {
      const tag = `adm${Date.now().toString(36)}`;
      const a = await seed({ title: `Admin ${tag} one`, status: 'planned', vote_count: 3 });
      const b = await seed({ title: `Admin ${tag} two`, status: 'new', vote_count: 9, max_price_paise: 49_900 });
      const votes = await admin.get('/api/admin/requests').query({ q: tag, sort: 'votes' }).expect(200);
      expect(votes.body.items.map((i: { id: number }) => i.id)).to.deep.equal([b, a]);
      expect(votes.body.items[0]).to.include({ status: 'new', votes: 9, maxPricePaise: 49_900, hidden: false });
      const planned = await admin.get('/api/admin/requests').query({ q: tag, status: 'planned' }).expect(200);
      expect(planned.body.items.map((i: { id: number }) => i.id)).to.deep.equal([a]);
      await admin.get('/api/admin/requests').query({ status: 'open' }).expect(400);
      const page = await admin.get('/admin/requests').query({ q: tag }).expect(200);
      expect(page.text).to.include(`data-request-id="${a}"`).and.include('Planned').and.include('₹499').and.include('href="/admin/requests"');
      const detail = await admin.get(`/admin/requests/${b}`).expect(200);
      expect(detail.text).to.include(`Admin ${tag} two`).and.include('name="status"').and.include('name="reply"').and.include('Hide as spam').and.include('Merge into request number');
      await admin.get('/admin/requests/99999999').expect(404);
    });

    it('merges a duplicate: votes add up, a user who voted on both counts once, the duplicate leads to the other (audited)', async () => {
      const [p, q, both, onlyA] = await Promise.all([shopper(), shopper(), shopper(), shopper()]);
      const target = (await ask(p, { title: 'Marathi e-book of poems' }).expect(201)).body.request.id as number;
      const dup = (await ask(q, { title: 'Marathi poetry ebook' }).expect(201)).body.request.id as number;
      await vote(both, target, { on: true }).expect(200);
      await vote(both, dup, { on: true }).expect(200);
      await vote(onlyA, dup, { on: true }).expect(200);
      // target: p, both (2); dup: q, both, onlyA (3). Together: p, q, both, onlyA = 4.
      const confirm = await admin.get(`/admin/requests/${dup}/merge`).query({ into: String(target) }).expect(200);
      expect(confirm.text).to.include('Marathi poetry ebook').and.include('Marathi e-book of poems').and.include(`action="/admin/requests/${dup}/merge"`);
      const res = await admin.post(`/admin/requests/${dup}/merge`).type('form').send({ _csrf: adminToken, into: String(target) }).expect(303);
      expect(res.headers.location).to.equal(`/admin/requests/${target}`);
      expect((await row(target)).vote_count).to.equal(4);
      expect((await voteRows(target)).map((v) => v.user_id).sort()).to.deep.equal([p.user.id, q.user.id, both.user.id, onlyA.user.id].sort());
      expect(await row(dup)).to.include({ merged_into_id: target, vote_count: 0 });
      expect(await voteRows(dup)).to.have.length(0);
      // The duplicate's page leads to the other; its votes go there too.
      const moved = await t.agent().get(`/requests/${dup}`).expect(301);
      expect(moved.headers.location).to.equal(`/requests/${target}`);
      const late = await shopper();
      expect((await vote(late, dup, { on: true }).expect(200)).body).to.deep.equal({ requestId: target, voted: true, votes: 5 });
      // Off the board, found by the admin under "Merged".
      const board = await t.agent().get('/requests').query({ q: 'Marathi' }).set('Accept', 'application/json').expect(200);
      expect(board.body.items.map((i: { id: number }) => i.id)).to.deep.equal([target]);
      const audit = await t.db('audit_log').where({ entity_type: 'product_request' }).whereIn('entity_id', [dup, target]).orderBy('id');
      expect(audit.map((a) => a.action)).to.deep.equal(['product-request.merge', 'product-request.merged-in']);
      expect(audit[0].summary).to.include('2 of 3 votes carried over');
      // Refused: into itself, into a missing one, twice, or into a merged one.
      expect((await adminPost(`/${target}/merge`, { into: target }).expect(400)).body.error.fields).to.have.keys('into');
      expect((await adminPost(`/${target}/merge`, { into: 99_999_999 }).expect(400)).body.error.fields).to.have.keys('into');
      await adminPost(`/${dup}/merge`, { into: target }).expect(409);
      expect((await adminPost(`/${target}/merge`, { into: dup }).expect(400)).body.error.fields.into).to.include('merged into');
      const form = await admin.post(`/admin/requests/${target}/merge`).type('form').send({ _csrf: adminToken, into: 'abc' }).expect(400);
      expect(form.text).to.include('data-field-error="into"');
      expect((await row(target)).vote_count).to.equal(5);
    });

    it('done, linked to a product: the requester and each voter get one email, even when saved twice or at once; the page shows the product', async () => {
      const [asker, v1, v2] = await Promise.all([shopper('Meera Pillai'), shopper('Vikram Das'), shopper('Nisha Kapoor')]);
      const title = `Kolam pattern pack ${Date.now().toString(36)}`;
      const id = (await ask(asker, { title }).expect(201)).body.request.id as number;
      await vote(v1, id, { on: true }).expect(200);
      await vote(v2, id, { on: true }).expect(200);
      // v2 changes their mind: no email for them.
      await vote(v2, id, { on: false }).expect(200);
      // Someone who asked for a duplicate hears too.
      const dupAsker = await shopper('Ravi Iyer');
      const dup = (await ask(dupAsker, { title: `${title} duplicate` }).expect(201)).body.request.id as number;
      await adminPost(`/${dup}/merge`, { into: id }).expect(200);
      const product = await makeProduct(t.db, { title: 'Kolam Patterns Vol. 1', slug: `kolam-${Date.now().toString(36)}` });

      // Planned first: no email.
      await adminPost(`/${id}`, { status: 'planned', product: '', reply: '' }).expect(200);
      // Done twice at the same moment, and once more afterwards.
      const saves = await Promise.all([1, 2].map(() => adminPost(`/${id}`, { status: 'done', product: `/products/${product.slug}`, reply: '' })));
      expect(saves.map((r) => r.status)).to.deep.equal([200, 200]);
      expect(saves.map((r) => r.body.emailsQueued).sort()).to.deep.equal([0, 3]);
      const again = await admin.post(`/admin/requests/${id}`).type('form').send({ _csrf: adminToken, status: 'done', product: String(product.id), reply: '' }).expect(303);
      expect(again.headers.location).to.equal(`/admin/requests/${id}`);

      const mail = await mailbox.waitFor((m) => mailTo(asker.user.email)(m) && (m.subject ?? '').includes(title));
      expect(mail.subject).to.equal(`Now available: “${title}”`);
      expect(mail.text).to.include('you asked for').and.include(`http://store.test/products/${product.slug}`).and.include(`http://store.test/requests/${id}`);
      await mailbox.waitFor(mailTo(v1.user.email));
      await mailbox.waitFor(mailTo(dupAsker.user.email));
      await outboxDrained();
      const got = statusMails(title).flatMap((m) => (Array.isArray(m.to) ? m.to : [m.to!]).flatMap((a) => a.value.map((v) => v.address)));
      expect(got.sort()).to.deep.equal([asker.user.email, v1.user.email, dupAsker.user.email].sort());
      expect(mailbox.to(v1.user.email).find((m) => (m.subject ?? '').includes(title))!.text).to.include('you voted for');
      expect(mailbox.to(v2.user.email)).to.have.length(0);
      expect(await t.db('product_request_notifications').where({ request_id: id })).to.have.length(3);

      const stored = await row(id);
      expect(stored).to.include({ status: 'done', product_id: product.id });
      const page = await t.agent().get(`/requests/${id}`).expect(200);
      expect(page.text).to.include('data-linked-product').and.include('Kolam Patterns Vol. 1').and.include(`href="/products/${product.slug}"`).and.include('data-status="done"');
      const audit = await t.db('audit_log').where({ entity_type: 'product_request', entity_id: id }).orderBy('id');
      expect(audit.map((a) => a.action)).to.deep.equal(['product-request.merged-in', 'product-request.status', 'product-request.status', 'product-request.product']);
      expect(audit[2].changes).to.deep.equal({ status: ['planned', 'done'] });
      // An unknown product is a field error, and changes nothing.
      expect((await adminPost(`/${id}`, { status: 'done', product: 'no-such-product', reply: '' }).expect(400)).body.error.fields).to.deep.equal({ product: 'No product has that number or address.' });
      expect((await adminPost(`/${id}`, { status: 'shipped', product: '', reply: '' }).expect(400)).body.error.fields).to.have.keys('status');
      expect((await adminPost(`/${id}`, { status: 'done', product: '', reply: 'r'.repeat(2001) }).expect(400)).body.error.fields).to.deep.equal({ reply: 'The reply can be at most 2000 characters.' });
      expect((await row(id)).product_id).to.equal(product.id);
    });

    it('declined with a reply: one email each, the reply in it; a later reply on an open request mails the requester (audited)', async () => {
      const [asker, voter] = await Promise.all([shopper('Farah Khan'), shopper('Joseph Mathew')]);
      const title = `Urdu nastaliq font ${Date.now().toString(36)}`;
      const id = (await ask(asker, { title }).expect(201)).body.request.id as number;
      await vote(voter, id, { on: true }).expect(200);

      // A reply while it is open: the requester hears, the voter does not.
      await adminPost(`/${id}`, { status: 'in_progress', product: '', reply: 'A creator is sketching it now.' }).expect(200);
      const replyMail = await mailbox.waitFor((m) => mailTo(asker.user.email)(m) && (m.subject ?? '') === `A reply to your request “${title}”`);
      expect(replyMail.text).to.include('A creator is sketching it now.').and.include('In progress');
      const page = await t.agent().get(`/requests/${id}`).expect(200);
      expect(page.text).to.include('data-admin-reply').and.include('A creator is sketching it now.');

      await adminPost(`/${id}`, { status: 'declined', product: '', reply: 'The licence costs were too high, sorry.' }).expect(200);
      await adminPost(`/${id}`, { status: 'declined', product: '', reply: 'The licence costs were too high, sorry.' }).expect(200);
      const declined = await mailbox.waitFor((m) => mailTo(voter.user.email)(m) && (m.subject ?? '').includes(title));
      expect(declined.subject).to.equal(`An answer to the request “${title}”`);
      expect(declined.text).to.include('decided not to make it').and.include('The licence costs were too high, sorry.');
      await outboxDrained();
      expect(statusMails(title)).to.have.length(2);
      // The requester got the reply mail and the one outcome mail, not a third.
      expect(mailbox.to(asker.user.email).filter((m) => (m.subject ?? '').includes(title))).to.have.length(2);
      const audit = await t.db('audit_log').where({ entity_type: 'product_request', entity_id: id }).orderBy('id');
      expect(audit.map((a) => a.action)).to.deep.equal(['product-request.status', 'product-request.reply', 'product-request.status', 'product-request.reply']);
    });
  });

  it('the migration rolls back and applies again on a migrated database', async () => {
    const url = await createTestDatabase();
    const db = createDb({ url, poolMax: 2 });
    try {
      await migration.down(db);
      for (const table of ['product_requests', 'product_request_votes', 'product_request_notifications']) expect(await db.schema.hasTable(table), table).to.equal(false);
      await migration.up(db);
      const indexes = await db('pg_indexes').where({ tablename: 'product_requests' }).pluck('indexname');
      expect(indexes).to.include.members(['product_requests_board_votes_idx', 'product_requests_board_newest_idx', 'product_requests_title_trgm_idx']);
    } finally {
      await db.destroy();
      await dropTestDatabase(url);
    }
  });
});
