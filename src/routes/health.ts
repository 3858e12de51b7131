import { Router } from 'express';
import { createHealthController } from '../controllers/health.js';
import type { Deps } from '../deps.js';

export function healthRoutes(deps: Deps): Router {
  const c = createHealthController({ db: deps.db });
  const r = Router();
  r.get('/healthz', c.alive);
  r.get('/readyz', c.ready);
  // Browsers ask for /favicon.ico on their own; point them at the SVG icon instead of a 404.
  r.get('/favicon.ico', (_req, res) => res.redirect(301, '/img/favicon.svg'));
  return r;
}
