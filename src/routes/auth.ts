import { Router } from 'express';
import { issueCsrfToken } from '../middleware/csrf.js';

export function authRoutes(): Router {
  const r = Router();
  /** GET /api/auth/csrf: a CSRF token for scripts (and for pages that had none in their meta tag). */
  r.get('/api/auth/csrf', (req, res) => {
    res.set('Cache-Control', 'no-store').json({ csrfToken: issueCsrfToken(req, res) });
  });
  return r;
}
