import { Router } from 'express';
import type { createCartController } from '../controllers/cart.js';
import { requireUser } from '../middleware/auth.js';

export function cartRoutes(c: ReturnType<typeof createCartController>): Router {
  const r = Router();
  r.get('/cart', c.page);
  r.get('/cart/add', c.noScriptGuest);
  r.post('/cart/add', requireUser, c.addForm);
  r.get('/api/cart', c.get);
  r.post('/api/cart/add', c.add);
  r.post('/api/cart/remove', c.remove);
  r.post('/api/cart/merge', c.merge);
  r.get('/api/cart/quote', c.quote);
  r.post('/api/cart/events', c.guestEvent);
  return r;
}
