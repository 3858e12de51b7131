import type { Knex } from 'knex';

/**
 * Deals: festive/anniversary offers that apply by themselves in their window, and coupon codes.
 * A coupon use is a row in offer_redemptions tied to the order that carries it; whether it counts
 * follows that order's status (held while pending, used when paid or refunded, released when the
 * order fails or expires), so no job has to release holds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('offers', (t) => {
    t.increments('id').primary();
    t.string('name', 80).notNullable();
    t.string('kind', 16).notNullable(); // automatic | coupon
    t.string('code', 40); // coupons only, stored as typed; unique case-insensitively
    t.string('discount_type', 16).notNullable(); // percent | fixed
    t.integer('amount').notNullable(); // percent 1–90, or paise
    t.string('scope', 16).notNullable().defaultTo('all'); // all | categories | products
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.timestamp('ends_at', { useTz: true }).notNullable();
    t.integer('min_cart_paise');
    t.integer('max_uses');
    t.integer('max_uses_per_customer');
    t.string('banner_text', 140);
    t.boolean('is_active').notNullable().defaultTo(true);
    t.timestamps(true, true, false);
    t.check("kind IN ('automatic', 'coupon')", [], 'offers_kind_check');
    t.check("discount_type IN ('percent', 'fixed')", [], 'offers_discount_type_check');
    t.check("scope IN ('all', 'categories', 'products')", [], 'offers_scope_check');
    t.check("(kind = 'coupon') = (code IS NOT NULL)", [], 'offers_code_check');
    t.check("discount_type <> 'percent' OR amount BETWEEN 1 AND 90", [], 'offers_percent_check');
    t.check('amount > 0', [], 'offers_amount_check');
    t.check('ends_at > starts_at', [], 'offers_window_check');
  });
  await knex.raw('CREATE UNIQUE INDEX offers_code_unique ON offers (lower(code)) WHERE code IS NOT NULL');
  // The storefront reads the active offers that have not ended; the admin list sorts by start.
  await knex.raw('CREATE INDEX offers_live_idx ON offers (ends_at) WHERE is_active');
  await knex.raw('CREATE INDEX offers_admin_idx ON offers (starts_at DESC, id DESC)');

  await knex.schema.createTable('offer_categories', (t) => {
    t.integer('offer_id').notNullable().references('offers.id').onDelete('CASCADE');
    t.integer('category_id').notNullable().references('categories.id').onDelete('CASCADE');
    t.primary(['offer_id', 'category_id']);
  });
  await knex.schema.createTable('offer_products', (t) => {
    t.integer('offer_id').notNullable().references('offers.id').onDelete('CASCADE');
    t.integer('product_id').notNullable().references('products.id').onDelete('CASCADE');
    t.primary(['offer_id', 'product_id']);
  });

  await knex.schema.createTable('offer_redemptions', (t) => {
    t.increments('id').primary();
    t.integer('offer_id').notNullable().references('offers.id').onDelete('RESTRICT');
    t.integer('order_id').notNullable().unique().references('orders.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id').onDelete('RESTRICT');
    t.string('code', 40).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['offer_id', 'user_id']);
  });

  await knex.schema.alterTable('carts', (t) => {
    t.string('coupon_code', 40);
  });
  // What priced each line and the order: the offer (automatic) and the coupon, with their names
  // copied so a later edit or deletion never changes a receipt.
  await knex.schema.alterTable('order_items', (t) => {
    t.integer('offer_id').references('offers.id').onDelete('SET NULL');
    t.string('offer_name', 80);
    t.integer('coupon_discount_paise').notNullable().defaultTo(0);
    t.index(['offer_id'], 'order_items_offer_idx');
  });
  await knex.schema.alterTable('orders', (t) => {
    t.integer('coupon_offer_id').references('offers.id').onDelete('SET NULL');
    t.string('coupon_code', 40);
    t.string('coupon_name', 80);
    t.integer('coupon_discount_paise').notNullable().defaultTo(0);
  });
  await knex.raw('CREATE INDEX orders_coupon_offer_idx ON orders (coupon_offer_id) WHERE coupon_offer_id IS NOT NULL');

  // Offers change prices on catalog pages: every process clears its page and price caches.
  for (const table of ['offers', 'offer_categories', 'offer_products']) {
    await knex.raw(`CREATE TRIGGER ${table}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['offers', 'offer_categories', 'offer_products']) await knex.raw(`DROP TRIGGER IF EXISTS ${table}_catalog_changed ON ${table}`);
  await knex.raw('DROP INDEX IF EXISTS orders_coupon_offer_idx');
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumn('coupon_offer_id');
    t.dropColumn('coupon_code');
    t.dropColumn('coupon_name');
    t.dropColumn('coupon_discount_paise');
  });
  await knex.schema.alterTable('order_items', (t) => {
    t.dropIndex(['offer_id'], 'order_items_offer_idx');
    t.dropColumn('offer_id');
    t.dropColumn('offer_name');
    t.dropColumn('coupon_discount_paise');
  });
  await knex.schema.alterTable('carts', (t) => t.dropColumn('coupon_code'));
  await knex.schema.dropTable('offer_redemptions');
  await knex.schema.dropTable('offer_products');
  await knex.schema.dropTable('offer_categories');
  await knex.schema.dropTable('offers');
}
