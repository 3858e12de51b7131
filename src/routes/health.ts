import { Router } from 'express';
import type { createHealthController } from '../controllers/health.js';

export function healthRoutes(c: ReturnType<typeof createHealthController>): Router {
  const r = Router();
  r.get('/healthz', c.alive);
  r.get('/readyz', c.ready);
  return r;
}
