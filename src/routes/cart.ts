import { Router, type Request } from 'express';
import { createCartController } from '../controllers/cart.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';

export function cartRoutes(deps: Deps): Router {
  // Guessing codes is throttled per account when signed in, else per network: every code applied
  // counts, and a guest's quote or a merge counts when the code it carries is not valid.
  const codeKey = (req: Request) => (req.user ? `user:${req.user.id}` : `ip:${req.ip ?? 'unknown'}`);
  const c = createCartController({ cart: deps.services.cart, codeTries: deps.limits.couponIp, codeKey });
  const r = Router();
  const codeTries = rateLimit(deps.limits.couponIp, codeKey);
  r.get('/cart', c.page);
  r.get('/cart/add', c.noScriptGuest);
  r.post('/cart/add', requireUser, c.addForm);
  r.get('/api/cart', c.get);
  r.post('/api/cart/add', c.add);
  r.post('/api/cart/remove', c.remove);
  r.post('/api/cart/merge', c.merge);
  r.get('/api/cart/quote', c.quote);
  r.post('/api/cart/coupon', codeTries, c.applyCoupon);
  r.post('/api/cart/coupon/remove', c.removeCoupon);
  // Browsers report guest cart changes without a session; a script could flood the table.
  r.post('/api/cart/events', rateLimit(deps.limits.cartEventsIp), c.guestEvent);
  return r;
}
