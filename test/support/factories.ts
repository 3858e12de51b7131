import type { Db } from '../../src/db/knex.js';
import type { CategoryRow, NewCategory } from '../../src/models/categories.js';
import { createCategoryModel } from '../../src/models/categories.js';
import { createProductModel, type NewProduct } from '../../src/models/products.js';

/** Rows for tests, each unique, with overridable fields. */
let n = 0;
const next = () => ++n;

export async function makeCategory(db: Db, over: Partial<NewCategory> = {}): Promise<CategoryRow> {
  const i = next();
  return createCategoryModel(db).insert({ slug: `category-${i}`, name: `Category ${i}`, ...over });
}

export async function makeProduct(db: Db, over: Partial<NewProduct> = {}): Promise<{ id: number; slug: string }> {
  const i = next();
  const category_id = over.category_id ?? (await makeCategory(db)).id;
  return createProductModel(db).insert({
    slug: `product-${i}`,
    title: `Product ${i}`,
    summary: `Summary of product ${i}`,
    description: `Description of product ${i}`,
    price_paise: 10_000 + i * 100,
    image_url: `/img/demo/product-${i}.svg`,
    ...over,
    category_id,
  });
}
