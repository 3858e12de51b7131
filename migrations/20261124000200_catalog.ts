import type { Knex } from 'knex';

/**
 * Categories and products. Prices are integer paise. `search_vector` is kept by a trigger from
 * title (weight A), tags (B), summary and description (C) and indexed with GIN for full-text search.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('categories', (t) => {
    t.increments('id').primary();
    t.string('slug', 80).notNullable().unique();
    t.string('name', 80).notNullable();
    t.string('description', 300).notNullable().defaultTo('');
    t.integer('position').notNullable().defaultTo(0);
    t.timestamps(true, true, false);
  });

  await knex.schema.createTable('products', (t) => {
    t.increments('id').primary();
    t.string('slug', 120).notNullable().unique();
    t.string('title', 160).notNullable();
    t.string('summary', 300).notNullable().defaultTo('');
    t.text('description').notNullable().defaultTo('');
    t.integer('category_id').notNullable().references('categories.id').onDelete('RESTRICT');
    t.text('image_url');
    t.integer('price_paise').notNullable();
    t.smallint('discount_percent').notNullable().defaultTo(0);
    t.decimal('rating', 2, 1).notNullable().defaultTo(0);
    t.integer('rating_count').notNullable().defaultTo(0);
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.string('license_type', 16).notNullable().defaultTo('personal');
    t.boolean('is_visible').notNullable().defaultTo(true);
    t.boolean('is_featured').notNullable().defaultTo(false);
    // The downloadable file: a storage key (never a client file name), its display name and size.
    t.text('file_key');
    t.string('file_name', 200);
    t.bigInteger('file_size');
    t.specificType('search_vector', 'tsvector');
    t.timestamps(true, true, false);
    t.check('price_paise >= 0', [], 'products_price_check');
    t.check('discount_percent BETWEEN 0 AND 90', [], 'products_discount_check');
    t.check('rating BETWEEN 0 AND 5', [], 'products_rating_check');
    t.check("license_type IN ('personal', 'commercial', 'extended')", [], 'products_license_check');
  });

  await knex.raw(`
    CREATE FUNCTION products_search_vector_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', array_to_string(NEW.tags, ' ')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.summary, '') || ' ' || coalesce(NEW.description, '')), 'C');
      RETURN NEW;
    END $$;
    CREATE TRIGGER products_search_vector_trigger
      BEFORE INSERT OR UPDATE OF title, tags, summary, description ON products
      FOR EACH ROW EXECUTE FUNCTION products_search_vector_update();
    CREATE INDEX products_search_idx ON products USING GIN (search_vector);
    CREATE INDEX products_tags_idx ON products USING GIN (tags);
    CREATE INDEX products_visible_created_idx ON products (created_at DESC, id DESC) WHERE is_visible;
    CREATE INDEX products_category_idx ON products (category_id) WHERE is_visible;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('products');
  await knex.raw('DROP FUNCTION IF EXISTS products_search_vector_update()');
  await knex.schema.dropTable('categories');
}
