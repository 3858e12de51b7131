import { Router } from 'express';
import { createProductViewController } from '../controllers/product-views.js';
import type { Deps } from '../deps.js';
import { rateLimit } from '../middleware/rate-limit.js';

/**
 * POSTs that skip the CSRF check (app.ts). `/api/products/:id/views` is sent by
 * navigator.sendBeacon from product pages that guests get from the shared cache: those pages
 * carry no token (minting one would start a session per guest and defeat the cache), and a
 * beacon cannot set a header. A forged view is harmless: it stores one analytics row, cannot
 * change or read anything, is deduplicated per viewer for 30 minutes and throttled per IP; and
 * since the session cookie is SameSite=Lax, a cross-site POST arrives without it, so a forged
 * view can never be attributed to the victim's account.
 */
export const PRODUCT_VIEWS_PATH = /^\/api\/products\/[^/]+\/views$/;
export const isProductViewBeacon = (path: string) => PRODUCT_VIEWS_PATH.test(path);

export function productViewRoutes(deps: Deps): Router {
  const c = createProductViewController({ productViews: deps.services.productViews });
  const r = Router();
  // Every beacon counts against its network, before any database work of its own.
  r.post('/api/products/:id/views', rateLimit(deps.limits.productViewsIp), c.record);
  return r;
}
