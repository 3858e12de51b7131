import type { Knex } from 'knex';

/**
 * Analytics: one row per India day, metric and dimension, kept by the rollup-analytics job from
 * the raw tables (orders, refunds, payments, cart events, product views, sign-ins). Dashboards
 * read a 90-day range as at most a few thousand of these rows, whatever the raw tables hold;
 * today, still changing, is computed live from the raw rows of that one day.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('analytics_daily', (t) => {
    t.date('day').notNullable();
    t.string('metric', 48).notNullable();
    // A breakdown ("mobile", a product id, a failure reason); '' for the day's total.
    t.string('dim', 120).notNullable().defaultTo('');
    t.bigInteger('value').notNullable();
    t.primary(['metric', 'day', 'dim']);
  });
  // When each day was last rolled up (the job re-rolls recent days and fills gaps).
  await knex.schema.createTable('analytics_rollup_days', (t) => {
    t.date('day').primary();
    t.timestamp('rolled_at', { useTz: true }).notNullable();
  });
  // The raw reads of one day, by index.
  await knex.raw("CREATE INDEX orders_paid_at_idx ON orders (paid_at) INCLUDE (user_id, total_paise) WHERE paid_at IS NOT NULL");
  await knex.raw("CREATE INDEX refunds_processed_idx ON refunds (processed_at) INCLUDE (amount_paise) WHERE status = 'processed'");
  await knex.raw("CREATE INDEX payments_failed_idx ON payments (created_at) INCLUDE (error_code) WHERE status = 'failed'");
  await knex.raw('CREATE INDEX orders_user_paid_idx ON orders (user_id, paid_at) WHERE paid_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  for (const i of ['orders_user_paid_idx', 'payments_failed_idx', 'refunds_processed_idx', 'orders_paid_at_idx']) await knex.raw(`DROP INDEX IF EXISTS ${i}`);
  await knex.schema.dropTable('analytics_rollup_days');
  await knex.schema.dropTable('analytics_daily');
}
