import type { Knex } from 'knex';

/**
 * Testimonials: quotes from buyers (left from a paid order, one per order, waiting as pending
 * until an admin publishes them) or added by an admin, shown on the home page (featured ones)
 * and on the product they are about. A change notifies `catalog_changed` like products do, so
 * every web process drops the guest pages that show them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('testimonials', (t) => {
    t.increments('id').primary();
    t.string('name', 80).notNullable();
    // "Designer, Pune": a role, a company or a city; may be empty.
    t.string('role', 80).notNullable().defaultTo('');
    t.text('quote').notNullable();
    t.smallint('rating').notNullable();
    // Stored as <photo_key>-<width>.webp by the image service, like product images.
    t.string('photo_key', 120);
    t.integer('product_id').references('products.id').onDelete('SET NULL');
    t.integer('user_id').references('users.id').onDelete('SET NULL');
    t.integer('order_id').references('orders.id').onDelete('SET NULL');
    t.string('status', 20).notNullable().defaultTo('pending');
    t.boolean('is_featured').notNullable().defaultTo(false);
    t.integer('position').notNullable().defaultTo(0);
    t.timestamp('published_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    ALTER TABLE testimonials
      ADD CONSTRAINT testimonials_rating_check CHECK (rating BETWEEN 1 AND 5),
      ADD CONSTRAINT testimonials_status_check CHECK (status IN ('pending', 'published', 'hidden')),
      ADD CONSTRAINT testimonials_quote_length_check CHECK (char_length(quote) BETWEEN 1 AND 1000);
    -- One testimonial per order: the buyer's second try (or a double click) meets this.
    CREATE UNIQUE INDEX testimonials_order_idx ON testimonials (order_id) WHERE order_id IS NOT NULL;
    CREATE INDEX testimonials_user_idx ON testimonials (user_id) WHERE user_id IS NOT NULL;
    -- The home page: featured and published, in display order (newest first among equals).
    CREATE INDEX testimonials_home_idx ON testimonials (position, id DESC) WHERE status = 'published' AND is_featured;
    -- A product page: its published testimonials in display order.
    CREATE INDEX testimonials_product_idx ON testimonials (product_id, position, id DESC) WHERE status = 'published';
    -- The admin list: newest first, overall and per status; search by any part of a name.
    CREATE INDEX testimonials_created_idx ON testimonials (created_at DESC, id DESC);
    CREATE INDEX testimonials_status_created_idx ON testimonials (status, created_at DESC, id DESC);
    CREATE INDEX testimonials_name_trgm_idx ON testimonials USING GIN (name gin_trgm_ops);
    CREATE TRIGGER testimonials_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON testimonials
      FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS testimonials_catalog_changed ON testimonials');
  await knex.schema.dropTable('testimonials');
}
