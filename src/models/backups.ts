import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type BackupStatus = 'running' | 'done' | 'failed' | 'deleted';

export interface BackupRow {
  id: number;
  slot: string;
  trigger: 'scheduled' | 'manual' | 'cli';
  status: BackupStatus;
  storage: 's3' | 'local';
  key: string;
  started_at: Date;
  finished_at: Date | null;
  size_bytes: number | null;
  sha256: string | null;
  row_count: number | null;
  table_counts: Record<string, number> | null;
  schema_version: string | null;
  error: string | null;
  requested_by: number | null;
  verified_at: Date | null;
  drill_status: 'passed' | 'failed' | null;
  drilled_at: Date | null;
  drill_detail: string | null;
  deleted_at: Date | null;
}

export type NewBackup = Pick<BackupRow, 'slot' | 'trigger' | 'storage' | 'key' | 'started_at'> & { requested_by?: number | null };

/** The backups table: one row per backup, claimed by its slot. */
export function createBackupModel(db: Db) {
  return {
    /**
     * Claims a slot: the new row, or undefined when the slot is taken or another backup is running
     * (both unique indexes answer in this one statement, so two workers cannot both win).
     */
    async claim(b: NewBackup, trx: Handle = db): Promise<BackupRow | undefined> {
      const res = await trx.raw(
        `INSERT INTO backups (slot, trigger, storage, key, started_at, requested_by, status)
         VALUES (?, ?, ?, ?, ?, ?, 'running') ON CONFLICT DO NOTHING RETURNING *`,
        [b.slot, b.trigger, b.storage, b.key, b.started_at, b.requested_by ?? null],
      );
      return (res.rows as BackupRow[])[0];
    },

    async find(id: number, trx: Handle = db): Promise<BackupRow | undefined> {
      return (await trx('backups').where({ id }).first()) as BackupRow | undefined;
    },

    async findByKey(key: string, trx: Handle = db): Promise<BackupRow | undefined> {
      return (await trx('backups').where({ key }).first()) as BackupRow | undefined;
    },

    async running(trx: Handle = db): Promise<BackupRow | undefined> {
      return (await trx('backups').where({ status: 'running' }).first()) as BackupRow | undefined;
    },

    async update(id: number, patch: Partial<Omit<BackupRow, 'id'>>, trx: Handle = db): Promise<void> {
      const row: Record<string, unknown> = { ...patch };
      if (patch.table_counts) row.table_counts = JSON.stringify(patch.table_counts);
      await trx('backups').where({ id }).update(row);
    },

    /** A running backup started before `before` died with its process: it is marked failed. */
    async failStale(before: Date, at: Date, trx: Handle = db): Promise<number> {
      return trx('backups').where({ status: 'running' }).andWhere('started_at', '<', before).update({ status: 'failed', finished_at: at, error: 'interrupted (its process stopped before it finished)' });
    },

    /** Newest first, keyset-paged by (started_at, id). */
    async page(opts: { limit: number; before?: { at: Date; id: number } }, trx: Handle = db): Promise<BackupRow[]> {
      const q = trx('backups').orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(opts.limit);
      if (opts.before) q.whereRaw('(started_at, id) < (?, ?)', [opts.before.at, opts.before.id]);
      return (await q) as BackupRow[];
    },

    /** Every finished backup still in storage (retention looks at these; a few hundred at most). */
    async done(trx: Handle = db): Promise<BackupRow[]> {
      return (await trx('backups').where({ status: 'done' }).orderBy('started_at', 'desc')) as BackupRow[];
    },

    async newestDone(trx: Handle = db): Promise<BackupRow | undefined> {
      return (await trx('backups').where({ status: 'done' }).orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first()) as BackupRow | undefined;
    },

    async lastDrilledAt(trx: Handle = db): Promise<Date | undefined> {
      const row = (await trx('backups').max({ at: 'drilled_at' }).first()) as { at: Date | null } | undefined;
      return row?.at ?? undefined;
    },
  };
}

export type BackupModel = ReturnType<typeof createBackupModel>;
