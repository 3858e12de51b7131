import { Router } from 'express';
import { createProductRequestAdminController } from '../../controllers/admin/product-requests.js';
import type { Deps } from '../../deps.js';

export function productRequestAdminRoutes(deps: Deps): Router {
  const c = createProductRequestAdminController({ requests: deps.services.productRequests });
  const r = Router();
  r.get('/admin/requests', c.list);
  r.get('/admin/requests/:id', c.detail);
  r.post('/admin/requests/:id', c.update);
  r.get('/admin/requests/:id/merge', c.mergeConfirm);
  r.post('/admin/requests/:id/merge', c.merge);
  r.post('/admin/requests/:id/hide', c.visibility(true));
  r.post('/admin/requests/:id/unhide', c.visibility(false));

  r.get('/api/admin/requests', c.apiList);
  r.get('/api/admin/requests/:id', c.apiGet);
  r.post('/api/admin/requests/:id', c.update);
  r.post('/api/admin/requests/:id/merge', c.merge);
  r.post('/api/admin/requests/:id/hide', c.visibility(true));
  r.post('/api/admin/requests/:id/unhide', c.visibility(false));
  return r;
}
