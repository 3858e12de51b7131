import { Router } from 'express';
import { createRecommendationController } from '../controllers/recommendations.js';
import type { Deps } from '../deps.js';

/** Recommendations as JSON (the pages render theirs server-side; the cart page fetches its own). */
export function recommendationRoutes(deps: Deps): Router {
  const c = createRecommendationController({ recommendations: deps.services.recommendations });
  const r = Router();
  r.get('/api/products/:slug/recommendations', c.forProduct);
  r.get('/api/recommendations', c.forShopper);
  r.get('/api/recommendations/cart', c.forCart);
  return r;
}
