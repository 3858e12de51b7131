import { Router } from 'express';
import { createNewsletterIssueAdminController } from '../../controllers/admin/newsletter-issues.js';
import type { Deps } from '../../deps.js';

export function newsletterIssueAdminRoutes(deps: Deps): Router {
  const c = createNewsletterIssueAdminController({ issues: deps.services.newsletterIssues, clock: deps.clock });
  const r = Router();
  r.get('/admin/newsletter', c.list);
  r.get('/admin/newsletter/new', c.newForm);
  r.post('/admin/newsletter', c.create);
  r.get('/admin/newsletter/:id', c.page);
  r.post('/admin/newsletter/:id', c.update);
  r.get('/admin/newsletter/:id/preview', c.preview);
  r.post('/admin/newsletter/:id/test', c.sendTest);
  r.post('/admin/newsletter/:id/send', c.sendNow);
  r.post('/admin/newsletter/:id/schedule', c.schedule);
  r.post('/admin/newsletter/:id/cancel', c.cancel);
  // The deals page's "Email this offer to subscribers".
  r.post('/admin/deals/:id/campaign', c.fromOffer);

  r.get('/api/admin/newsletter', c.apiList);
  r.post('/api/admin/newsletter', c.create);
  r.get('/api/admin/newsletter/:id', c.apiGet);
  r.put('/api/admin/newsletter/:id', c.update);
  r.post('/api/admin/newsletter/:id/test', c.sendTest);
  r.post('/api/admin/newsletter/:id/send', c.sendNow);
  r.post('/api/admin/newsletter/:id/schedule', c.schedule);
  r.post('/api/admin/newsletter/:id/cancel', c.cancel);
  r.post('/api/admin/deals/:id/campaign', c.fromOffer);
  return r;
}
