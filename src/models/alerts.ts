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
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
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
  };
}

export type AlertModel = ReturnType<typeof createAlertModel>;
