import { Router } from 'express';
import { createBackupAdminController } from '../../controllers/admin/backups.js';
import type { Deps } from '../../deps.js';

export function backupAdminRoutes(deps: Deps): Router {
  const c = createBackupAdminController({ backups: deps.services.backups });
  const r = Router();
  r.get('/admin/backups', c.list);
  r.post('/admin/backups', c.start);
  r.get('/api/admin/backups', c.apiList);
  r.post('/api/admin/backups', c.start);
  return r;
}
