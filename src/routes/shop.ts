import { Router } from 'express';
import type { createShopController } from '../controllers/shop.js';

/**
 * The pages a guest sees the same as every other guest (home, catalog, search, a product), which
 * the shared page cache may answer (middleware/page-cache.ts).
 */
export const SHARED_CACHE_PATHS = /^\/(?:products(?:\/[a-z0-9]+(?:-[a-z0-9]+)*)?|search)?$/;

export function shopRoutes(c: ReturnType<typeof createShopController>): Router {
  const r = Router();
  r.get('/', c.home);
  r.get('/products', c.catalog);
  r.get('/search', c.catalog);
  r.get('/products/:slug', c.product);
  r.get('/categories/:slug', c.categoryRedirect);
  return r;
}
