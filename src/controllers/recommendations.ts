import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../lib/errors.js';
import { parseInput } from '../lib/validate.js';
import type { RecommendationList, RecommendationService } from '../services/recommendation-service.js';
import { SLUG_PATTERN } from './catalog-query.js';

const limit = z.coerce.number({ error: 'limit must be a whole number.' }).int('limit must be a whole number.').min(1, 'limit must be 1 to 50.').max(50, 'limit must be 1 to 50.').default(10);
const listQuery = z.object({ limit }).strict();
/** `?ids=12,15` (the guest cart kept in the browser), at most 20 products. */
const cartQuery = z
  .object({
    limit,
    ids: z
      .string({ error: 'ids must be product ids separated by commas.' })
      .regex(/^[1-9]\d{0,9}(?:,[1-9]\d{0,9}){0,19}$/, 'ids must be up to 20 product ids separated by commas.')
      .optional(),
  })
  .strict();

/** The JSON shape of a list: money in integer paise (what the shopper pays now). */
function toJson(list: RecommendationList) {
  return {
    items: list.items.map((r) => ({ slug: r.product.slug, title: r.product.title, price: r.product.price.salePrice, reason: r.reason, score: r.score, url: `/products/${r.product.slug}`, image: r.product.image })),
    strategy: list.strategy,
  };
}

export function createRecommendationController(deps: { recommendations: RecommendationService }) {
  const { recommendations } = deps;
  return {
    /** GET /api/products/:slug/recommendations?limit=N: a product's neighbours ("also bought", "similar"). */
    async forProduct(req: Request, res: Response) {
      const slug = String(req.params.slug);
      if (!SLUG_PATTERN.test(slug) || slug.length > 120) throw new NotFoundError('That product is not available.');
      const q = parseInput(listQuery, req.query, 'Please check the query parameters.');
      res.set('Cache-Control', 'private, no-store').json(toJson(await recommendations.forProduct(slug, q.limit, req.user?.id)));
    },

    /** GET /api/recommendations?limit=N: "Recommended for you" when signed in; trending for guests. */
    async forShopper(req: Request, res: Response) {
      const q = parseInput(listQuery, req.query, 'Please check the query parameters.');
      res.set('Cache-Control', 'private, no-store').json(toJson(await recommendations.forUser(req.user?.id, q.limit)));
    },

    /** GET /api/recommendations/cart?ids=&limit=N: "Complete your collection" (the saved cart when signed in). */
    async forCart(req: Request, res: Response) {
      const q = parseInput(cartQuery, req.query, 'Please check the query parameters.');
      const ids = q.ids ? [...new Set(q.ids.split(',').map(Number))] : [];
      res.set('Cache-Control', 'private, no-store').json(toJson(await recommendations.forCart(req.user?.id, ids, q.limit)));
    },
  };
}
