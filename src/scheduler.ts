import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import type pg from 'pg';
import { jobDefinitions } from '../jobs/index.js';
import type { JobContext, JobDefinition } from '../jobs/types.js';
import type { Deps } from './deps.js';
import { alertForJobFailure } from './services/alert-reports.js';

/** The job context from the app's dependencies (what server.ts, worker.ts and tests pass). */
export function jobContextOf(deps: Deps): JobContext & { pool: pg.Pool } {
  return {
    db: deps.db,
    pool: deps.pool,
    clock: deps.clock,
    logger: deps.logger,
    mail: deps.mail,
    checkout: deps.services.checkout,
    orders: deps.models.orders,
    retention: { mailDays: deps.config.mailRetentionDays },
    gateway: deps.services.gateway,
    analytics: deps.services.analytics,
    recommendations: deps.services.recommendations,
    cartReminders: deps.services.cartReminders,
    retentionService: deps.services.retention,
    alerts: deps.services.alerts,
    alertDelivery: deps.services.alertDelivery,
    newsletterIssues: deps.services.newsletterIssues,
    backups: deps.services.backups,
    adminDigest: deps.services.adminDigest,
  };
}

export interface Scheduler {
  agenda: Agenda;
  /** Starts processing and makes sure each recurring job is scheduled once. */
  start(): Promise<void>;
  /** Lets running jobs finish (up to timeoutMs), then stops. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Agenda on the store's own PostgreSQL (table agenda_jobs), so jobs are backed up, locked and
 * shared with the orders they act on. Several workers may run: a job is locked by one at a time,
 * and a job whose worker died is picked up again once its lock expires.
 */
export function createScheduler(
  ctx: JobContext & { pool: pg.Pool },
  opts: { processEvery?: string | number; lockLifetimeMs?: number; definitions?: JobDefinition[] } = {},
): Scheduler {
  const definitions = opts.definitions ?? jobDefinitions;
  // The table comes from a migration (20261201001700_job_table): an Agenda creating it as it
  // starts races with a second worker starting at the same moment, and then never becomes ready.
  const backend = new PostgresBackend({ pool: ctx.pool, tableName: 'agenda_jobs', ensureSchema: false });
  const agenda = new Agenda({
    backend,
    processEvery: opts.processEvery ?? '30 seconds',
    // A job whose worker died is retried once its lock is this old.
    defaultLockLifetime: opts.lockLifetimeMs ?? 10 * 60_000,
  });
  // The LISTEN/NOTIFY connection reconnects by itself after a database restart or failover; an
  // 'error' event with no listener would end the process instead.
  backend.notificationChannel?.on('error', (err: Error) => ctx.logger.warn({ err }, 'job notifications interrupted; reconnecting'));
  agenda.on('error', (err: Error) => ctx.logger.warn({ err }, 'job scheduler error (database unavailable?)'));
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => {
    ctx.logger.error({ err, job: job.attrs.name }, 'job failed');
    ctx.alerts?.raiseQuietly(alertForJobFailure(err, job.attrs.name));
  });
  for (const def of definitions) def.define(agenda, ctx);

  return {
    agenda,
    async start() {
      await agenda.start();
      for (const def of definitions) {
        if (def.every) await agenda.every(def.every, def.name);
      }
    },
    async stop(timeoutMs = 10_000) {
      await agenda.drain(timeoutMs);
    },
  };
}
