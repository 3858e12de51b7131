import { Router } from 'express';
import type { createCartController } from '../controllers/cart.js';
import { requireUser } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';
import type { Limiter } from '../services/rate-limits.js';

export function cartRoutes(c: ReturnType<typeof createCartController>, limits: { events: Limiter }): Router {
  const r = Router();
  r.get('/cart', c.page);
  r.get('/cart/add', c.noScriptGuest);
  r.post('/cart/add', requireUser, c.addForm);
  r.get('/api/cart', c.get);
  r.post('/api/cart/add', c.add);
  r.post('/api/cart/remove', c.remove);
  r.post('/api/cart/merge', c.merge);
  r.get('/api/cart/quote', c.quote);
  // Browsers report guest cart changes without a session; a script could flood the table.
  r.post('/api/cart/events', rateLimit(limits.events), c.guestEvent);
  return r;
}
