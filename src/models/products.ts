import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export type LicenseType = 'personal' | 'commercial' | 'extended';
export const LICENSE_TYPES: readonly LicenseType[] = ['personal', 'commercial', 'extended'];

/** What a product card shows (a listing row): everything but the long description. */
export interface ProductCardRow {
  id: number;
  slug: string;
  title: string;
  summary: string;
  image_url: string | null;
  /** Set for uploaded images, stored in several widths (services/image-service.ts). */
  image_key: string | null;
  price_paise: number;
  discount_percent: number;
  rating: number;
  rating_count: number;
  tags: string[];
  license_type: LicenseType;
  is_featured: boolean;
  category_id: number;
  created_at: Date;
}

/** A product as its own page shows it: the card plus the description and its category's names. */
export interface ProductView extends ProductCardRow {
  description: string;
  category_slug: string;
  category_name: string;
  updated_at: Date;
}

/** A whole products row, as the admin area edits it. */
export interface ProductRow {
  id: number;
  slug: string;
  title: string;
  summary: string;
  description: string;
  category_id: number;
  image_url: string | null;
  image_key: string | null;
  price_paise: number;
  discount_percent: number;
  sale_price_paise: number;
  rating: number;
  rating_count: number;
  tags: string[];
  license_type: LicenseType;
  is_visible: boolean;
  is_featured: boolean;
  file_key: string | null;
  file_name: string | null;
  file_size: number | null;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One row of the admin product list. */
export interface AdminProductListRow {
  id: number;
  slug: string;
  title: string;
  image_url: string | null;
  image_key: string | null;
  price_paise: number;
  discount_percent: number;
  sale_price_paise: number;
  is_visible: boolean;
  is_featured: boolean;
  archived_at: Date | null;
  category_id: number;
  file_name: string | null;
  updated_at: Date;
}

export type AdminProductStatus = 'visible' | 'hidden' | 'archived';
export type AdminProductSort = 'newest' | 'updated' | 'title' | 'price-asc' | 'price-desc';
export interface AdminProductFilter {
  /** Any part of a title or slug, or a whole tag. */
  q?: string;
  categoryId?: number;
  status?: AdminProductStatus;
}

const ADMIN_SORTS: Record<AdminProductSort, string> = {
  newest: 'created_at DESC, id DESC',
  updated: 'updated_at DESC, id DESC',
  title: 'title_key ASC, id ASC',
  'price-asc': 'price_paise ASC, id ASC',
  'price-desc': 'price_paise DESC, id DESC',
};

/** "50%_off" typed into a search box means those characters, not LIKE wildcards. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

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
  image_key?: string | null;
  file_key?: string | null;
  file_name?: string | null;
  file_size?: number | null;
  created_at?: Date;
}

export interface CartProductRow {
  id: number;
  category_id: number;
  slug: string;
  title: string;
  image_url: string | null;
  price_paise: number;
  discount_percent: number;
  license_type: LicenseType;
  is_visible: boolean;
}

export type ProductSort = 'relevance' | 'newest' | 'price-asc' | 'price-desc' | 'rating';

/** Which visible products a listing holds. */
export interface ProductFilter {
  /** A to_tsquery expression made of sanitized words only (see lib/search.ts). */
  tsQuery?: string;
  categoryId?: number;
  tag?: string;
  featuredOnly?: boolean;
}

export interface ProductListQuery extends ProductFilter {
  sort: ProductSort;
  limit: number;
  offset: number;
}

const CARD_COLUMNS = ['id', 'slug', 'title', 'summary', 'image_url', 'image_key', 'price_paise', 'discount_percent', 'rating', 'rating_count', 'tags', 'license_type', 'is_featured', 'category_id', 'created_at'];
const PAGE_COLUMNS = [...CARD_COLUMNS.map((c) => `p.${c}`), 'p.description', 'p.updated_at', 'c.slug as category_slug', 'c.name as category_name'];

/**
 * Each sort as the keys its index holds (migrations/…_catalog_at_scale.ts), ending in the id
 * tie-break so pages never overlap. `k` names the keys the page query carries outwards.
 */
function sortKeys(sort: ProductSort, tsQuery: string | undefined): { sql: string; dir: 'ASC' | 'DESC'; bindings?: string[] }[] {
  switch (sort) {
    case 'relevance':
      return [
        ...(tsQuery !== undefined ? [{ sql: "ts_rank(search_vector, to_tsquery('english', ?))", dir: 'DESC' as const, bindings: [tsQuery] }] : []),
        { sql: 'created_at', dir: 'DESC' },
        { sql: 'id', dir: 'DESC' },
      ];
    case 'newest':
      return [{ sql: 'created_at', dir: 'DESC' }, { sql: 'id', dir: 'DESC' }];
    case 'price-asc':
      return [{ sql: 'sale_price_paise', dir: 'ASC' }, { sql: 'id', dir: 'ASC' }];
    case 'price-desc':
      return [{ sql: 'sale_price_paise', dir: 'DESC' }, { sql: 'id', dir: 'DESC' }];
    case 'rating':
      return [{ sql: 'rating', dir: 'DESC' }, { sql: 'rating_count', dir: 'DESC' }, { sql: 'id', dir: 'DESC' }];
  }
}

export function createProductModel(db: Db) {
  /** Visible products matching a filter, on the bare table so each sort's index applies. */
  function matching(trx: Knex | Knex.Transaction, f: ProductFilter) {
    const q = trx('products').where('is_visible', true);
    if (f.categoryId !== undefined) q.where('category_id', f.categoryId);
    if (f.tag !== undefined) q.whereRaw('tags @> ARRAY[?]::text[]', [f.tag]);
    if (f.featuredOnly) q.where('is_featured', true);
    if (f.tsQuery !== undefined) q.whereRaw("search_vector @@ to_tsquery('english', ?)", [f.tsQuery]);
    return q;
  }

  function adminMatching(trx: Knex | Knex.Transaction, f: AdminProductFilter) {
    const q = trx('products');
    if (f.categoryId !== undefined) q.where('category_id', f.categoryId);
    if (f.status === 'visible') q.where('is_visible', true);
    if (f.status === 'hidden') q.where('is_visible', false).whereNull('archived_at');
    if (f.status === 'archived') q.whereNotNull('archived_at');
    if (f.q) {
      const like = `%${likeEscape(f.q)}%`;
      // Each arm has its own index (trigram on title and slug, GIN on tags): a BitmapOr.
      q.where((w) => w.whereRaw('title ILIKE ?', [like]).orWhereRaw('slug ILIKE ?', [like]).orWhereRaw('tags @> ARRAY[?]::text[]', [f.q!.toLowerCase()]));
    }
    return q;
  }

  return {
    /**
     * One page of product cards. The page is chosen on ids alone (an index-only walk of the
     * sort's index, however deep the offset), then only those rows are read: a deferred join.
     * No total rides along; countVisible gives one, capped.
     */
    async listVisible(q: ProductListQuery, trx: Knex | Knex.Transaction = db): Promise<ProductCardRow[]> {
      const keys = sortKeys(q.sort, q.tsQuery);
      const page = matching(trx, q).select('id');
      keys.forEach((k, i) => {
        if (k.sql !== 'id') page.select(trx.raw(`${k.sql} AS k${i}`, k.bindings ?? []));
        page.orderByRaw(`${k.sql} ${k.dir}`, k.bindings ?? []);
      });
      page.limit(q.limit).offset(q.offset);
      const outer = keys.map((k, i) => `${k.sql === 'id' ? 'page.id' : `page.k${i}`} ${k.dir}`).join(', ');
      return (await trx
        .select(CARD_COLUMNS.map((c) => `p.${c}`))
        .from(page.as('page'))
        .join('products as p', 'p.id', 'page.id')
        .orderByRaw(outer)) as ProductCardRow[];
    },

    /**
     * A narrowed listing (a search, a tag) in one statement: every match is read once, for the
     * exact total and the ids of the first `limit` in sort order. A relevance sort must rank
     * every match anyway, so the count costs nothing more; the caller keeps the ids for the
     * following pages.
     */
    async matchIds(f: ProductFilter, sort: ProductSort, limit: number, trx: Knex | Knex.Transaction = db): Promise<{ ids: number[]; total: number }> {
      const keys = sortKeys(sort, f.tsQuery);
      const matches = matching(trx, f).select('id');
      keys.forEach((k, i) => {
        if (k.sql !== 'id') matches.select(trx.raw(`${k.sql} AS k${i}`, k.bindings ?? []));
      });
      const order = keys.map((k, i) => `${k.sql === 'id' ? 'id' : `k${i}`} ${k.dir}`).join(', ');
      const res = await trx.raw(`WITH m AS MATERIALIZED (?) SELECT (SELECT count(*) FROM m)::int AS total, ARRAY(SELECT id FROM m ORDER BY ${order} LIMIT ?) AS ids`, [matches, limit]);
      return (res.rows as { ids: number[]; total: number }[])[0]!;
    },

    /** How many visible products carry a tag (in one category or all): a kept number, not a count. */
    async countTagged(tag: string, categoryId: number | undefined, trx: Knex | Knex.Transaction = db): Promise<number> {
      const q = trx('category_tag_counts').where({ tag }).sum<{ n: number | null }[]>('visible_count as n');
      if (categoryId !== undefined) q.where('category_id', categoryId);
      return Number((await q)[0]?.n ?? 0);
    },

    /** Cards of visible products by id, in the order given (ids no longer visible are left out). */
    async findCards(ids: number[], trx: Knex | Knex.Transaction = db): Promise<ProductCardRow[]> {
      if (ids.length === 0) return [];
      const rows = (await trx('products').select(CARD_COLUMNS).where('is_visible', true).whereIn('id', ids)) as ProductCardRow[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },

    async findVisibleBySlug(slug: string, trx: Knex | Knex.Transaction = db): Promise<ProductView | undefined> {
      return (await trx('products as p').join('categories as c', 'c.id', 'p.category_id').where({ 'p.is_visible': true, 'p.slug': slug }).select(PAGE_COLUMNS).first()) as ProductView | undefined;
    },

    /** The most used tags among visible products (optionally in one category), for filter chips. */
    async topTags(opts: { categoryId?: number; limit: number }, trx: Knex | Knex.Transaction = db) {
      const q = trx('category_tag_counts').select('tag').groupBy('tag').sum<{ tag: string; count: number }[]>('visible_count as count');
      if (opts.categoryId !== undefined) q.where('category_id', opts.categoryId);
      const rows = await q.orderBy([{ column: 'count', order: 'desc' }, { column: 'tag', order: 'asc' }]).limit(opts.limit);
      return rows.map((r) => ({ tag: r.tag, count: Number(r.count) }));
    },

    /** Products by id with what a cart needs, hidden ones included (the caller decides). */
    async findForCart(ids: number[], trx: Knex | Knex.Transaction = db): Promise<CartProductRow[]> {
      if (ids.length === 0) return [];
      return (await trx('products')
        .whereIn('id', ids)
        .select('id', 'category_id', 'slug', 'title', 'image_url', 'price_paise', 'discount_percent', 'license_type', 'is_visible')) as CartProductRow[];
    },

    async insert(row: NewProduct, trx: Knex | Knex.Transaction = db): Promise<{ id: number; slug: string }> {
      const [created] = await trx('products').insert(row).returning(['id', 'slug']);
      return created as { id: number; slug: string };
    },

    /** The admin list: every product (hidden and archived too), filtered and sorted by an index. */
    async adminList(f: AdminProductFilter, sort: AdminProductSort, limit: number, offset: number, trx: Knex | Knex.Transaction = db): Promise<AdminProductListRow[]> {
      // Ids first, by the sort's index alone (index-only however deep), then those rows: a deferred join.
      const page = adminMatching(trx, f).select('id').orderByRaw(ADMIN_SORTS[sort]).limit(limit).offset(offset);
      const rows = (await trx('products')
        .whereIn('id', page)
        .select('id', 'slug', 'title', 'image_url', 'image_key', 'price_paise', 'discount_percent', 'sale_price_paise', 'is_visible', 'is_featured', 'archived_at', 'category_id', 'file_name', 'updated_at', 'created_at', 'title_key')
        .orderByRaw(ADMIN_SORTS[sort])) as AdminProductListRow[];
      return rows;
    },

    /** How many products the admin filter matches, counting at most `cap`. */
    async adminCount(f: AdminProductFilter, cap: number, trx: Knex | Knex.Transaction = db): Promise<number> {
      const res = await trx.raw('SELECT count(*)::int AS n FROM (?) AS capped', [adminMatching(trx, f).select(trx.raw('1')).limit(cap)]);
      return (res.rows as { n: number }[])[0]!.n;
    },

    async findById(id: number, trx: Knex | Knex.Transaction = db): Promise<ProductRow | undefined> {
      return (await trx('products').where({ id }).first()) as ProductRow | undefined;
    },

    /** The row, locked until the transaction ends (an edit reads, compares and writes it). */
    async lockById(id: number, trx: Knex.Transaction): Promise<ProductRow | undefined> {
      return (await trx('products').where({ id }).forUpdate().first()) as ProductRow | undefined;
    },

    async update(id: number, changes: Partial<Omit<ProductRow, 'id' | 'sale_price_paise' | 'created_at'>>, trx: Knex | Knex.Transaction = db): Promise<ProductRow> {
      const [row] = await trx('products').where({ id }).update({ ...changes, updated_at: trx.fn.now() }).returning('*');
      return row as ProductRow;
    },

    /** Shows or hides products (never an archived one); returns the rows that changed, as they were. */
    async setVisibility(ids: number[], visible: boolean, trx: Knex.Transaction): Promise<{ id: number; title: string }[]> {
      if (ids.length === 0) return [];
      return (await trx('products')
        .whereIn('id', ids)
        .whereNull('archived_at')
        .where('is_visible', !visible)
        .update({ is_visible: visible, updated_at: trx.fn.now() })
        .returning(['id', 'title'])) as { id: number; title: string }[];
    },

    async delete(id: number, trx: Knex | Knex.Transaction = db): Promise<void> {
      await trx('products').where({ id }).delete();
    },

    /** Whether any order (paid or not) holds the product: then its row must stay (order items refer to it). */
    async inAnyOrder(id: number, trx: Knex | Knex.Transaction = db): Promise<boolean> {
      return Boolean(await trx('order_items').where({ product_id: id }).first('id'));
    },

    async slugTaken(slug: string, exceptId: number | undefined, trx: Knex | Knex.Transaction = db): Promise<boolean> {
      const q = trx('products').where({ slug });
      if (exceptId !== undefined) q.whereNot({ id: exceptId });
      return Boolean(await q.first('id'));
    },

    async count(trx: Knex | Knex.Transaction = db): Promise<number> {
      const [row] = await trx('products').count<{ count: number }[]>('* as count');
      return Number(row?.count ?? 0);
    },
  };
}

export type ProductModel = ReturnType<typeof createProductModel>;
