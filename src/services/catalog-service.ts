import { LRUCache } from 'lru-cache';
import { NotFoundError } from '../lib/errors.js';
import { memoize } from '../lib/memo.js';
import { toPrefixTsQuery } from '../lib/search.js';
import type { CategoryModel, CategoryRow, CategoryWithCount } from '../models/categories.js';
import type { ProductCardRow, ProductFilter, ProductModel, ProductSort, ProductView } from '../models/products.js';
import { imageSrcset } from './image-service.js';
import { NO_OFFERS, priceOf, type OfferBook, type Price } from './pricing.js';

/** What the storefront and the JSON API show of a product. */
export interface CatalogProduct {
  id: number;
  slug: string;
  title: string;
  summary: string;
  /** Only on a product's own page (listings do not read it). */
  description?: string;
  image: string | null;
  /** `srcset` of an uploaded image (its stored widths); undefined for a single fixed image. */
  imageSrcset?: string;
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
  /** Every matching product. */
  total: number;
  /** More match than the pages reach (DEPTH_CAP): the last page says how to see the rest. */
  depthCapped: boolean;
  /** How many of them the pages reach: min(total, DEPTH_CAP). */
  reachable: number;
  page: number;
  pageSize: number;
  pageCount: number;
  sort: ProductSort;
  category: CategoryWithCount | undefined;
}

export const PLACEHOLDER_IMAGE = '/img/placeholder.svg';

/**
 * Listings page through at most this many products (834 pages of 12), as Elasticsearch's
 * default result window does: an offset walk costs in proportion to its depth, so a cap keeps
 * every page as cheap as the first whatever the catalog's size. Totals stay exact, and every
 * product stays reachable through a category, a tag, a search or the reverse sort.
 */
export const DEPTH_CAP = 10_000;

type CategoryRef = CatalogProduct['category'];

export function toCatalogProduct(p: ProductCardRow, category: CategoryRef, book: OfferBook, description?: string): CatalogProduct {
  return {
    id: p.id,
    slug: p.slug,
    title: p.title,
    summary: p.summary,
    ...(description !== undefined ? { description } : {}),
    image: p.image_url,
    ...(p.image_key ? { imageSrcset: imageSrcset(p.image_key) } : {}),
    price: priceOf(p, book),
    rating: Number(p.rating),
    ratingCount: p.rating_count,
    tags: p.tags,
    licenseType: p.license_type,
    featured: p.is_featured,
    category,
    createdAt: p.created_at,
  };
}

function pageProduct(p: ProductView, book: OfferBook): CatalogProduct {
  return toCatalogProduct(p, { id: p.category_id, slug: p.category_slug, name: p.category_name }, book, p.description);
}

export function createCatalogService(deps: {
  products: ProductModel;
  categories: CategoryModel;
  /** The offers live now (the deals module); every price on a page is computed from one book. */
  offers?: () => Promise<OfferBook>;
  navCacheMs?: number;
  depthCap?: number;
}) {
  const { products, categories } = deps;
  const offerBook = deps.offers ?? (async () => NO_OFFERS);
  const depthCap = deps.depthCap ?? DEPTH_CAP;
  // Category sizes and popular tags appear on every catalog page; a short in-process cache
  // saves two queries a page view. Catalog changes clear it at once (clearCaches).
  const ttlMs = deps.navCacheMs ?? 30_000;
  const categoryNav = memoize(() => categories.listWithCounts(), { ttlMs });
  const tagNav = memoize((categoryId: number | undefined) => products.topTags({ categoryId, limit: 16 }), { ttlMs });
  // A search is worked out once (every match read, ranked, counted) and its
  // ordered ids kept, so its next pages, and the same search by the next shopper, cost one
  // lookup by primary key. Bounded by ids held; cleared with every catalog change.
  const matchCache = new LRUCache<string, Promise<{ ids: Int32Array; total: number }>>({
    maxSize: 4_000_000,
    sizeCalculation: () => depthCap,
    ttl: 5 * 60_000,
  });
  const matchesOf = (filter: ProductFilter, sort: ProductSort) => {
    const key = JSON.stringify([filter.tsQuery, filter.categoryId, filter.tag, sort]);
    let hit = matchCache.get(key);
    if (!hit) {
      hit = products.matchIds(filter, sort, depthCap).then((m) => ({ ids: Int32Array.from(m.ids), total: m.total }));
      matchCache.set(key, hit);
      hit.catch(() => matchCache.delete(key));
    }
    return hit;
  };

  /** Cards with their category's names from the cached category list (no join per listing). */
  async function toCards(rows: ProductCardRow[]): Promise<CatalogProduct[]> {
    const book = await offerBook();
    let byId = new Map((await categoryNav.get(undefined)).map((c) => [c.id, c]));
    // A category newer than the cache (its change notice is on its way): read the list afresh.
    if (rows.some((r) => !byId.has(r.category_id))) byId = new Map((await categories.listWithCounts()).map((c) => [c.id, c]));
    return rows.map((r) => {
      const c = byId.get(r.category_id);
      return toCatalogProduct(r, { id: r.category_id, slug: c?.slug ?? '', name: c?.name ?? '' }, book);
    });
  }

  return {
    /** A filtered, searched, sorted page of visible products. Unknown category → NotFound. */
    async search(s: CatalogSearch): Promise<CatalogPage> {
      const nav = await categoryNav.get(undefined);
      let category: CategoryWithCount | undefined;
      if (s.category !== undefined) {
        category = nav.find((c) => c.slug === s.category) ?? (await categories.findBySlug(s.category).then((c) => c && { ...c, product_count: 0 }));
        if (!category) throw new NotFoundError('That category does not exist.');
      }
      const q = s.q?.trim() || undefined;
      const tsQuery = q === undefined ? undefined : toPrefixTsQuery(q);
      const sort: ProductSort = s.sort ?? (q ? 'relevance' : 'newest');
      // Words made only of punctuation match nothing rather than everything.
      if (q !== undefined && tsQuery === undefined) {
        return { items: [], total: 0, depthCapped: false, reachable: 0, page: s.page, pageSize: s.pageSize, pageCount: 0, sort, category };
      }
      const filter: ProductFilter = { tsQuery, categoryId: category?.id, tag: s.tag };
      const offset = (s.page - 1) * s.pageSize;
      const limit = Math.max(0, Math.min(s.pageSize, depthCap - offset));
      let total: number;
      let rows: ProductCardRow[];
      if (tsQuery !== undefined) {
        const found = await matchesOf(filter, sort);
        total = found.total;
        rows = await products.findCards(Array.from(found.ids.subarray(offset, offset + limit)));
      } else {
        // Browsing (a tag too): the sort's index walked to the page, the total from kept counts.
        [total, rows] = await Promise.all([
          s.tag !== undefined ? products.countTagged(s.tag, category?.id) : category ? category.product_count : nav.reduce((n, c) => n + c.product_count, 0),
          limit > 0 ? products.listVisible({ ...filter, sort, limit, offset }) : [],
        ]);
      }
      return {
        items: await toCards(rows),
        total,
        depthCapped: total > depthCap,
        reachable: Math.min(total, depthCap),
        page: s.page,
        pageSize: s.pageSize,
        pageCount: Math.ceil(Math.min(total, depthCap) / s.pageSize),
        sort,
        category,
      };
    },

    /** A visible product by slug; hidden or unknown → NotFound (shoppers cannot tell them apart). */
    async getProduct(slug: string): Promise<CatalogProduct> {
      const row = await products.findVisibleBySlug(slug);
      if (!row) throw new NotFoundError('That product is not available.');
      return pageProduct(row, await offerBook());
    },

    /** Products from the same category, for the "You may also like" strip. */
    async related(product: CatalogProduct, limit = 4): Promise<CatalogProduct[]> {
      const rows = await products.listVisible({ categoryId: product.category.id, sort: 'rating', limit: limit + 1, offset: 0 });
      return toCards(rows.filter((r) => r.id !== product.id).slice(0, limit));
    },

    async home(): Promise<{ featured: CatalogProduct[]; newest: CatalogProduct[]; categories: CategoryWithCount[] }> {
      const [featured, newest, cats] = await Promise.all([
        products.listVisible({ featuredOnly: true, sort: 'rating', limit: 8, offset: 0 }),
        products.listVisible({ sort: 'newest', limit: 8, offset: 0 }),
        categoryNav.get(undefined),
      ]);
      return { featured: await toCards(featured), newest: await toCards(newest), categories: cats };
    },

    categories: () => categoryNav.get(undefined),

    topTags: (category?: CategoryRow) => tagNav.get(category?.id),

    /** Drops every cached listing fact (a catalog change was heard, or made in this process). */
    clearCaches(): void {
      categoryNav.clear();
      tagNav.clear();
      matchCache.clear();
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
