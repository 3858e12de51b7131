import { Router } from 'express';
import type { createShopController } from '../controllers/shop.js';

export function shopRoutes(c: ReturnType<typeof createShopController>): Router {
  const r = Router();
  r.get('/', c.home);
  r.get('/products', c.catalog);
  r.get('/search', c.catalog);
  r.get('/products/:slug', c.product);
  r.get('/categories/:slug', c.categoryRedirect);
  return r;
}
