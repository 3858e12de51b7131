import { Router } from 'express';
import type { createCheckoutController } from '../controllers/checkout.js';
import type { createOrdersController } from '../controllers/orders.js';
import { requireUser } from '../middleware/auth.js';
import { noStore } from '../middleware/security.js';

export function orderRoutes(o: ReturnType<typeof createOrdersController>, c: ReturnType<typeof createCheckoutController>): Router {
  const r = Router();
  r.get('/checkout', requireUser, c.page);
  r.post('/checkout/callback', c.callback);
  r.use(['/orders', '/downloads'], noStore);
  r.get('/orders', requireUser, o.list);
  r.get('/orders/:id', requireUser, o.show);
  r.get('/downloads', requireUser, o.history);
  r.post('/downloads/fresh', requireUser, o.fresh);
  r.get('/downloads/:token/start', requireUser, o.start);
  r.get('/downloads/:token', o.download);
  return r;
}
