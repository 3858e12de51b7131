import { expect } from 'chai';
import { PRUNE_EXPIRED_SESSIONS, pruneExpiredSessions } from '../jobs/prune-expired-sessions.js';
import { createScheduler, jobContextOf, type Scheduler } from '../src/scheduler.js';
import { makeUser } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';

// Agenda keeps a liveness timer of lockLifetime / 2 alive after every job run; a short lock keeps
// that from holding the test process open for minutes after the last test.
const OPTIONS = { processEvery: 100, lockLifetimeMs: 2000 };

describe('background jobs (Agenda on PostgreSQL)', () => {
  let t: TestContext;
  let scheduler: Scheduler;

  before(async () => {
    t = await createTestContext();
    scheduler = createScheduler(jobContextOf(t.deps), OPTIONS);
    await scheduler.start();
  });
  after(async () => {
    await scheduler.stop(2000);
    await t.close();
  });

  it('schedules the recurring jobs once, in the agenda_jobs table', async () => {
    // A second worker process starting up must not duplicate the schedule.
    const second = createScheduler(jobContextOf(t.deps), OPTIONS);
    await second.start();
    await second.stop(1000);
    const rows = await t.db('agenda_jobs').where({ name: PRUNE_EXPIRED_SESSIONS });
    expect(rows).to.have.length(1);
    expect(rows[0].repeat_interval).to.equal('1 hour');
  });

  it('two workers created at the same instant on a new database both start (the table comes from a migration)', async () => {
    const fresh = await createTestContext();
    try {
      expect(await fresh.db.schema.hasTable('agenda_jobs')).to.equal(true); // before any Agenda ran
      const pair = [createScheduler(jobContextOf(fresh.deps), OPTIONS), createScheduler(jobContextOf(fresh.deps), OPTIONS)];
      const started = Promise.all(pair.map((s) => s.start()));
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('a scheduler never started')), 10_000));
      await Promise.race([started, timeout]);
      await Promise.all(pair.map((s) => s.stop(1000)));
      expect(await fresh.db('agenda_jobs').where({ name: PRUNE_EXPIRED_SESSIONS })).to.have.length(1);
    } finally {
      await fresh.close();
    }
  });

  it('prune-expired-sessions deletes only sessions whose expiry has passed', async () => {
    const now = t.clock.now().getTime();
    await t.db('session').insert([
      { sid: 'expired-1', sess: JSON.stringify({ cookie: {} }), expire: new Date(now - 60_000) },
      { sid: 'expired-2', sess: JSON.stringify({ cookie: {} }), expire: new Date(now - 86_400_000) },
      { sid: 'alive-1', sess: JSON.stringify({ cookie: {} }), expire: new Date(now + 3_600_000) },
    ]);
    // The recurring instance of the same job may also complete meanwhile; wait for ours by id.
    const finished = new Map<string, Error | null>();
    scheduler.agenda.on(`complete:${PRUNE_EXPIRED_SESSIONS}`, (job: { attrs: { _id?: unknown; failReason?: string } }) => {
      finished.set(String(job.attrs._id), job.attrs.failReason ? new Error(job.attrs.failReason) : null);
    });
    const job = await scheduler.agenda.now(PRUNE_EXPIRED_SESSIONS);
    const id = String(job.attrs._id);
    const deadline = Date.now() + 10_000;
    while (!finished.has(id)) {
      if (Date.now() > deadline) throw new Error('job did not run within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(finished.get(id)).to.equal(null);
    const left = (await t.db('session').whereIn('sid', ['expired-1', 'expired-2', 'alive-1']).pluck('sid')) as string[];
    expect(left).to.deep.equal(['alive-1']);
  });

  it('prune-expired-sessions also drops tokens expired over a day ago and spent rate-limit counters', async () => {
    const now = t.clock.now().getTime();
    const user = await makeUser(t.db);
    const token = (hash: string, expires: number) => ({ user_id: user.id, purpose: 'reset_password', token_hash: hash.padEnd(64, '0'), expires_at: new Date(expires) });
    await t.db('user_tokens').insert([token('old', now - 2 * 86_400_000), token('recent', now - 3_600_000), token('live', now + 3_600_000)]);
    await t.db('rate_limits').insert([
      { key: 'prune-test:spent', points: 3, expire: now - 1 },
      { key: 'prune-test:live', points: 3, expire: now + 60_000 },
    ]);
    await pruneExpiredSessions(jobContextOf(t.deps));
    const hashes = (await t.db('user_tokens').where({ user_id: user.id }).orderBy('id').pluck('token_hash')) as string[];
    expect(hashes.map((h) => h.replace(/0+$/, ''))).to.deep.equal(['recent', 'live']);
    expect(await t.db('rate_limits').where('key', 'like', 'prune-test:%').pluck('key')).to.deep.equal(['prune-test:live']);
  });
});
