import type { Knex } from 'knex';

/**
 * Checkout: one pending order per user at a time (a partial unique index, so parallel "Pay"
 * clicks share it), Razorpay payments and webhook events with unique keys (so a retried or
 * duplicated delivery changes nothing twice), and download entitlements created at fulfilment.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.string('cart_fingerprint', 64);
    t.string('receipt', 40);
    t.string('failure_reason', 300);
    t.timestamp('fulfilled_at', { useTz: true });
    t.timestamp('refunded_at', { useTz: true });
  });
  await knex.raw("CREATE UNIQUE INDEX orders_one_pending_per_user ON orders (user_id) WHERE status = 'pending'");
  await knex.raw("CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending'");

  await knex.schema.createTable('payments', (t) => {
    t.increments('id').primary();
    t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE').index();
    t.string('razorpay_payment_id', 64).notNullable().unique();
    t.string('status', 16).notNullable();
    t.integer('amount_paise').notNullable();
    t.string('currency', 3).notNullable();
    t.string('method', 32);
    t.string('error_code', 64);
    t.string('error_description', 300);
    t.timestamps(true, true, false);
  });

  await knex.schema.createTable('webhook_events', (t) => {
    t.increments('id').primary();
    t.string('event_id', 100).notNullable().unique();
    t.string('event', 64).notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.string('error', 300);
  });

  await knex.schema.createTable('entitlements', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
    t.integer('product_id').notNullable().references('products.id').onDelete('RESTRICT');
    t.integer('max_downloads').notNullable();
    t.integer('download_count').notNullable().defaultTo(0);
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['order_id', 'product_id']);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('entitlements');
  await knex.schema.dropTable('webhook_events');
  await knex.schema.dropTable('payments');
  await knex.raw('DROP INDEX IF EXISTS orders_pending_created_idx');
  await knex.raw('DROP INDEX IF EXISTS orders_one_pending_per_user');
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumns('cart_fingerprint', 'receipt', 'failure_reason', 'fulfilled_at', 'refunded_at');
  });
}
