import { expect } from 'chai';
import { PRUNE_EXPIRED_SESSIONS } from '../jobs/prune-expired-sessions.js';
import { createScheduler, jobContextOf, type Scheduler } from '../src/scheduler.js';
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
});
