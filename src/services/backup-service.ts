import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ConflictError } from '../lib/errors.js';
import { createDb, type Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { istDayOf, toIstLocal } from '../lib/india-time.js';
import type { Logger } from '../lib/logger.js';
import type { AuditEntity } from '../models/audit-log.js';
import type { BackupModel, BackupRow } from '../models/backups.js';
import type { AlertService } from './alert-service.js';
import type { Actor, AuditService } from './audit-service.js';
import { dumpDatabase, manifestKeyOf, restoreDatabase, type DbTarget, type RestoreResult } from './backup-dump.js';
import { backupsToKeep } from './backup-retention.js';
import type { BackupStorage } from './backup-storage.js';

/** A running backup older than this died with its process and no longer blocks the next one. */
const STALE_MS = 3 * 60 * 60_000;
/** The restore drill runs when the last one is this old (the job looks every few hours). */
export const DRILL_EVERY_MS = 7 * 24 * 60 * 60_000;
const DRILL_LOCK = 'razorshop:restore-drill';
const PAGE = 30;

export interface DrillResult {
  status: 'passed' | 'failed' | 'skipped';
  backupId?: number;
  detail: string;
}

/**
 * Database backups: made by the app itself (backup-dump.ts) once a day at BACKUP_HOUR_IST (India
 * time), on demand from the admin page or `npm run backup`; pruned grandfather-father-son after
 * each one; trusted once the weekly restore drill has restored one into a scratch database and
 * found every table's row count as its manifest says. Failures raise alerts.
 */
export function createBackupService(deps: {
  db: Db;
  target: DbTarget;
  backups: BackupModel;
  storage: BackupStorage;
  alerts: AlertService;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  settings: { hourIst: string };
}) {
  const { db, backups, storage, alerts, clock, logger } = deps;

  const keyFor = (at: Date) => {
    const s = at.toISOString(); // 2026-12-01T21:00:00.000Z
    return `backups/${s.slice(0, 4)}/${s.slice(5, 7)}/${s.slice(0, 10).replace(/-/g, '')}-${s.slice(11, 19).replace(/:/g, '')}-${randomBytes(4).toString('hex')}.copy.gz`;
  };

  async function claim(slot: string, trigger: BackupRow['trigger'], actor?: Actor): Promise<BackupRow | undefined> {
    const now = clock.now();
    await backups.failStale(new Date(now.getTime() - STALE_MS), now);
    return db.transaction(async (trx) => {
      const row = await backups.claim({ slot, trigger, storage: storage.kind, key: keyFor(now), started_at: now, requested_by: actor?.id ?? null }, trx);
      if (row && actor) await deps.audit.record(trx, actor, { action: 'backup', entity: 'backup' as AuditEntity, id: row.id, summary: `Started a database backup (${row.key})` });
      return row;
    });
  }

  /** Makes the claimed backup; marks it done (or failed, with an alert). Never throws. */
  async function run(row: BackupRow): Promise<BackupRow> {
    const started = Date.now();
    try {
      const m = await dumpDatabase(deps.target, storage, row.key, () => clock.now());
      await backups.update(row.id, {
        status: 'done',
        finished_at: clock.now(),
        size_bytes: m.sizeBytes,
        sha256: m.sha256,
        row_count: m.totalRows,
        table_counts: Object.fromEntries(m.tables.map((t) => [t.name, t.rows])),
        schema_version: m.schemaVersion,
      });
      logger.info({ backup: row.id, key: row.key, bytes: m.sizeBytes, rows: m.totalRows, ms: Date.now() - started }, 'database backup done');
    } catch (err) {
      const message = (err as Error).message || String(err);
      logger.error({ err, backup: row.id }, 'database backup failed');
      await backups.update(row.id, { status: 'failed', finished_at: clock.now(), error: message.slice(0, 2000) }).catch(() => undefined);
      await Promise.allSettled([storage.delete(row.key), storage.delete(manifestKeyOf(row.key))]);
      alerts.raiseQuietly({ kind: 'backup_failed', fingerprint: 'backup', title: 'A database backup failed', detail: { backupId: row.id, key: row.key, error: message.slice(0, 300) } });
    }
    return (await backups.find(row.id))!;
  }

  /** Deletes what the retention no longer keeps from storage and marks it deleted. */
  async function applyRetention(): Promise<number[]> {
    const done = await backups.done();
    const keep = backupsToKeep(
      done.map((b) => b.started_at),
      clock.now(),
    );
    const deleted: number[] = [];
    for (const b of done) {
      if (keep.has(b.started_at.getTime())) continue;
      try {
        await storage.delete(b.key);
        await storage.delete(manifestKeyOf(b.key));
        await backups.update(b.id, { status: 'deleted', deleted_at: clock.now() });
        deleted.push(b.id);
      } catch (err) {
        logger.warn({ err, backup: b.id }, 'could not delete an expired backup; trying again after the next one');
      }
    }
    if (deleted.length) logger.info({ deleted }, 'expired backups deleted');
    return deleted;
  }

  async function drillBackup(backup: BackupRow): Promise<DrillResult> {
    const can = await db.raw<{ rows: { ok: boolean }[] }>('SELECT (rolcreatedb OR rolsuper) AS ok FROM pg_roles WHERE rolname = current_user');
    if (!can.rows[0]?.ok) {
      const detail = 'the database role may not create databases (CREATEDB), so there is nowhere to restore into';
      logger.warn({ backup: backup.id }, `restore drill skipped: ${detail}`);
      await alerts.raise({ kind: 'restore_drill_failed', fingerprint: 'no-createdb', title: 'Restore drill skipped: the database role may not create databases', detail: { backupId: backup.id } });
      return { status: 'skipped', backupId: backup.id, detail };
    }
    const name = `restore_drill_${randomBytes(6).toString('hex')}`;
    const url = new URL(deps.target.url);
    url.pathname = `/${name}`;
    const scratch: DbTarget = { url: url.toString(), ssl: deps.target.ssl };
    let scratchDb: Db | undefined;
    const started = Date.now();
    try {
      await db.raw(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      scratchDb = createDb({ url: scratch.url, poolMax: 2, ssl: deps.target.ssl });
      const result: RestoreResult = await restoreDatabase({ target: scratch, db: scratchDb, storage, key: backup.key });
      const wrong = result.tables.filter((t) => t.rows !== t.expected || t.rows !== backup.table_counts?.[t.name]);
      if (wrong.length) throw new Error(`row counts differ: ${wrong.map((t) => `${t.name} ${t.rows} (expected ${t.expected})`).join(', ')}`);
      const rows = result.tables.reduce((a, t) => a + t.rows, 0);
      const detail = `${result.tables.length} tables, ${rows} rows restored and counted in ${((Date.now() - started) / 1000).toFixed(1)} s`;
      await backups.update(backup.id, { verified_at: clock.now(), drill_status: 'passed', drilled_at: clock.now(), drill_detail: detail });
      logger.info({ backup: backup.id, detail }, 'restore drill passed');
      return { status: 'passed', backupId: backup.id, detail };
    } catch (err) {
      const detail = ((err as Error).message || String(err)).slice(0, 2000);
      logger.error({ err, backup: backup.id }, 'restore drill failed');
      await backups.update(backup.id, { drill_status: 'failed', drilled_at: clock.now(), drill_detail: detail });
      await alerts.raise({ kind: 'restore_drill_failed', fingerprint: `backup:${backup.id}`, title: 'The weekly restore drill failed', detail: { backupId: backup.id, key: backup.key, error: detail.slice(0, 300) } });
      return { status: 'failed', backupId: backup.id, detail };
    } finally {
      await scratchDb?.destroy().catch(() => undefined);
      await db.raw(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).catch((err: unknown) => logger.warn({ err, database: name }, 'could not drop the restore drill database'));
    }
  }

  return {
    /** Where the backups are kept (S3 or BACKUP_DIR). */
    storage,

    /** "Back up now" (admin) and `npm run backup`: refused with 409 while one is running. */
    async start(trigger: 'manual' | 'cli', actor?: Actor): Promise<{ backup: BackupRow; done: Promise<BackupRow> }> {
      const row = await claim(`${trigger}:${clock.now().toISOString()}:${randomBytes(4).toString('hex')}`, trigger, actor);
      if (!row) throw new ConflictError('A backup is already running. Wait for it to finish.', 'BACKUP_RUNNING');
      const done = run(row).then(async (b) => {
        if (b.status === 'done') await applyRetention().catch((err: unknown) => logger.warn({ err }, 'backup retention failed'));
        return b;
      });
      // The admin's "Back up now" does not wait for this: a failure must never be an unhandled rejection.
      done.catch((err: unknown) => logger.error({ err, backup: row.id }, 'backup failed'));
      return { backup: row, done };
    },

    /**
     * The daily backup (the backup-database job, every few minutes): once the India day has
     * reached BACKUP_HOUR_IST, claims that day's slot and backs up. Claiming is one INSERT … ON
     * CONFLICT DO NOTHING on a unique slot, so two workers (or two calls) make one backup.
     */
    async runScheduled(): Promise<BackupRow | undefined> {
      const now = clock.now();
      if (toIstLocal(now).slice(11, 16) < deps.settings.hourIst) return undefined;
      const row = await claim(`daily:${istDayOf(now)}`, 'scheduled');
      if (!row) return undefined;
      const b = await run(row);
      if (b.status === 'done') await applyRetention();
      return b;
    },

    applyRetention,

    /**
     * The weekly restore drill (restore-drill job): when the last drill is a week old, restores the
     * newest backup into a scratch database on the same server (dropped afterwards) and checks it.
     * One worker at a time (a session advisory lock); the others skip.
     */
    async drillIfDue(opts: { force?: boolean } = {}): Promise<DrillResult | undefined> {
      const client = new pg.Client({ connectionString: deps.target.url, ssl: deps.target.ssl ? { rejectUnauthorized: false } : undefined });
      await client.connect();
      client.on('error', () => undefined);
      try {
        const locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [DRILL_LOCK])).rows[0]!.ok;
        if (!locked) return undefined;
        try {
          const last = await backups.lastDrilledAt();
          if (!opts.force && last && clock.now().getTime() - last.getTime() < DRILL_EVERY_MS) return undefined;
          const newest = await backups.newestDone();
          if (!newest) return undefined;
          return await drillBackup(newest);
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [DRILL_LOCK]);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    /** Newest first, PAGE at a time; `before` is the id of the last row shown. */
    async list(opts: { before?: number } = {}): Promise<{ rows: BackupRow[]; next?: number; running: boolean; storage: 's3' | 'local'; hourIst: string }> {
      const anchor = opts.before ? await backups.find(opts.before) : undefined;
      const rows = await backups.page({ limit: PAGE + 1, before: anchor ? { at: anchor.started_at, id: anchor.id } : undefined });
      const more = rows.length > PAGE;
      const shown = rows.slice(0, PAGE);
      return { rows: shown, next: more ? shown.at(-1)!.id : undefined, running: Boolean(await backups.running()), storage: storage.kind, hourIst: deps.settings.hourIst };
    },
  };
}

export type BackupService = ReturnType<typeof createBackupService>;
