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
    async findBySlug(slug: string, trx: Knex | Knex.Transaction = db): Promise<CategoryRow | undefined> {
      return (await trx('categories').select(COLUMNS).where({ slug }).first()) as CategoryRow | undefined;
    },

    /** Every category in display order, each with how many visible products it holds. */
    async listWithCounts(trx: Knex | Knex.Transaction = db): Promise<CategoryWithCount[]> {
      const rows = await trx('categories as c')
        .leftJoin('products as p', (j) => j.on('p.category_id', 'c.id').andOn('p.is_visible', trx.raw('true')))
        .select(COLUMNS.map((c) => `c.${c}`))
        .count('p.id as product_count')
        .groupBy('c.id')
        .orderBy([{ column: 'c.position' }, { column: 'c.name' }]);
      return rows.map((r) => ({ ...(r as unknown as CategoryRow), product_count: Number(r.product_count) }));
    },

    async insert(row: NewCategory, trx: Knex | Knex.Transaction = db): Promise<CategoryRow> {
      const [created] = await trx('categories').insert(row).returning(COLUMNS);
      return created as CategoryRow;
    },
  };
}

export type CategoryModel = ReturnType<typeof createCategoryModel>;
