import { Router } from 'express';
import type { createPagesController } from '../controllers/pages.js';

export function pageRoutes(c: ReturnType<typeof createPagesController>): Router {
  const r = Router();
  r.get('/contact', c.contactPage);
  r.post('/contact', c.contact);
  r.get('/policies/:page', c.policy);
  return r;
}
