import { Router } from 'express';
import { createProductsApiController } from '../controllers/products.js';
import type { Deps } from '../deps.js';

export function productsApiRoutes(deps: Deps): Router {
  const c = createProductsApiController({ catalog: deps.services.catalog });
  const r = Router();
  r.get('/api/products', c.list);
  r.get('/api/products/:slug', c.show);
  return r;
}
