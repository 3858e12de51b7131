import { Router } from 'express';
import { createOrderAdminController } from '../../controllers/admin/orders.js';
import type { Deps } from '../../deps.js';

export function orderAdminRoutes(deps: Deps): Router {
  const c = createOrderAdminController({ orders: deps.services.orderAdmin });
  const r = Router();
  r.get('/admin/orders', c.list);
  r.get('/admin/orders/:id', c.detail);
  r.get('/admin/orders/:id/refund', c.refundForm);
  r.post('/admin/orders/:id/refund', c.refund);
  r.post('/admin/orders/:id/resend-confirmation', c.resend);
  r.post('/admin/orders/:id/entitlements/:entitlementId/reset', c.resetDownloads);

  r.get('/api/admin/orders', c.apiList);
  r.get('/api/admin/orders/:id', c.apiGet);
  r.post('/api/admin/orders/:id/refund', c.refund);
  r.post('/api/admin/orders/:id/resend-confirmation', c.resend);
  r.post('/api/admin/orders/:id/entitlements/:entitlementId/reset', c.resetDownloads);
  return r;
}
