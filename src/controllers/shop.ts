import type { Request, Response } from 'express';
import { NotFoundError } from '../lib/errors.js';
import { parseInput } from '../lib/validate.js';
import type { CartService } from '../services/cart-service.js';
import type { CatalogService } from '../services/catalog-service.js';
import type { RecommendationService } from '../services/recommendation-service.js';
import { SLUG_PATTERN, catalogPageQuery } from './catalog-query.js';

const PAGE_SIZE = 12;

const SORT_LABELS: Record<string, string> = {
  relevance: 'Best match',
  newest: 'Newest',
  'price-asc': 'Price: low to high',
  'price-desc': 'Price: high to low',
  rating: 'Top rated',
};

export function createShopController(deps: { catalog: CatalogService; cart: CartService; recommendations: RecommendationService }) {
  const { catalog } = deps;
  return {
    /** GET /: hero, featured and newest products, categories. */
    async home(req: Request, res: Response) {
      const [data, recs] = await Promise.all([catalog.home(), deps.recommendations.forHome(req.user?.id)]);
      res.render('shop/home', { title: undefined, ...data, recs, styles: ['/css/recommendations.css'], signedOut: req.query['signed-out'] !== undefined && !req.user });
    },

    /** GET /products: the catalog with search, category and tag filters, sort and pagination. */
    async catalog(req: Request, res: Response) {
      const query = parseInput(catalogPageQuery, req.query, 'Please check the search filters.');
      const [result, categories] = await Promise.all([
        catalog.search({ ...query, pageSize: PAGE_SIZE }),
        catalog.categories(),
      ]);
      // Past the last page (an old link, a typed URL): the last page, rather than "page 99 of 3".
      if (result.pageCount > 0 && query.page > result.pageCount) {
        const params = new URLSearchParams();
        for (const k of ['q', 'category', 'tag', 'sort'] as const) if (query[k]) params.set(k, String(query[k]));
        if (result.pageCount > 1) params.set('page', String(result.pageCount));
        const qs = params.toString();
        return res.redirect(302, `${req.path}${qs ? `?${qs}` : ''}`);
      }
      const tags = await catalog.topTags(result.category);
      const heading = query.q
        ? `Results for “${query.q}”${result.category ? ` in ${result.category.name}` : ''}`
        : result.category
          ? result.category.name
          : query.tag
            ? `Tagged “${query.tag}”`
            : 'All products';
      res.render('shop/catalog', {
        title: heading,
        heading,
        query,
        result,
        categories,
        tags,
        sortLabels: SORT_LABELS,
        sortOptions: query.q ? Object.keys(SORT_LABELS) : Object.keys(SORT_LABELS).filter((s) => s !== 'relevance'),
      });
    },

    /** GET /products/:slug: one visible product. */
    async product(req: Request, res: Response) {
      const slug = String(req.params.slug);
      if (!SLUG_PATTERN.test(slug) || slug.length > 120) throw new NotFoundError('That product is not available.');
      const product = await catalog.getProduct(slug);
      const [recs, ownedOrderId] = await Promise.all([deps.recommendations.forProductPage(product, req.user?.id), req.user ? deps.cart.ownedIn(req.user.id, product.id) : undefined]);
      res.render('shop/product', { title: product.title, description: product.summary, product, recs, ownedOrderId, styles: ['/css/recommendations.css'] });
    },

    /** GET /categories/:slug: a friendly URL for a category's catalog page. */
    categoryRedirect(req: Request, res: Response) {
      const slug = String(req.params.slug);
      if (!SLUG_PATTERN.test(slug)) throw new NotFoundError('That category does not exist.');
      res.redirect(301, `/products?category=${encodeURIComponent(slug)}`);
    },
  };
}
