import { Router } from 'express';
import type { createHealthController } from '../controllers/health.js';

export function healthRoutes(c: ReturnType<typeof createHealthController>): Router {
  const r = Router();
  r.get('/healthz', c.alive);
  r.get('/readyz', c.ready);
  // Browsers ask for /favicon.ico on their own; point them at the SVG icon instead of a 404.
  r.get('/favicon.ico', (_req, res) => res.redirect(301, '/img/favicon.svg'));
  return r;
}
