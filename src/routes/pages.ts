import { Router } from 'express';
import { createPagesController } from '../controllers/pages.js';
import type { Deps } from '../deps.js';

export function pageRoutes(deps: Deps): Router {
  const c = createPagesController({ contact: deps.services.contact, supportEmail: deps.config.supportEmail });
  const r = Router();
  r.get('/contact', c.contactPage);
  r.post('/contact', c.contact);
  r.get('/policies/:page', c.policy);
  return r;
}
