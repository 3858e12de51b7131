import type { Knex } from 'knex';

/**
 * Product views, recorded by the product page's beacon (public/js/product-views.js): the first
 * step of the analytics funnel (view → add to cart → checkout started → paid) and, later, the
 * input of recommendations. Insert-only and built for millions of rows: no counter row is
 * updated per view (one hot row would serialize every view of a popular product); counts are
 * read from the indexes below. created_at is the app clock's time, passed in by the service.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('product_views', (t) => {
    t.bigIncrements('id').primary();
    t.integer('product_id').notNullable().references('products.id').onDelete('CASCADE');
    t.integer('user_id').references('users.id').onDelete('SET NULL');
    // The browser's anonymous id (localStorage `pixelbazaar.anon.v1`, shared with cart events).
    t.string('anonymous_id', 64);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.check("anonymous_id IS NULL OR anonymous_id ~ '^[A-Za-z0-9_-]{8,64}$'", [], 'product_views_anonymous_id_check');
  });
  // Views over a period; views of one product over a period; one viewer's recent views (also
  // the 30-minute repeat check: a viewer's rows in the window, then the product among them).
  await knex.raw(`
    CREATE INDEX product_views_created_idx ON product_views (created_at);
    CREATE INDEX product_views_product_created_idx ON product_views (product_id, created_at);
    CREATE INDEX product_views_user_created_idx ON product_views (user_id, created_at) WHERE user_id IS NOT NULL;
    CREATE INDEX product_views_anonymous_created_idx ON product_views (anonymous_id, created_at) WHERE anonymous_id IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('product_views');
}
