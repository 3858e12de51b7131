import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export type LicenseType = 'personal' | 'commercial' | 'extended';
export const LICENSE_TYPES: readonly LicenseType[] = ['personal', 'commercial', 'extended'];

/** A product as shoppers see it: joined with its category's slug and name. */
export interface ProductView {
  id: number;
  slug: string;
  title: string;
  summary: string;
  description: string;
  image_url: string | null;
  price_paise: number;
  discount_percent: number;
  rating: number;
  rating_count: number;
  tags: string[];
  license_type: LicenseType;
  is_featured: boolean;
  category_id: number;
  category_slug: string;
  category_name: string;
  created_at: Date;
  updated_at: Date;
}

export interface NewProduct {
  slug: string;
  title: string;
  summary?: string;
  description?: string;
  category_id: number;
  image_url?: string | null;
  price_paise: number;
  discount_percent?: number;
  rating?: number;
  rating_count?: number;
  tags?: string[];
  license_type?: LicenseType;
  is_visible?: boolean;
  is_featured?: boolean;
  created_at?: Date;
}

export interface CartProductRow {
  id: number;
  slug: string;
  title: string;
  image_url: string | null;
  price_paise: number;
  discount_percent: number;
  license_type: LicenseType;
  is_visible: boolean;
}

export type ProductSort = 'relevance' | 'newest' | 'price-asc' | 'price-desc' | 'rating';

export interface ProductListQuery {
  /** A to_tsquery expression made of sanitized words only (see lib/search.ts). */
  tsQuery?: string;
  categoryId?: number;
  tag?: string;
  featuredOnly?: boolean;
  sort: ProductSort;
  limit: number;
  offset: number;
}

const LISTING_COLUMNS = [
  'p.id',
  'p.slug',
  'p.title',
  'p.summary',
  'p.description',
  'p.image_url',
  'p.price_paise',
  'p.discount_percent',
  'p.rating',
  'p.rating_count',
  'p.tags',
  'p.license_type',
  'p.is_featured',
  'p.category_id',
  'c.slug as category_slug',
  'c.name as category_name',
  'p.created_at',
  'p.updated_at',
];

// The price a shopper pays, so "price" sorts match what the cards show.
const SALE_PRICE_SQL = '(p.price_paise * (100 - p.discount_percent))';

export function createProductModel(db: Db) {
  function visible(trx: Knex | Knex.Transaction) {
    return trx('products as p').join('categories as c', 'c.id', 'p.category_id').where('p.is_visible', true);
  }

  return {
    /**
     * One page of visible products and the total number matching. The total rides along as a
     * window count so a page costs one query; only a page past the end needs a second one.
     */
    async listVisible(q: ProductListQuery, trx: Knex | Knex.Transaction = db): Promise<{ rows: ProductView[]; total: number }> {
      const base = visible(trx);
      if (q.categoryId !== undefined) base.where('p.category_id', q.categoryId);
      if (q.tag !== undefined) base.whereRaw('p.tags @> ARRAY[?]::text[]', [q.tag]);
      if (q.featuredOnly) base.where('p.is_featured', true);
      if (q.tsQuery !== undefined) base.whereRaw("p.search_vector @@ to_tsquery('english', ?)", [q.tsQuery]);

      const query = base.clone().select(LISTING_COLUMNS).select(trx.raw('count(*) OVER () AS total_count'));
      switch (q.sort) {
        case 'relevance':
          if (q.tsQuery !== undefined) {
            query.orderByRaw("ts_rank(p.search_vector, to_tsquery('english', ?)) DESC", [q.tsQuery]);
          }
          query.orderBy('p.created_at', 'desc');
          break;
        case 'newest':
          query.orderBy('p.created_at', 'desc');
          break;
        case 'price-asc':
          query.orderByRaw(`${SALE_PRICE_SQL} ASC`);
          break;
        case 'price-desc':
          query.orderByRaw(`${SALE_PRICE_SQL} DESC`);
          break;
        case 'rating':
          query.orderBy([
            { column: 'p.rating', order: 'desc' },
            { column: 'p.rating_count', order: 'desc' },
          ]);
          break;
      }
      query.orderBy('p.id', 'desc').limit(q.limit).offset(q.offset);

      const rows = (await query) as (ProductView & { total_count: number })[];
      let total = rows[0]?.total_count ?? 0;
      if (rows.length === 0 && q.offset > 0) {
        const counted = (await base.clone().count<{ count: number }[]>('* as count')) as { count: number }[];
        total = Number(counted[0]?.count ?? 0);
      }
      return { rows: rows.map(({ total_count: _ignored, ...row }) => row), total };
    },

    async findVisibleBySlug(slug: string, trx: Knex | Knex.Transaction = db): Promise<ProductView | undefined> {
      return (await visible(trx).select(LISTING_COLUMNS).where('p.slug', slug).first()) as ProductView | undefined;
    },

    /** The most used tags among visible products (optionally in one category), for filter chips. */
    async topTags(opts: { categoryId?: number; limit: number }, trx: Knex | Knex.Transaction = db) {
      const q = trx('products as p')
        .crossJoin(trx.raw('unnest(p.tags) AS tag'))
        .where('p.is_visible', true)
        .select('tag')
        .count<{ tag: string; count: number }[]>('* as count')
        .groupBy('tag')
        .orderBy([
          { column: 'count', order: 'desc' },
          { column: 'tag', order: 'asc' },
        ])
        .limit(opts.limit);
      if (opts.categoryId !== undefined) q.where('p.category_id', opts.categoryId);
      return (await q).map((r) => ({ tag: r.tag, count: Number(r.count) }));
    },

    /** Products by id with what a cart needs, hidden ones included (the caller decides). */
    async findForCart(ids: number[], trx: Knex | Knex.Transaction = db): Promise<CartProductRow[]> {
      if (ids.length === 0) return [];
      return (await trx('products')
        .whereIn('id', ids)
        .select('id', 'slug', 'title', 'image_url', 'price_paise', 'discount_percent', 'license_type', 'is_visible')) as CartProductRow[];
    },

    async insert(row: NewProduct, trx: Knex | Knex.Transaction = db): Promise<{ id: number; slug: string }> {
      const [created] = await trx('products').insert(row).returning(['id', 'slug']);
      return created as { id: number; slug: string };
    },

    async count(trx: Knex | Knex.Transaction = db): Promise<number> {
      const [row] = await trx('products').count<{ count: number }[]>('* as count');
      return Number(row?.count ?? 0);
    },
  };
}

export type ProductModel = ReturnType<typeof createProductModel>;
