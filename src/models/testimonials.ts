import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export const TESTIMONIAL_STATUSES = ['pending', 'published', 'hidden'] as const;
export type TestimonialStatus = (typeof TESTIMONIAL_STATUSES)[number];

export interface TestimonialRow {
  id: number;
  name: string;
  role: string;
  quote: string;
  rating: number;
  photo_key: string | null;
  product_id: number | null;
  user_id: number | null;
  order_id: number | null;
  status: TestimonialStatus;
  is_featured: boolean;
  position: number;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type NewTestimonial = Pick<TestimonialRow, 'name' | 'role' | 'quote' | 'rating'> & Partial<Pick<TestimonialRow, 'photo_key' | 'product_id' | 'user_id' | 'order_id' | 'status' | 'is_featured' | 'position' | 'published_at' | 'created_at'>>;

/** What the shop's cards show: the testimonial and, when it is on the shop, its product. */
export interface ShopTestimonial {
  id: number;
  name: string;
  role: string;
  quote: string;
  rating: number;
  photo_key: string | null;
  product_slug: string | null;
  product_title: string | null;
}

/** A row of the admin list, with its product's title. */
export interface AdminTestimonialRow extends Omit<TestimonialRow, 'updated_at'> {
  product_title: string | null;
}

export interface TestimonialFilter {
  status?: TestimonialStatus;
  q?: string;
}

/** "50%_off" typed into a search box means those characters, not LIKE wildcards. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const SHOP_COLUMNS = ['t.id', 't.name', 't.role', 't.quote', 't.rating', 't.photo_key', 'p.slug as product_slug', 'p.title as product_title'];
/** Display order: the admin's number, newest first among equals (the partial indexes' order). */
const DISPLAY_ORDER = 't.position ASC, t.id DESC';

export function createTestimonialModel(db: Db) {
  function matching(trx: Handle, f: TestimonialFilter) {
    const q = trx('testimonials');
    if (f.status) q.where('status', f.status);
    if (f.q) q.whereRaw('name ILIKE ?', [`%${likeEscape(f.q)}%`]);
    return q;
  }

  /** Products a card may link to: on the shop now (hidden or archived ones show no link). */
  const shownProduct = (j: Knex.JoinClause) => j.on('p.id', 't.product_id').andOn('p.is_visible', db.raw('true'));

  return {
    async insert(row: NewTestimonial, trx: Handle = db): Promise<TestimonialRow> {
      const [created] = await trx('testimonials').insert(row).returning('*');
      return created as TestimonialRow;
    },

    async findById(id: number, trx: Handle = db): Promise<TestimonialRow | undefined> {
      return (await trx('testimonials').where({ id }).first()) as TestimonialRow | undefined;
    },

    async lockById(id: number, trx: Knex.Transaction): Promise<TestimonialRow | undefined> {
      return (await trx('testimonials').where({ id }).forUpdate().first()) as TestimonialRow | undefined;
    },

    async findByOrder(orderId: number, trx: Handle = db): Promise<TestimonialRow | undefined> {
      return (await trx('testimonials').where({ order_id: orderId }).first()) as TestimonialRow | undefined;
    },

    async update(id: number, changes: Partial<Omit<TestimonialRow, 'id' | 'created_at' | 'updated_at'>>, trx: Handle = db): Promise<TestimonialRow> {
      const [row] = await trx('testimonials').where({ id }).update({ ...changes, updated_at: trx.fn.now() }).returning('*');
      return row as TestimonialRow;
    },

    async delete(id: number, trx: Handle = db): Promise<void> {
      await trx('testimonials').where({ id }).delete();
    },

    /** A product the admin links by its address, hidden or archived ones too. */
    async productBySlug(slug: string, trx: Handle = db): Promise<{ id: number; slug: string; title: string } | undefined> {
      return (await trx('products').where({ slug }).first('id', 'slug', 'title')) as { id: number; slug: string; title: string } | undefined;
    },

    async productById(id: number, trx: Handle = db): Promise<{ id: number; slug: string; title: string } | undefined> {
      return (await trx('products').where({ id }).first('id', 'slug', 'title')) as { id: number; slug: string; title: string } | undefined;
    },

    /** The home page's: featured and published, in display order, through testimonials_home_idx. */
    async featured(limit: number, trx: Handle = db): Promise<ShopTestimonial[]> {
      return (await trx('testimonials as t')
        .leftJoin('products as p', shownProduct)
        .where('t.status', 'published')
        .where('t.is_featured', true)
        .select(SHOP_COLUMNS)
        .orderByRaw(DISPLAY_ORDER)
        .limit(limit)) as ShopTestimonial[];
    },

    /** A product page's: the published ones about it, through testimonials_product_idx. */
    async forProduct(productSlug: string, limit: number, trx: Handle = db): Promise<ShopTestimonial[]> {
      return (await trx('testimonials as t')
        .join('products as p', shownProduct)
        .where('p.slug', productSlug)
        .where('t.status', 'published')
        .select(SHOP_COLUMNS)
        .orderByRaw(DISPLAY_ORDER)
        .limit(limit)) as ShopTestimonial[];
    },

    /** A page of the admin list, newest first: ids by the index alone, then those rows. */
    async adminList(f: TestimonialFilter, limit: number, offset: number, trx: Handle = db): Promise<AdminTestimonialRow[]> {
      const page = matching(trx, f).select('id').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).offset(offset);
      return (await trx('testimonials as t')
        .leftJoin('products as p', 'p.id', 't.product_id')
        .whereIn('t.id', page)
        .select('t.id', 't.name', 't.role', 't.quote', 't.rating', 't.photo_key', 't.product_id', 't.user_id', 't.order_id', 't.status', 't.is_featured', 't.position', 't.published_at', 't.created_at', 'p.title as product_title')
        .orderBy([{ column: 't.created_at', order: 'desc' }, { column: 't.id', order: 'desc' }])) as AdminTestimonialRow[];
    },

    /** How many match the admin filter, counting at most `cap`. */
    async adminCount(f: TestimonialFilter, cap: number, trx: Handle = db): Promise<number> {
      const res = await trx.raw('SELECT count(*)::int AS n FROM (?) AS capped', [matching(trx, f).select(trx.raw('1')).limit(cap)]);
      return (res.rows as { n: number }[])[0]!.n;
    },
  };
}

export type TestimonialModel = ReturnType<typeof createTestimonialModel>;
