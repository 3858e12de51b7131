import { Router } from 'express';
import { createDealAdminController } from '../../controllers/admin/deals.js';
import type { Deps } from '../../deps.js';

export function dealAdminRoutes(deps: Deps): Router {
  const c = createDealAdminController({ deals: deps.services.dealAdmin, catalog: deps.services.catalog, clock: deps.clock });
  const r = Router();
  r.get('/admin/deals', c.list);
  r.get('/admin/deals/new', c.newForm);
  r.post('/admin/deals', c.create);
  r.get('/admin/deals/:id', c.editForm);
  r.post('/admin/deals/:id', c.update);
  r.post('/admin/deals/:id/active', c.setActive);
  r.post('/admin/deals/:id/delete', c.remove);

  r.post('/api/admin/deals', c.create);
  r.put('/api/admin/deals/:id', c.update);
  r.post('/api/admin/deals/:id/active', c.setActive);
  r.delete('/api/admin/deals/:id', c.remove);
  return r;
}
