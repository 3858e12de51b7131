import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

/**
 * The log-like tables the retention pass trims, each with the rows that may go and the index
 * that finds them oldest first (checked with EXPLAIN in test/retention.test.ts). Fixed SQL: no
 * name or condition here ever comes from input.
 */
const TARGETS = {
  // login_failures_created_at_cover_idx
  login_failures: { where: 'created_at < :before', order: 'created_at' },
  // login_events_created_at_cover_idx
  login_events: { where: 'created_at < :before', order: 'created_at' },
  // webhook_events_processed_idx (partial): unprocessed and failed events are never touched.
  webhook_events: { where: 'processed_at IS NOT NULL AND processed_at < :before', order: 'processed_at' },
  // alerts_dispatched_idx (partial): delivered (sent, or logged with no channel); pending and
  // failed alerts stay. Their alert_deliveries rows go with them (ON DELETE CASCADE).
  alerts: { where: "status IN ('sent', 'logged') AND sent_at < :before", order: 'sent_at' },
  // cart_events_created_at_index / product_views_created_idx, one rolled-up India day at a time.
  cart_events: { where: 'created_at >= :from AND created_at < :before', order: 'created_at' },
  product_views: { where: 'created_at >= :from AND created_at < :before', order: 'created_at' },
} as const;

export type RetentionTarget = keyof typeof TARGETS;
export type RawEventTable = 'cart_events' | 'product_views';

export interface RetentionRunRow {
  day: string;
  started_at: Date;
  finished_at: Date | null;
  deleted: Record<string, number> | null;
  complete: boolean | null;
}

/** The SQL a batch runs (exported for the EXPLAIN test). */
export function batchSql(target: RetentionTarget): string {
  const t = TARGETS[target];
  return `DELETE FROM ${target} WHERE id IN (SELECT id FROM ${target} WHERE ${t.where} ORDER BY ${t.order} LIMIT :limit)`;
}

export function createRetentionModel(db: Db) {
  return {
    /**
     * Deletes up to `limit` of the oldest deletable rows, in one statement (its own short
     * transaction, locking only those rows); returns how many went.
     */
    async deleteBatch(target: RetentionTarget, range: { before: Date; from?: Date }, limit: number, trx: Handle = db): Promise<number> {
      const res = await trx.raw(batchSql(target), { before: range.before, from: range.from ?? new Date(0), limit });
      return (res as { rowCount: number }).rowCount;
    },

    /** When the oldest raw event was recorded (the first entry of the created_at index). */
    async oldest(table: RawEventTable, trx: Handle = db): Promise<Date | undefined> {
      const row = (await trx(table).min('created_at as at').first()) as { at: Date | null } | undefined;
      return row?.at ?? undefined;
    },

    /** Claims a night's pass; true for the one caller that inserted the row. */
    async claimRun(day: string, at: Date, trx: Handle = db): Promise<boolean> {
      const rows = (await trx('retention_runs').insert({ day, started_at: at }).onConflict('day').ignore().returning('day')) as unknown[];
      return rows.length === 1;
    },

    async finishRun(day: string, at: Date, deleted: Record<string, number>, complete: boolean, trx: Handle = db): Promise<void> {
      await trx('retention_runs').where({ day }).update({ finished_at: at, deleted: JSON.stringify(deleted), complete });
    },

    /** The latest passes, newest first. */
    async recentRuns(limit = 30, trx: Handle = db): Promise<RetentionRunRow[]> {
      return (await trx('retention_runs')
        .orderBy('day', 'desc')
        .limit(Math.min(limit, 400))
        .select(trx.raw("to_char(day, 'YYYY-MM-DD') AS day"), 'started_at', 'finished_at', 'deleted', 'complete')) as RetentionRunRow[];
    },
  };
}

export type RetentionModel = ReturnType<typeof createRetentionModel>;
