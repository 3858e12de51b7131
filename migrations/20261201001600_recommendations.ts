import type { Knex } from 'knex';

/**
 * Recommendations, recomputed by the `recompute-recommendations` job (or `npm run
 * recommendations`) from product views, cart adds and paid orders:
 *  - product_recommendations: each product's top neighbours, read by the product page, the cart
 *    and "Recommended for you" with one index range per product (the primary key). A run
 *    replaces a product's rows delete+insert in one transaction per batch of products, so a
 *    reader sees a product's old list or its new one, never half of each; `run_id` marks the run
 *    that wrote a row, and rows of products a later run no longer lists are swept after it.
 *  - recommendation_trending: the few products trending now (views, adds and purchases of the
 *    last 14 days, decayed), for guests and new accounts; replaced whole in one transaction.
 *  - recommendation_runs: one row per run (when, how long, how much), for the log and the note.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('product_recommendations', (t) => {
    // No foreign keys: a run writes millions of rows, and two FK checks per row would double its
    // time. Every read joins products (shown, not archived), so a row left by a deleted product
    // is never seen, and the next run's sweep removes it.
    t.integer('product_id').notNullable();
    t.smallint('rank').notNullable();
    t.integer('neighbor_id').notNullable();
    t.specificType('score', 'real').notNullable();
    t.specificType('behaviour_score', 'real').notNullable();
    t.specificType('content_score', 'real').notNullable();
    t.string('reason', 16).notNullable();
    t.integer('run_id').notNullable();
    t.primary(['product_id', 'rank']);
    t.check("reason IN ('bought_together', 'viewed_together', 'similar')", [], 'product_recommendations_reason_check');
  });
  // The sweep of rows a newer run did not rewrite.
  await knex.raw('CREATE INDEX product_recommendations_run_idx ON product_recommendations (run_id)');

  await knex.schema.createTable('recommendation_trending', (t) => {
    t.smallint('rank').primary();
    t.integer('product_id').notNullable().references('products.id').onDelete('CASCADE');
    t.specificType('score', 'real').notNullable();
  });

  await knex.schema.createTable('recommendation_runs', (t) => {
    t.increments('id').primary();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.integer('products').notNullable().defaultTo(0);
    t.integer('neighbours').notNullable().defaultTo(0);
    t.integer('signals').notNullable().defaultTo(0);
    t.integer('duration_ms');
    t.integer('peak_rss_mb');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recommendation_runs');
  await knex.schema.dropTable('recommendation_trending');
  await knex.schema.dropTable('product_recommendations');
}
