import { Router } from 'express';
import { createAlertAdminController } from '../../controllers/admin/alerts.js';
import type { Deps } from '../../deps.js';

export function alertAdminRoutes(deps: Deps): Router {
  const c = createAlertAdminController({ delivery: deps.services.alertDelivery });
  const r = Router();
  r.get('/admin/alerts', c.list);
  r.post('/admin/alerts/test', c.sendTest);

  r.get('/api/admin/alerts', c.apiList);
  r.post('/api/admin/alerts/test', c.sendTest);
  return r;
}
