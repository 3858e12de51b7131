import type { Knex } from 'knex';

/**
 * The money path's loose ends: refunds recorded one row per Razorpay refund id (partial refunds
 * add up instead of ending the order), orders that a person must look at (an amount mismatch
 * stops automatic handling), what became of each webhook event, and alerts for the owner
 * (written here, delivered to Discord/Slack by the alerts job).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.integer('refunded_paise').notNullable().defaultTo(0);
    t.string('attention_reason', 300);
    t.timestamp('attention_at', { useTz: true });
  });
  await knex.raw('ALTER TABLE orders ADD CONSTRAINT orders_refunded_check CHECK (refunded_paise >= 0)');

  await knex.schema.createTable('refunds', (t) => {
    t.increments('id').primary();
    t.string('razorpay_refund_id', 64).notNullable().unique();
    t.string('razorpay_payment_id', 64).notNullable().index();
    // Null for a refund of a payment this store has no record of: kept, and an alert raised.
    t.integer('order_id').references('orders.id').onDelete('SET NULL').index();
    t.integer('amount_paise').notNullable();
    t.string('currency', 3).notNullable();
    t.string('status', 16).notNullable();
    t.timestamp('processed_at', { useTz: true });
    t.timestamps(true, true, false);
    t.check("status IN ('pending', 'processed', 'failed')", [], 'refunds_status_check');
    t.check('amount_paise > 0', [], 'refunds_amount_check');
  });

  await knex.schema.alterTable('webhook_events', (t) => {
    // What handling concluded: applied, ignored, unknown_order, malformed, unmatched_refund …
    t.string('outcome', 40);
  });

  await knex.schema.createTable('alerts', (t) => {
    t.bigIncrements('id').primary();
    t.string('kind', 40).notNullable();
    t.string('fingerprint', 200).notNullable();
    t.string('title', 200).notNullable();
    t.jsonb('detail').notNullable().defaultTo('{}');
    t.integer('occurrences').notNullable().defaultTo(1);
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('last_error', 300);
    t.timestamp('sent_at', { useTz: true });
    t.check("status IN ('pending', 'sent', 'failed')", [], 'alerts_status_check');
    t.index(['kind', 'fingerprint']);
    t.index(['first_seen_at']);
  });
  // Repeats of an alert not yet sent fold into its row (one message "12 failed payments …").
  await knex.raw("CREATE UNIQUE INDEX alerts_one_pending ON alerts (kind, fingerprint) WHERE status = 'pending'");
  await knex.raw('CREATE INDEX orders_attention_idx ON orders (attention_at) WHERE attention_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS orders_attention_idx');
  await knex.schema.dropTable('alerts');
  await knex.schema.alterTable('webhook_events', (t) => t.dropColumn('outcome'));
  await knex.schema.dropTable('refunds');
  await knex.raw('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_refunded_check');
  await knex.schema.alterTable('orders', (t) => t.dropColumns('refunded_paise', 'attention_reason', 'attention_at'));
}
