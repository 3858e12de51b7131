import { Router } from 'express';
import { createCheckoutController } from '../controllers/checkout.js';
import { createOrdersController } from '../controllers/orders.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';
import { noStore } from '../middleware/security.js';

export function orderRoutes(deps: Deps): Router {
  const { config, models, services } = deps;
  const o = createOrdersController({ orders: models.orders, entitlements: models.entitlements, downloads: services.downloads, storeName: config.storeName });
  const c = createCheckoutController({ cart: services.cart, checkout: services.checkout, gateway: services.gateway, orders: models.orders, emulator: Boolean(deps.razorpayEmulator), storeName: config.storeName });
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
