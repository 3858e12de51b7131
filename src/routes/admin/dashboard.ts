import { Router } from 'express';
import { createDashboardController } from '../../controllers/admin/dashboard.js';
import type { Deps } from '../../deps.js';

export function dashboardRoutes(deps: Deps): Router {
  const c = createDashboardController({ analytics: deps.services.analytics, clock: deps.clock });
  const r = Router();
  r.get('/admin', c.dashboard);
  r.get('/admin/overview.csv', c.csv);
  r.get('/api/admin/analytics/overview', c.overviewApi);
  r.get('/admin/analytics/purchases', c.purchases);
  r.get('/api/admin/analytics/purchases', c.purchasesApi);
  return r;
}
