import { Router } from 'express';
import { createProductAdminController } from '../../controllers/admin/products.js';
import type { Deps } from '../../deps.js';
import { productUpload, withUploads } from './uploads.js';

export function productAdminRoutes(deps: Deps): Router {
  const c = createProductAdminController({ products: deps.services.productAdmin, categories: deps.models.categories });
  const upload = productUpload({ storage: deps.storage, maxFileBytes: deps.config.productFileMaxBytes, logger: deps.logger });
  const keepOrDiscard = (h: Parameters<typeof withUploads>[1]) => withUploads({ storage: deps.storage, logger: deps.logger }, h);
  const r = Router();
  r.get('/admin/products', c.list);
  r.get('/admin/products/new', c.newForm);
  r.post('/admin/products', upload, keepOrDiscard(c.create));
  r.post('/admin/products/bulk', c.bulk);
  r.get('/admin/products/:id', c.editForm);
  r.post('/admin/products/:id', upload, keepOrDiscard(c.update));
  r.get('/admin/products/:id/delete', c.confirmDelete);
  r.post('/admin/products/:id/delete', c.remove);
  r.post('/admin/products/:id/restore', c.restore);

  r.get('/api/admin/products', c.apiList);
  r.post('/api/admin/products', c.apiCreate);
  r.post('/api/admin/products/visibility', c.bulk);
  r.get('/api/admin/products/:id', c.apiGet);
  r.put('/api/admin/products/:id', c.apiUpdate);
  r.delete('/api/admin/products/:id', c.remove);
  return r;
}
