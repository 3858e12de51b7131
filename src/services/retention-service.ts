import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../lib/clock.js';
import { addDays, istDayOf, istDayStart } from '../lib/india-time.js';
import type { Logger } from '../lib/logger.js';
import type { AnalyticsModel } from '../models/analytics.js';
import type { RawEventTable, RetentionModel, RetentionTarget } from '../models/retention.js';
import type { SessionModel } from '../models/sessions.js';
import type { MailService } from './mail-service.js';

const DAY_MS = 86_400_000;

/** How long each log-like table keeps its rows, in days (config: RETENTION_*_DAYS, MAIL_RETENTION_DAYS). */
export interface RetentionDays {
  loginFailures: number;
  loginEvents: number;
  webhookEvents: number;
  /** cart_events and product_views, and only for India days the dashboards have rolled up. */
  rawEvents: number;
  alerts: number;
  mail: number;
}

export interface RetentionSettings {
  days: RetentionDays;
  /** India time of the nightly pass. */
  at: { hour: number; minute: number };
  /** A pass stops after this long; what is left goes the next night. */
  budgetMs: number;
}

export interface RetentionOptions {
  /** Rows per DELETE statement (its own short transaction). */
  batchSize?: number;
  /** Rest between two batches, so other writers and replication keep up. */
  pauseMs?: number;
  budgetMs?: number;
}

export type RetentionTable = 'session' | 'email_outbox' | RetentionTarget;

export interface RetentionResult {
  /** Rows deleted per table, in the order the pass visited them. */
  deleted: Record<RetentionTable, number>;
  /** False when the time budget ran out before every table was trimmed. */
  complete: boolean;
}

/**
 * Keeps the log-like tables bounded (issue 14, item 8). Each table has a retention period; rows
 * past it go a batch at a time, oldest first, through an index on the cut-off column, with a
 * pause between batches and a time budget per pass, so no statement holds many locks or runs
 * long. Deletes are by cut-off, so a pass that runs twice, or stops half way, only leaves the
 * rest to the next one.
 *
 * Not trimmed: audit_log (the admins' accountability trail: who changed what; kept as long as
 * the store), orders, payments, refunds and entitlements (business records), analytics_daily
 * (small: one row per day and metric). Sessions expire by their own `expire`, so they go at once.
 */
export function createRetentionService(deps: {
  retention: RetentionModel;
  analytics: AnalyticsModel;
  sessions: SessionModel;
  mail: MailService;
  clock: Clock;
  logger: Logger;
  settings: RetentionSettings;
}) {
  const { retention, analytics, sessions, mail, clock, logger, settings } = deps;

  async function run(options: RetentionOptions = {}): Promise<RetentionResult> {
    const batchSize = options.batchSize ?? 5000;
    const pauseMs = options.pauseMs ?? 100;
    const budgetMs = options.budgetMs ?? settings.budgetMs;
    // Real time for the budget (the movable clock of tests does not pass by itself).
    const startedAt = Date.now();
    const outOfTime = () => Date.now() - startedAt >= budgetMs;
    const now = clock.now();
    const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const deleted = {} as Record<RetentionTable, number>;
    let complete = true;

    /** Deletes batches until fewer than a batch is left or the budget runs out. */
    async function drain(target: RetentionTarget, range: { before: Date; from?: Date }): Promise<number> {
      let total = 0;
      for (;;) {
        if (outOfTime()) {
          complete = false;
          return total;
        }
        const n = await retention.deleteBatch(target, range, batchSize);
        total += n;
        if (n < batchSize) return total;
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }

    /**
     * Raw events of India days before the cut-off, one day at a time and only days that are in
     * analytics_rollup_days: the dashboards read closed days from the rollups, so a day that was
     * never rolled up keeps its raw rows (opening a dashboard over it rolls it up).
     */
    async function rawEvents(table: RawEventTable): Promise<number> {
      const lastDay = addDays(istDayOf(ago(settings.days.rawEvents)), -1);
      const oldest = await retention.oldest(table);
      if (!oldest || istDayOf(oldest) > lastDay) return 0;
      const rolled = [...(await analytics.rolledDays(istDayOf(oldest), lastDay))].sort();
      let total = 0;
      for (const day of rolled) {
        if (outOfTime()) {
          complete = false;
          break;
        }
        total += await drain(table, { from: istDayStart(day), before: istDayStart(addDays(day, 1)) });
      }
      return total;
    }

    const steps: [RetentionTable, () => Promise<number>][] = [
      // The same deletes as the hourly prune-expired-sessions and daily prune-sent-mail jobs.
      ['session', () => sessions.deleteExpired(now)],
      ['email_outbox', () => mail.pruneOlderThan(settings.days.mail)],
      ['login_failures', () => drain('login_failures', { before: ago(settings.days.loginFailures) })],
      ['webhook_events', () => drain('webhook_events', { before: ago(settings.days.webhookEvents) })],
      ['alerts', () => drain('alerts', { before: ago(settings.days.alerts) })],
      ['login_events', () => drain('login_events', { before: ago(settings.days.loginEvents) })],
      ['cart_events', () => rawEvents('cart_events')],
      ['product_views', () => rawEvents('product_views')],
    ];
    for (const [table, step] of steps) {
      if (outOfTime()) {
        complete = false;
        deleted[table] = 0;
        continue;
      }
      deleted[table] = await step();
      logger.info({ table, deleted: deleted[table] }, 'retention: old rows deleted');
    }
    const ms = Date.now() - startedAt;
    if (complete) logger.info({ deleted, ms }, 'retention pass finished');
    else logger.warn({ deleted, ms }, 'retention pass stopped at its time budget; the rest goes next night');
    return { deleted, complete };
  }

  return {
    run,

    /**
     * The nightly pass (the retention job asks every few minutes): once the India time of day
     * has passed, the first caller to claim today's row runs it; every other caller, on any
     * worker, returns undefined. A pass missed while no worker ran happens on the next ask.
     */
    async runIfDue(options: RetentionOptions = {}): Promise<RetentionResult | undefined> {
      const now = clock.now();
      const today = istDayOf(now);
      const due = istDayStart(today).getTime() + (settings.at.hour * 60 + settings.at.minute) * 60_000;
      if (now.getTime() < due) return undefined;
      if (!(await retention.claimRun(today, now))) return undefined;
      const result = await run(options);
      await retention.finishRun(today, clock.now(), result.deleted, result.complete);
      return result;
    },

    recentRuns: retention.recentRuns,
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
