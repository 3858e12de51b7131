import type { Request, Response } from 'express';
import { z } from 'zod';
import { idField } from '../../lib/fields.js';
import { parseInput } from '../../lib/validate.js';
import type { BackupRow } from '../../models/backups.js';
import type { BackupService } from '../../services/backup-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const listQuery = z.object({ before: idField('Page').optional() });
const startForm = z.object({ _csrf: z.string().optional() });

/** 1536 → "1.5 KB": sizes as people read them (powers of 1024). */
export function humanBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

const toJson = (b: BackupRow) => ({
  id: b.id,
  key: b.key,
  storage: b.storage,
  trigger: b.trigger,
  status: b.status,
  startedAt: b.started_at,
  finishedAt: b.finished_at,
  sizeBytes: b.size_bytes,
  rows: b.row_count,
  sha256: b.sha256,
  schemaVersion: b.schema_version,
  error: b.error,
  verifiedAt: b.verified_at,
  drillStatus: b.drill_status,
  drilledAt: b.drilled_at,
  drillDetail: b.drill_detail,
  deletedAt: b.deleted_at,
});

/**
 * /admin/backups: the backups newest first, and "Back up now". There is deliberately no download:
 * a backup holds every customer's personal data, so it leaves storage only through `npm run
 * restore` (or the bucket's own access controls), never through a browser.
 */
export function createBackupAdminController(deps: { backups: BackupService }) {
  const { backups } = deps;
  return {
    /** GET /admin/backups */
    async list(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query);
      const result = await backups.list({ before: q.before });
      renderAdmin(res, 'backups/list', { title: 'Backups', crumbs: [{ label: 'Backups' }], result, before: q.before, humanBytes });
    },

    /** GET /api/admin/backups */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query);
      const result = await backups.list({ before: q.before });
      res.json({ items: result.rows.map(toJson), next: result.next ?? null, running: result.running, storage: result.storage });
    },

    /** POST /admin/backups: starts one in the background and answers at once (409 while one runs). */
    async start(req: Request, res: Response) {
      parseInput(startForm, req.body ?? {});
      const { backup } = await backups.start('manual', actorOf(req));
      done(req, res, { redirect: '/admin/backups', message: 'Backup started. It runs in the background; reload this page to see it finish.', json: { backup: toJson(backup) }, status: 202 });
    },
  };
}
