import { Router } from 'express';
import type { createProductsApiController } from '../controllers/products.js';

export function productsApiRoutes(c: ReturnType<typeof createProductsApiController>): Router {
  const r = Router();
  r.get('/api/products', c.list);
  r.get('/api/products/:slug', c.show);
  return r;
}
