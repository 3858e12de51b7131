import { Router } from 'express';
import { createCartController } from '../controllers/cart.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';

export function cartRoutes(deps: Deps): Router {
  const c = createCartController({ cart: deps.services.cart });
  const r = Router();
  r.get('/cart', c.page);
  r.get('/cart/add', c.noScriptGuest);
  r.post('/cart/add', requireUser, c.addForm);
  r.get('/api/cart', c.get);
  r.post('/api/cart/add', c.add);
  r.post('/api/cart/remove', c.remove);
  r.post('/api/cart/merge', c.merge);
  r.get('/api/cart/quote', c.quote);
  // Guessing codes is throttled: per account when signed in, else per network.
  r.post('/api/cart/coupon', rateLimit(deps.limits.couponIp, (req) => (req.user ? `user:${req.user.id}` : `ip:${req.ip ?? 'unknown'}`)), c.applyCoupon);
  r.post('/api/cart/coupon/remove', c.removeCoupon);
  // Browsers report guest cart changes without a session; a script could flood the table.
  r.post('/api/cart/events', rateLimit(deps.limits.cartEventsIp), c.guestEvent);
  return r;
}
