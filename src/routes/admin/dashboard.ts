import { Router } from 'express';
import { createDashboardController } from '../../controllers/admin/dashboard.js';
import type { Deps } from '../../deps.js';

export function dashboardRoutes(deps: Deps): Router {
  const c = createDashboardController({ analytics: deps.services.analytics, digest: deps.services.adminDigest, digestHour: deps.config.adminDigestHourIst, clock: deps.clock });
  const r = Router();
  r.get('/admin', c.dashboard);
  r.get('/admin/overview.csv', c.csv);
  r.post('/admin/digest', c.setDigest);
  r.get('/api/admin/analytics/overview', c.overviewApi);
  r.get('/admin/analytics/purchases', c.purchases);
  r.get('/api/admin/analytics/purchases', c.purchasesApi);
  r.get('/admin/analytics/purchases.csv', c.purchasesCsv);
  r.get('/admin/analytics/logins', c.logins);
  r.get('/admin/analytics/logins.csv', c.loginsCsv);
  r.get('/api/admin/analytics/logins', c.loginsApi);
  r.get('/admin/analytics/abandonment', c.abandonment);
  r.get('/admin/analytics/abandonment.csv', c.abandonmentCsv);
  r.get('/api/admin/analytics/abandonment', c.abandonmentApi);
  return r;
}
