import { Router } from 'express';
import { createDashboardController } from '../../controllers/admin/dashboard.js';
import type { Deps } from '../../deps.js';

export function dashboardRoutes(deps: Deps): Router {
  const c = createDashboardController({ db: deps.db, clock: deps.clock });
  const r = Router();
  r.get('/admin', c.dashboard);
  r.get('/api/admin/summary', c.summaryApi);
  return r;
}
