import type { Request, Response } from 'express';
import { NotFoundError } from '../lib/errors.js';
import { parseInput } from '../lib/validate.js';
import type { CatalogProduct, CatalogService } from '../services/catalog-service.js';
import { SLUG_PATTERN, catalogApiQuery } from './catalog-query.js';

/** The JSON shape of a product for scripts and apps; money in integer paise. */
function toJson(p: CatalogProduct, detail = false) {
  return {
    id: p.id,
    slug: p.slug,
    title: p.title,
    summary: p.summary,
    ...(detail ? { description: p.description } : {}),
    price: p.price.unitPrice,
    salePrice: p.price.salePrice,
    discountPercent: p.price.discountPercent,
    currency: 'INR',
    category: { slug: p.category.slug, name: p.category.name },
    tags: p.tags,
    rating: p.rating,
    ratingCount: p.ratingCount,
    licenseType: p.licenseType,
    image: p.image,
    url: `/products/${p.slug}`,
  };
}

export function createProductsApiController(deps: { catalog: CatalogService }) {
  const { catalog } = deps;
  return {
    /** GET /api/products: the catalog as JSON, with the storefront's filters. */
    async list(req: Request, res: Response) {
      const query = parseInput(catalogApiQuery, req.query, 'Please check the query parameters.');
      const result = await catalog.search(query);
      res.json({
        items: result.items.map((p) => toJson(p)),
        total: result.total,
        page: result.page,
        pageSize: result.pageSize,
        pageCount: result.pageCount,
        sort: result.sort,
      });
    },

    /** GET /api/products/:slug: one visible product. */
    async show(req: Request, res: Response) {
      const slug = String(req.params.slug);
      if (!SLUG_PATTERN.test(slug) || slug.length > 120) throw new NotFoundError('That product is not available.');
      res.json({ product: toJson(await catalog.getProduct(slug), true) });
    },
  };
}
