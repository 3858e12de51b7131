import { Router } from 'express';
import { createNewsletterAdminController } from '../../controllers/admin/newsletter.js';
import type { Deps } from '../../deps.js';

export function newsletterAdminRoutes(deps: Deps): Router {
  const c = createNewsletterAdminController({ newsletter: deps.services.newsletterAdmin });
  const r = Router();
  r.get('/admin/subscribers', c.list);
  // Before /:id, which would not match it anyway (ids are digits).
  r.get('/admin/subscribers/export.csv', c.exportCsv);
  r.get('/admin/subscribers/:id', c.detail);
  r.get('/admin/subscribers/:id/remove', c.confirmRemove);
  r.post('/admin/subscribers/:id/remove', c.remove);

  r.get('/api/admin/subscribers', c.apiList);
  r.get('/api/admin/subscribers/export.csv', c.exportCsv);
  r.get('/api/admin/subscribers/:id', c.apiGet);
  r.post('/api/admin/subscribers/:id/remove', c.remove);
  return r;
}
