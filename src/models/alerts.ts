import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export interface AlertRow {
  id: number;
  kind: string;
  fingerprint: string;
  title: string;
  detail: Record<string, unknown>;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
  status: 'pending' | 'sent' | 'failed' | 'logged';
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
  /** Set when a storm's summary alert carried this one instead of its own message. */
  folded_into: number | null;
}

export interface NewAlert {
  kind: string;
  fingerprint: string;
  title: string;
  detail: Record<string, unknown>;
  at: Date;
}

/** Alerts for the owner, one row per (kind, fingerprint) until it is sent. */
export function createAlertModel(db: Db) {
  return {
    /**
     * Records an occurrence: a new row, or one more on the pending row of the same kind and
     * fingerprint (the partial unique index makes this one race-free statement).
     */
    async record(a: NewAlert, trx: Handle = db): Promise<{ id: number; occurrences: number }> {
      const res = await trx.raw(
        `INSERT INTO alerts (kind, fingerprint, title, detail, first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?::jsonb, ?, ?)
         ON CONFLICT (kind, fingerprint) WHERE status = 'pending'
         DO UPDATE SET occurrences = alerts.occurrences + 1, last_seen_at = EXCLUDED.last_seen_at, detail = EXCLUDED.detail
         RETURNING id, occurrences`,
        [a.kind, a.fingerprint, a.title, JSON.stringify(a.detail), a.at, a.at],
      );
      return (res.rows as { id: number; occurrences: number }[])[0]!;
    },

    /** Whether this kind and fingerprint was ever raised (for alerts that must be raised once). */
    async exists(kind: string, fingerprint: string, trx: Handle = db): Promise<boolean> {
      return Boolean(await trx('alerts').where({ kind, fingerprint }).first('id'));
    },

    async recent(limit = 50, trx: Handle = db): Promise<AlertRow[]> {
      return (await trx('alerts').orderBy('id', 'desc').limit(Math.min(limit, 200))) as AlertRow[];
    },

    async get(id: number, trx: Handle = db): Promise<AlertRow | undefined> {
      return (await trx('alerts').where({ id }).first()) as AlertRow | undefined;
    },

    /**
     * Locks the pending alerts that are due: those whose kind and fingerprint was not sent within
     * the last `windowMs` (repeats wait, folding into their row, until the window since the last
     * send has passed). SKIP LOCKED lets two workers dispatch at once without taking the same row.
     */
    async lockDue(trx: Knex.Transaction, now: Date, windowMs: number, limit: number): Promise<AlertRow[]> {
      const res = await trx.raw(
        `SELECT a.* FROM alerts a
         WHERE a.status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM alerts s WHERE s.kind = a.kind AND s.fingerprint = a.fingerprint AND s.sent_at IS NOT NULL AND s.sent_at > ?)
         ORDER BY a.id
         LIMIT ?
         FOR UPDATE OF a SKIP LOCKED`,
        [new Date(now.getTime() - windowMs), limit],
      );
      return res.rows as AlertRow[];
    },

    /** Marks alerts dispatched (`sent` to the channels, or `logged` when there are none). */
    async markDispatched(trx: Knex.Transaction, ids: number[], status: 'sent' | 'logged', at: Date, foldedInto: number | null = null): Promise<void> {
      if (!ids.length) return;
      await trx('alerts').whereIn('id', ids).update({ status, sent_at: at, folded_into: foldedInto });
    },

    /** A row that is dispatched as it is written (a storm's summary). */
    async insertDispatched(trx: Knex.Transaction, a: NewAlert & { status: 'sent' | 'logged' }): Promise<AlertRow> {
      const [row] = await trx('alerts')
        .insert({ kind: a.kind, fingerprint: a.fingerprint, title: a.title, detail: JSON.stringify(a.detail), first_seen_at: a.at, last_seen_at: a.at, status: a.status, sent_at: a.at })
        .returning('*');
      return row as AlertRow;
    },
  };
}

export type AlertModel = ReturnType<typeof createAlertModel>;
