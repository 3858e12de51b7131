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

    /**
     * Every category in display order, each with how many visible products it holds (a number
     * the catalog_counts triggers keep, not a count over products).
     */
    async listWithCounts(trx: Knex | Knex.Transaction = db): Promise<CategoryWithCount[]> {
      return (await trx('categories')
        .select([...COLUMNS, 'visible_product_count as product_count'])
        .orderBy([{ column: 'position' }, { column: 'name' }])) as CategoryWithCount[];
    },

    async insert(row: NewCategory, trx: Knex | Knex.Transaction = db): Promise<CategoryRow> {
      const [created] = await trx('categories').insert(row).returning(COLUMNS);
      return created as CategoryRow;
    },
  };
}

export type CategoryModel = ReturnType<typeof createCategoryModel>;
