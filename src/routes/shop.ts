import { Router } from 'express';
import { createShopController } from '../controllers/shop.js';
import type { Deps } from '../deps.js';

/**
 * The pages a guest sees the same as every other guest (home, catalog, search, a product), which
 * the shared page cache may answer (middleware/page-cache.ts).
 */
export const SHARED_CACHE_PATHS = /^\/(?:products(?:\/[a-z0-9]+(?:-[a-z0-9]+)*)?|search)?$/;

export function shopRoutes(deps: Deps): Router {
  const c = createShopController({ catalog: deps.services.catalog, cart: deps.services.cart, recommendations: deps.services.recommendations });
  const r = Router();
  r.get('/', c.home);
  r.get('/products', c.catalog);
  r.get('/search', c.catalog);
  r.get('/products/:slug', c.product);
  r.get('/categories/:slug', c.categoryRedirect);
  return r;
}
