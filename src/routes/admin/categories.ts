import { Router } from 'express';
import { createCategoryAdminController } from '../../controllers/admin/categories.js';
import type { Deps } from '../../deps.js';

export function categoryAdminRoutes(deps: Deps): Router {
  const c = createCategoryAdminController({ categories: deps.services.categoryAdmin });
  const r = Router();
  r.get('/admin/categories', c.list);
  r.post('/admin/categories', c.create);
  r.get('/admin/categories/:id', c.editForm);
  r.post('/admin/categories/:id', c.update);
  r.post('/admin/categories/:id/move', c.move);
  r.post('/admin/categories/:id/delete', c.remove);

  r.get('/api/admin/categories', c.apiList);
  r.post('/api/admin/categories', c.create);
  r.put('/api/admin/categories/:id', c.update);
  r.post('/api/admin/categories/:id/move', c.move);
  r.delete('/api/admin/categories/:id', c.remove);
  return r;
}
