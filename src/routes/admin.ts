import { Router, type RequestHandler } from 'express';
import type { createAdminController } from '../controllers/admin.js';
import { noStore } from '../middleware/security.js';

/** Everything under /admin and /api/admin passes the admin guard first: deny by default. */
export function adminRoutes(c: ReturnType<typeof createAdminController>, guard: RequestHandler): Router {
  const r = Router();
  r.use(['/admin', '/api/admin'], noStore, guard);
  r.get('/admin', c.dashboard);
  r.get('/api/admin/summary', c.summaryApi);
  return r;
}
