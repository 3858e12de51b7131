import { NotFoundError } from '../lib/errors.js';
import { memoize } from '../lib/memo.js';
import { toPrefixTsQuery } from '../lib/search.js';
import type { CategoryModel, CategoryRow, CategoryWithCount } from '../models/categories.js';
import type { ProductModel, ProductSort, ProductView } from '../models/products.js';
import { priceOf, type Price } from './pricing.js';

/** What the storefront and the JSON API show of a product. */
export interface CatalogProduct {
  id: number;
  slug: string;
  title: string;
  summary: string;
  description: string;
  image: string | null;
  price: Price;
  rating: number;
  ratingCount: number;
  tags: string[];
  licenseType: ProductView['license_type'];
  featured: boolean;
  category: { id: number; slug: string; name: string };
  createdAt: Date;
}

export interface CatalogSearch {
  q?: string;
  category?: string;
  tag?: string;
  sort?: ProductSort;
  page: number;
  pageSize: number;
}

export interface CatalogPage {
  items: CatalogProduct[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
  sort: ProductSort;
  category: CategoryRow | undefined;
}

export const PLACEHOLDER_IMAGE = '/img/placeholder.svg';

export function toCatalogProduct(p: ProductView): CatalogProduct {
  return {
    id: p.id,
    slug: p.slug,
    title: p.title,
    summary: p.summary,
    description: p.description,
    image: p.image_url,
    price: priceOf(p),
    rating: Number(p.rating),
    ratingCount: p.rating_count,
    tags: p.tags,
    licenseType: p.license_type,
    featured: p.is_featured,
    category: { id: p.category_id, slug: p.category_slug, name: p.category_name },
    createdAt: p.created_at,
  };
}

export function createCatalogService(deps: { products: ProductModel; categories: CategoryModel; navCacheMs?: number }) {
  const { products, categories } = deps;
  // Category counts and popular tags change rarely and appear on every catalog page; a short
  // in-process cache saves two aggregate queries a page view (measured: see scripts/bench.ts).
  const ttlMs = deps.navCacheMs ?? 30_000;
  const categoryNav = memoize(() => categories.listWithCounts(), { ttlMs });
  const tagNav = memoize((categoryId: number | undefined) => products.topTags({ categoryId, limit: 16 }), { ttlMs });

  return {
    /** A filtered, searched, sorted page of visible products. Unknown category → NotFound. */
    async search(s: CatalogSearch): Promise<CatalogPage> {
      let category: CategoryRow | undefined;
      if (s.category !== undefined) {
        category = await categories.findBySlug(s.category);
        if (!category) throw new NotFoundError('That category does not exist.');
      }
      const q = s.q?.trim() || undefined;
      const tsQuery = q === undefined ? undefined : toPrefixTsQuery(q);
      const sort: ProductSort = s.sort ?? (q ? 'relevance' : 'newest');
      // Words made only of punctuation match nothing rather than everything.
      if (q !== undefined && tsQuery === undefined) {
        return { items: [], total: 0, page: s.page, pageSize: s.pageSize, pageCount: 0, sort, category };
      }
      const { rows, total } = await products.listVisible({
        tsQuery,
        categoryId: category?.id,
        tag: s.tag,
        sort,
        limit: s.pageSize,
        offset: (s.page - 1) * s.pageSize,
      });
      return {
        items: rows.map(toCatalogProduct),
        total,
        page: s.page,
        pageSize: s.pageSize,
        pageCount: Math.ceil(total / s.pageSize),
        sort,
        category,
      };
    },

    /** A visible product by slug; hidden or unknown → NotFound (shoppers cannot tell them apart). */
    async getProduct(slug: string): Promise<CatalogProduct> {
      const row = await products.findVisibleBySlug(slug);
      if (!row) throw new NotFoundError('That product is not available.');
      return toCatalogProduct(row);
    },

    /** Products from the same category, for the "You may also like" strip. */
    async related(product: CatalogProduct, limit = 4): Promise<CatalogProduct[]> {
      const { rows } = await products.listVisible({ categoryId: product.category.id, sort: 'rating', limit: limit + 1, offset: 0 });
      return rows.filter((r) => r.id !== product.id).slice(0, limit).map(toCatalogProduct);
    },

    async home(): Promise<{ featured: CatalogProduct[]; newest: CatalogProduct[]; categories: CategoryWithCount[] }> {
      const [featured, newest, cats] = await Promise.all([
        products.listVisible({ featuredOnly: true, sort: 'rating', limit: 8, offset: 0 }),
        products.listVisible({ sort: 'newest', limit: 8, offset: 0 }),
        categoryNav.get(undefined),
      ]);
      return { featured: featured.rows.map(toCatalogProduct), newest: newest.rows.map(toCatalogProduct), categories: cats };
    },

    categories: () => categoryNav.get(undefined),

    topTags: (category?: CategoryRow) => tagNav.get(category?.id),

    /** Drops cached navigation data (after an admin edits the catalog in this process). */
    clearNavigationCache(): void {
      categoryNav.clear();
      tagNav.clear();
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
