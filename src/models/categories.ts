import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export interface CategoryRow {
  id: number;
  slug: string;
  name: string;
  description: string;
  position: number;
}

export interface CategoryWithCount extends CategoryRow {
  product_count: number;
}

export interface NewCategory {
  slug: string;
  name: string;
  description?: string;
  position?: number;
}

const COLUMNS = ['id', 'slug', 'name', 'description', 'position'];

export function createCategoryModel(db: Db) {
  return {
    async findById(id: number, trx: Knex | Knex.Transaction = db): Promise<CategoryRow | undefined> {
      return (await trx('categories').select(COLUMNS).where({ id }).first()) as CategoryRow | undefined;
    },

    async findBySlug(slug: string, trx: Knex | Knex.Transaction = db): Promise<CategoryRow | undefined> {
      return (await trx('categories').select(COLUMNS).where({ slug }).first()) as CategoryRow | undefined;
    },

    /**
     * Every category in display order, each with how many visible products it holds (a number
     * the catalog_counts triggers keep, not a count over products).
     */
    async listWithCounts(trx: Knex | Knex.Transaction = db): Promise<CategoryWithCount[]> {
      return (await trx('categories')
        .select([...COLUMNS, 'visible_product_count as product_count'])
        .orderBy([{ column: 'position' }, { column: 'name' }])) as CategoryWithCount[];
    },

    /** Every category in display order with how many products it holds, hidden and archived ones too. */
    async listWithAllCounts(trx: Knex | Knex.Transaction = db): Promise<(CategoryWithCount & { all_count: number })[]> {
      const res = await trx.raw(
        `SELECT c.id, c.slug, c.name, c.description, c.position, c.visible_product_count AS product_count,
                (SELECT count(*) FROM products p WHERE p.category_id = c.id)::int AS all_count
         FROM categories c ORDER BY c.position, c.name`,
      );
      return res.rows as (CategoryWithCount & { all_count: number })[];
    },

    async lockById(id: number, trx: Knex.Transaction): Promise<CategoryRow | undefined> {
      return (await trx('categories').select(COLUMNS).where({ id }).forUpdate().first()) as CategoryRow | undefined;
    },

    async update(id: number, changes: Partial<Omit<CategoryRow, 'id'>>, trx: Knex | Knex.Transaction = db): Promise<CategoryRow> {
      const [row] = await trx('categories').where({ id }).update({ ...changes, updated_at: trx.fn.now() }).returning(COLUMNS);
      return row as CategoryRow;
    },

    async hasProducts(id: number, trx: Knex | Knex.Transaction = db): Promise<boolean> {
      return Boolean(await trx('products').where({ category_id: id }).first('id'));
    },

    /** Moves every product of one category to another; returns how many moved. */
    async moveProducts(fromId: number, toId: number, trx: Knex.Transaction): Promise<number> {
      return trx('products').where({ category_id: fromId }).update({ category_id: toId, updated_at: trx.fn.now() });
    },

    async delete(id: number, trx: Knex | Knex.Transaction = db): Promise<void> {
      await trx('categories').where({ id }).delete();
    },

    async nextPosition(trx: Knex | Knex.Transaction = db): Promise<number> {
      const [row] = await trx('categories').max<{ max: number | null }[]>('position as max');
      return Number(row?.max ?? -1) + 1;
    },

    async insert(row: NewCategory, trx: Knex | Knex.Transaction = db): Promise<CategoryRow> {
      const [created] = await trx('categories').insert(row).returning(COLUMNS);
      return created as CategoryRow;
    },
  };
}

export type CategoryModel = ReturnType<typeof createCategoryModel>;
