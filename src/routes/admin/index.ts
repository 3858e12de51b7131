import { Router } from 'express';
import type { Deps } from '../../deps.js';
import { requireAdmin } from '../../middleware/auth.js';
import { noStore } from '../../middleware/security.js';
import { alertAdminRoutes } from './alerts.js';
import { categoryAdminRoutes } from './categories.js';
import { customerAdminRoutes } from './customers.js';
import { dealAdminRoutes } from './deals.js';
import { dashboardRoutes } from './dashboard.js';
import { ADMIN_NAV } from './nav.js';
import { orderAdminRoutes } from './orders.js';
import { productAdminRoutes } from './products.js';
import { newsletterAdminRoutes } from './newsletter.js';
import { newsletterIssueAdminRoutes } from './newsletter-issues.js';
import { productRequestAdminRoutes } from './product-requests.js';
import { testimonialAdminRoutes } from './testimonials.js';
import { backupAdminRoutes } from './backups.js';

/**
 * The admin area: pages under /admin, JSON for scripts under /api/admin. Everything under both
 * passes the guard first (signed-in admin, checked on the server, 2FA where required), so a
 * route added to a module is protected without saying so: deny by default. Nothing is cached.
 * CSRF applies to every change (the app's middleware; uploads check after reading the form).
 */
export function createAdminRouter(deps: Deps): Router {
  const r = Router();
  r.use(['/admin', '/api/admin'], noStore, requireAdmin({ require2fa: deps.config.requireAdmin2fa }), (req, res, next) => {
    res.locals.adminNav = ADMIN_NAV;
    // req.path is relative to the mount ('/admin' or '/api/admin'); the sidebar wants the whole path.
    const path = req.baseUrl + req.path;
    res.locals.adminSection = ADMIN_NAV.filter((n) => n.href !== '/admin' && (path === n.href || path.startsWith(`${n.href}/`))).at(-1)?.href ?? (path === '/admin' || path === '/admin/' ? '/admin' : undefined);
    next();
  });
  r.use(dashboardRoutes(deps));
  r.use(productAdminRoutes(deps));
  r.use(categoryAdminRoutes(deps));
  r.use(orderAdminRoutes(deps));
  r.use(customerAdminRoutes(deps));
  r.use(dealAdminRoutes(deps));
  r.use(newsletterAdminRoutes(deps));
  r.use(newsletterIssueAdminRoutes(deps));
  r.use(productRequestAdminRoutes(deps));
  r.use(testimonialAdminRoutes(deps));
  r.use(alertAdminRoutes(deps));
  r.use(backupAdminRoutes(deps));
  return r;
}
