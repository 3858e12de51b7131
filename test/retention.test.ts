import { expect } from 'chai';
import { jobDefinitions } from '../jobs/index.js';
import { RETENTION, retentionJob } from '../jobs/retention.js';
import { addDays, istDayOf, istDayStart } from '../src/lib/india-time.js';
import { batchSql, type RetentionTarget } from '../src/models/retention.js';
import { createDeps } from '../src/deps.js';
import { createScheduler, jobContextOf, type Scheduler } from '../src/scheduler.js';
import { createRetentionService } from '../src/services/retention-service.js';
import { makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { makeProduct } from './support/factories.js';

/** The nightly trim of log-like tables (issue 14, item 8). */

const DAY = 86_400_000;
const MIN = 60_000;
// 2026-11-24 15:30 in India: after the 03:30 pass time.
const NOON = new Date('2026-11-24T10:00:00Z');

const TABLES = ['session', 'email_outbox', 'login_failures', 'login_events', 'webhook_events', 'alerts', 'cart_events', 'product_views', 'audit_log', 'analytics_rollup_days', 'retention_runs'];

describe('retention: the nightly trim of log-like tables', function () {
  this.timeout(30_000);
  let t: TestContext;
  let userId: number;
  let productId: number;
  let n = 0;

  before(async () => {
    t = await createTestContext();
    userId = (await makeUser(t.db)).id;
    productId = (await makeProduct(t.db)).id;
  });
  after(() => t.close());
  beforeEach(async () => {
    t.clock.set(NOON);
    for (const table of TABLES) await t.db(table).delete();
  });

  const ago = (ms: number) => new Date(t.clock.now().getTime() - ms);
  const tag = () => `r${++n}`;

  // Each helper inserts one row and returns a way to tell it apart.
  const failure = async (at: Date) => (await t.db('login_failures').insert({ email: `${tag()}@example.test`, ip: '203.0.113.9', reason: 'bad_password', created_at: at }).returning('id'))[0].id as number;
  const signIn = async (at: Date) => (await t.db('login_events').insert({ user_id: userId, ip: '203.0.113.9', method: 'password', created_at: at }).returning('id'))[0].id as number;
  const webhook = async (received: Date, processed: Date | null, error: string | null = null) => {
    const id = tag();
    await t.db('webhook_events').insert({ event_id: id, event: 'payment.captured', payload: JSON.stringify({ id }), received_at: received, processed_at: processed, error });
    return id;
  };
  const alert = async (status: string, seen: Date, sent: Date | null) => {
    const fingerprint = tag();
    await t.db('alerts').insert({ kind: 'test', fingerprint, title: 'Test alert', first_seen_at: seen, last_seen_at: seen, status, sent_at: sent });
    return fingerprint;
  };
  const mail = async (status: string, created: Date, sent: Date | null) =>
    (await t.db('email_outbox').insert({ to_address: `${tag()}@example.test`, subject: 's', html: '', text: '', template: 'test', status, created_at: created, sent_at: sent }).returning('id'))[0].id as number;
  const cartEvent = async (at: Date) => (await t.db('cart_events').insert({ user_id: userId, product_id: productId, action: 'add', quantity: 1, created_at: at }).returning('id'))[0].id as number;
  const view = async (at: Date) => (await t.db('product_views').insert({ product_id: productId, user_id: userId, created_at: at }).returning('id'))[0].id as number;
  const count = async (table: string) => Number(((await t.db(table).count({ n: '*' }).first()) as { n: string | number }).n);
  const rolledUp = (day: string) => t.db('analytics_rollup_days').insert({ day, rolled_at: t.clock.now() });
  const ids = async (table: string, column = 'id') => ((await t.db(table).orderBy(column).pluck(column)) as (number | string)[]).map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));

  it('keeps exactly the rows inside each retention period, never unprocessed webhooks, pending alerts or the audit log', async () => {
    await t.db('session').insert([
      { sid: 'expired', sess: '{}', expire: ago(MIN) },
      { sid: 'live', sess: '{}', expire: ago(-3_600_000) },
    ]);
    // email_outbox: MAIL_RETENTION_DAYS (30).
    const oldSent = await mail('sent', ago(40 * DAY), ago(30 * DAY + MIN));
    const newSent = await mail('sent', ago(40 * DAY), ago(30 * DAY - MIN));
    const oldPending = await mail('pending', ago(100 * DAY), null);
    // login_failures: 30 days.
    await failure(ago(30 * DAY + MIN));
    const keptFailure = await failure(ago(30 * DAY - MIN));
    // login_events: 400 days.
    await signIn(ago(400 * DAY + MIN));
    const keptSignIn = await signIn(ago(400 * DAY - MIN));
    // webhook_events: processed ones, 90 days; unprocessed and failed ones whatever their age.
    await webhook(ago(91 * DAY), ago(90 * DAY + MIN));
    const recentWebhook = await webhook(ago(91 * DAY), ago(90 * DAY - MIN));
    const unprocessed = await webhook(ago(700 * DAY), null);
    const failed = await webhook(ago(700 * DAY), null, 'order not found');
    // alerts: delivered (sent or logged) ones, 180 days after delivery.
    await alert('sent', ago(200 * DAY), ago(180 * DAY + MIN));
    await alert('logged', ago(200 * DAY), ago(180 * DAY + MIN));
    const recentAlert = await alert('sent', ago(200 * DAY), ago(180 * DAY - MIN));
    const pendingAlert = await alert('pending', ago(700 * DAY), null);
    const failedAlert = await alert('failed', ago(700 * DAY), null);
    // audit_log: never.
    await t.db('audit_log').insert({ actor_email: 'admin@example.test', action: 'product.update', entity_type: 'product', summary: 'ancient', created_at: ago(3650 * DAY) });

    // Raw shopper events: whole India days before (today − 400), and only days rolled up.
    const cutDay = istDayOf(ago(400 * DAY)); // 2025-10-20: kept, as is every later day
    const rolledOld = addDays(cutDay, -1);
    const notRolledOld = addDays(cutDay, -5);
    await rolledUp(rolledOld);
    await rolledUp(cutDay);
    const gone1 = await cartEvent(istDayStart(rolledOld));
    const gone2 = await cartEvent(new Date(istDayStart(cutDay).getTime() - 1));
    const keptUnrolled = await cartEvent(new Date(istDayStart(notRolledOld).getTime() + 3_600_000));
    const keptCutDay = await cartEvent(istDayStart(cutDay)); // over 400 × 24 h old, but on the cut-off day
    const keptRecent = await cartEvent(ago(DAY));
    const goneView = await view(new Date(istDayStart(rolledOld).getTime() + 12 * 3_600_000));
    const keptView = await view(new Date(istDayStart(notRolledOld).getTime() + 12 * 3_600_000));

    const result = await t.deps.services.retention.run({ pauseMs: 0 });

    expect(result.complete).to.equal(true);
    expect(result.deleted).to.deep.equal({ session: 1, email_outbox: 1, login_failures: 1, webhook_events: 1, alerts: 2, login_events: 1, cart_events: 2, product_views: 1 });
    expect(await ids('session', 'sid')).to.deep.equal(['live']);
    expect(await ids('email_outbox')).to.deep.equal([newSent, oldPending]);
    expect(oldSent).to.be.below(newSent);
    expect(await ids('login_failures')).to.deep.equal([keptFailure]);
    expect(await ids('login_events')).to.deep.equal([keptSignIn]);
    expect((await ids('webhook_events', 'event_id')).sort()).to.deep.equal([recentWebhook, unprocessed, failed].sort());
    expect((await ids('alerts', 'fingerprint')).sort()).to.deep.equal([recentAlert, pendingAlert, failedAlert].sort());
    expect(await t.db('audit_log').pluck('summary')).to.deep.equal(['ancient']);
    expect(await ids('cart_events')).to.deep.equal([keptUnrolled, keptCutDay, keptRecent]);
    expect([gone1, gone2]).to.not.include.members(await ids('cart_events'));
    expect(await ids('product_views')).to.deep.equal([keptView]);
    expect(goneView).to.be.below(keptView);

    // A second pass finds nothing more: deletes are by cut-off, so running twice is harmless.
    const again = await t.deps.services.retention.run({ pauseMs: 0 });
    expect(Object.values(again.deleted).every((v) => v === 0)).to.equal(true);
  });

  it('raw events of an old day the dashboards never rolled up survive, and go once it is rolled up', async () => {
    const day = addDays(istDayOf(t.clock.now()), -600);
    const id = await view(new Date(istDayStart(day).getTime() + 3_600_000));
    await t.deps.services.retention.run({ pauseMs: 0 });
    expect(await ids('product_views')).to.deep.equal([id]);

    // What a dashboard does when asked for a range holding that day.
    await t.deps.services.analytics.rollup(day);
    const result = await t.deps.services.retention.run({ pauseMs: 0 });
    expect(result.deleted.product_views).to.equal(1);
    expect(await ids('product_views')).to.deep.equal([]);
  });

  it('deletes in batches of batchSize, one statement each, across more rows than one batch', async () => {
    for (let i = 0; i < 23; i++) await failure(ago(40 * DAY + i * MIN));
    const kept = [await failure(ago(DAY)), await failure(ago(2 * DAY))];
    const day = addDays(istDayOf(t.clock.now()), -500);
    await rolledUp(day);
    for (let i = 0; i < 12; i++) await cartEvent(new Date(istDayStart(day).getTime() + i * MIN));

    const calls: { target: RetentionTarget; limit: number; n: number }[] = [];
    const model = t.deps.models.retention;
    const counted = {
      ...model,
      async deleteBatch(target: RetentionTarget, range: { before: Date; from?: Date }, limit: number) {
        const got = await model.deleteBatch(target, range, limit);
        calls.push({ target, limit, n: got });
        return got;
      },
    };
    const service = createRetentionService({ ...t.deps.models, retention: counted, mail: t.deps.mail, clock: t.clock, logger: t.deps.logger, settings: settingsOf(t) });
    const result = await service.run({ batchSize: 5, pauseMs: 1 });

    expect(result.deleted.login_failures).to.equal(23);
    expect(result.deleted.cart_events).to.equal(12);
    expect(calls.filter((c) => c.target === 'login_failures').map((c) => c.n)).to.deep.equal([5, 5, 5, 5, 3]);
    expect(calls.filter((c) => c.target === 'cart_events').map((c) => c.n)).to.deep.equal([5, 5, 2]);
    expect(calls.every((c) => c.limit === 5)).to.equal(true);
    expect(await ids('login_failures')).to.deep.equal(kept.sort((a, b) => a - b));
    expect(await count('cart_events')).to.equal(0);
  });

  it('stops at its time budget and leaves the rest to the next pass', async () => {
    for (let i = 0; i < 12; i++) await failure(ago(40 * DAY + i * MIN));
    const stopped = await t.deps.services.retention.run({ budgetMs: 0 });
    expect(stopped.complete).to.equal(false);
    expect(Object.values(stopped.deleted).every((v) => v === 0)).to.equal(true);
    expect(await ids('login_failures')).to.have.length(12);

    const partial = await t.deps.services.retention.run({ batchSize: 5, pauseMs: 400, budgetMs: 300 });
    expect(partial.complete).to.equal(false);
    expect(partial.deleted.login_failures).to.be.below(12);

    const rest = await t.deps.services.retention.run({ pauseMs: 0 });
    expect(rest.complete).to.equal(true);
    expect(partial.deleted.login_failures + rest.deleted.login_failures).to.equal(12);
    expect(await ids('login_failures')).to.deep.equal([]);
  });

  it('finds the rows of every batch through an index on the cut-off column', async () => {
    const targets: [RetentionTarget, string][] = [
      ['login_failures', 'login_failures_created_at_cover_idx'],
      ['login_events', 'login_events_created_at_cover_idx'],
      ['webhook_events', 'webhook_events_processed_idx'],
      ['alerts', 'alerts_dispatched_idx'],
      ['cart_events', 'cart_events_created_at_index'],
      ['product_views', 'product_views_created_idx'],
    ];
    await t.db.transaction(async (trx) => {
      // Empty tables: without this the planner would rightly scan them whole.
      await trx.raw('SET LOCAL enable_seqscan = off');
      for (const [target, index] of targets) {
        const plan = JSON.stringify((await trx.raw(`EXPLAIN (FORMAT JSON) ${batchSql(target)}`, { before: NOON, from: new Date(0), limit: 5000 })).rows);
        expect(plan, target).to.include(`"Index Name":"${index}"`);
        expect(plan, target).to.not.include('Seq Scan');
      }
      // The existing mail prune (email-outbox pruneBefore): sent by sent_at, given-up by created_at.
      for (const where of ["status = 'sent' AND sent_at < now()", "status = 'failed' AND created_at < now()"]) {
        const plan = JSON.stringify((await trx.raw(`EXPLAIN (FORMAT JSON) DELETE FROM email_outbox WHERE id IN (SELECT id FROM email_outbox WHERE ${where} LIMIT 1000)`)).rows);
        expect(plan, where).to.not.include('Seq Scan');
      }
      const sessions = JSON.stringify((await trx.raw(`EXPLAIN (FORMAT JSON) DELETE FROM session WHERE expire < now()`)).rows);
      expect(sessions).to.include('session_expire_idx');
    });
  });

  it('runs the nightly pass once per India day, after RETENTION_AT (03:30), whoever asks', async () => {
    const service = t.deps.services.retention;
    t.clock.set(new Date('2026-11-23T21:59:00Z')); // 03:29 on 24 Nov in India
    await failure(ago(40 * DAY));
    expect(await service.runIfDue({ pauseMs: 0 })).to.equal(undefined);
    expect(await ids('login_failures')).to.have.length(1);
    expect(await count('retention_runs')).to.equal(0);

    t.clock.set(new Date('2026-11-23T22:00:00Z')); // 03:30
    // Two workers asking at the same moment: one runs the pass, the other is told it is done.
    const [a, b] = await Promise.all([service.runIfDue({ pauseMs: 0 }), service.runIfDue({ pauseMs: 0 })]);
    expect([a, b].filter(Boolean)).to.have.length(1);
    expect((a ?? b)!.deleted.login_failures).to.equal(1);
    const runs = (await t.db('retention_runs').select(t.db.raw("to_char(day, 'YYYY-MM-DD') AS day"), 'finished_at', 'deleted', 'complete')) as { day: string; finished_at: Date; deleted: Record<string, number>; complete: boolean }[];
    expect(runs).to.have.length(1);
    expect(runs[0]).to.include({ day: '2026-11-24', complete: true });
    expect(runs[0]!.finished_at).to.be.instanceOf(Date);
    expect(runs[0]!.deleted.login_failures).to.equal(1);

    // Later that day: nothing more; the next night: again.
    await failure(ago(40 * DAY));
    t.clock.set(new Date('2026-11-24T12:00:00Z'));
    expect(await service.runIfDue({ pauseMs: 0 })).to.equal(undefined);
    expect(await ids('login_failures')).to.have.length(1);
    t.clock.set(new Date('2026-11-24T22:05:00Z')); // 03:35 on 25 Nov
    expect((await service.runIfDue({ pauseMs: 0 }))?.deleted.login_failures).to.equal(1);
    expect((await service.recentRuns()).map((r) => r.day)).to.deep.equal(['2026-11-25', '2026-11-24']);
  });

  it('is a registered job that runs the pass once through two schedulers on the same database', async function () {
    this.timeout(30_000);
    expect(jobDefinitions).to.include(retentionJob);
    await failure(ago(40 * DAY));
    const kept = await failure(ago(DAY));
    const options = { processEvery: 100, lockLifetimeMs: 2000, definitions: [retentionJob] };
    // A second worker process: its own pools on the same database (and the same movable clock).
    const other = createDeps(t.config, { databaseUrl: t.url, logger: t.deps.logger, clock: t.clock });
    const schedulers: Scheduler[] = [];
    const finished: (string | null)[] = [];
    const waitForRuns = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while (finished.length < count) {
        if (Date.now() > deadline) throw new Error(`the retention job ran ${finished.length} times, not ${count}, within 15 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const join = async (deps: typeof other) => {
        const s = createScheduler(jobContextOf(deps), options);
        s.agenda.on(`complete:${RETENTION}`, (job: { attrs: { failReason?: string } }) => finished.push(job.attrs.failReason ?? null));
        schedulers.push(s);
        await s.start();
      };
      // The first worker runs the recurring job as it starts; then a second worker joins. (Two
      // Agendas created at the same instant on a fresh database race in
      // @agendajs/postgres-backend's schema setup, and the loser never starts.)
      await join(t.deps);
      await waitForRuns(1);
      await join(other);
      // Both workers are asked again, as their next ticks would.
      for (const s of schedulers) await s.agenda.now(RETENTION);
      await waitForRuns(3);
    } finally {
      for (const s of schedulers) await s.stop(2000);
      await other.close();
    }
    expect(finished.every((f) => f === null)).to.equal(true);
    const recurring = await t.db('agenda_jobs').where({ name: RETENTION }).whereNotNull('repeat_interval');
    expect(recurring).to.have.length(1);
    expect(recurring[0].repeat_interval).to.equal('10 minutes');
    expect(await count('retention_runs')).to.equal(1);
    expect(await ids('login_failures')).to.deep.equal([kept]);
  });
});

function settingsOf(t: TestContext) {
  return { ...t.config.retention, days: { ...t.config.retention.days, mail: t.config.mailRetentionDays } };
}
