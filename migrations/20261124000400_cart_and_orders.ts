import type { Knex } from 'knex';

/**
 * Carts of signed-in users (one per user, one line per product), cart events for the
 * abandonment charts, and the orders a purchase creates. Orders are laid down here because the
 * cart must refuse products a user already owns (a paid order item); checkout fills them in.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('carts', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().unique().references('users.id').onDelete('CASCADE');
    t.timestamps(true, true, false);
  });

  await knex.schema.createTable('cart_items', (t) => {
    t.increments('id').primary();
    t.integer('cart_id').notNullable().references('carts.id').onDelete('CASCADE');
    t.integer('product_id').notNullable().references('products.id').onDelete('CASCADE');
    t.smallint('quantity').notNullable().defaultTo(1);
    t.timestamp('added_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['cart_id', 'product_id']);
    t.check('quantity BETWEEN 1 AND 10', [], 'cart_items_quantity_check');
  });

  await knex.schema.createTable('cart_events', (t) => {
    t.bigIncrements('id').primary();
    t.integer('user_id').references('users.id').onDelete('SET NULL');
    t.string('anonymous_id', 64);
    t.integer('product_id').references('products.id').onDelete('SET NULL');
    t.string('action', 16).notNullable();
    t.smallint('quantity');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.index(['user_id', 'created_at']);
    t.check("action IN ('add', 'remove', 'merge')", [], 'cart_events_action_check');
    t.check('user_id IS NOT NULL OR anonymous_id IS NOT NULL', [], 'cart_events_actor_check');
  });

  await knex.schema.createTable('orders', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('RESTRICT');
    t.string('status', 16).notNullable().defaultTo('pending');
    t.string('currency', 3).notNullable().defaultTo('INR');
    t.integer('subtotal_paise').notNullable();
    t.integer('discount_paise').notNullable().defaultTo(0);
    t.integer('total_paise').notNullable();
    t.string('razorpay_order_id', 64).unique();
    t.timestamp('paid_at', { useTz: true });
    t.timestamps(true, true, false);
    t.index(['user_id', 'created_at']);
    t.check("status IN ('pending', 'paid', 'failed', 'refunded', 'expired')", [], 'orders_status_check');
    t.check('total_paise >= 0 AND subtotal_paise >= 0 AND discount_paise >= 0', [], 'orders_amounts_check');
  });

  await knex.schema.createTable('order_items', (t) => {
    t.increments('id').primary();
    t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
    t.integer('product_id').notNullable().references('products.id').onDelete('RESTRICT');
    // Copied at purchase time: later catalog edits never change a past order.
    t.string('title', 160).notNullable();
    t.integer('unit_price_paise').notNullable();
    t.smallint('discount_percent').notNullable().defaultTo(0);
    t.integer('sale_price_paise').notNullable();
    t.smallint('quantity').notNullable().defaultTo(1);
    t.integer('line_total_paise').notNullable();
    t.string('license_type', 16).notNullable();
    t.unique(['order_id', 'product_id']);
    t.index(['product_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_items');
  await knex.schema.dropTable('orders');
  await knex.schema.dropTable('cart_events');
  await knex.schema.dropTable('cart_items');
  await knex.schema.dropTable('carts');
}
