import type { Knex } from 'knex';

/**
 * The logins and cart-abandonment dashboards and the admins' daily digest (issue 13).
 *
 * - A guest cart joins the account that pays for it through the merge at sign-in, which now
 *   records the browser's anonymous id: "the account this browser id was merged into" is read
 *   by the partial index below.
 * - admin_digests has one row per India day: the digest job claims the day with an insert, so
 *   two workers never send it twice.
 * - users.admin_digest_opt_out: an admin who does not want the morning email.
 * - analytics_daily.rank: a breakdown row's place among its day's rows of the same metric (1 =
 *   largest). A 90-day "most abandoned products" list would otherwise sum up to 100,000 rows a
 *   day; candidates come from each day's top rows (the partial index), and the candidates' exact
 *   sums from the (metric, dim, day) index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX cart_events_anonymous_created_idx ON cart_events (anonymous_id, created_at) WHERE anonymous_id IS NOT NULL');
  await knex.schema.alterTable('analytics_daily', (t) => {
    t.integer('rank');
  });
  await knex.raw("CREATE INDEX analytics_daily_top_idx ON analytics_daily (metric, day) INCLUDE (dim, value) WHERE rank <= 200 AND dim <> ''");
  await knex.raw('CREATE INDEX analytics_daily_dim_idx ON analytics_daily (metric, dim, day) INCLUDE (value)');
  // Days rolled up before this migration lack the new metrics: forget them, so the job (62 days
  // a run) and the dashboards (on demand) roll them again, and retention, which deletes raw
  // events only of rolled-up days, keeps those events until then.
  await knex('analytics_rollup_days').delete();
  // Their rows get a rank all the same, for the time until they are rolled again.
  await knex.raw(`UPDATE analytics_daily a SET rank = r.rank FROM (
    SELECT metric, day, dim, row_number() OVER (PARTITION BY metric, day ORDER BY value DESC, dim) AS rank FROM analytics_daily WHERE dim <> '') r
    WHERE a.metric = r.metric AND a.day = r.day AND a.dim = r.dim`);
  await knex.schema.alterTable('users', (t) => {
    t.boolean('admin_digest_opt_out').notNullable().defaultTo(false);
  });
  await knex.schema.createTable('admin_digests', (t) => {
    t.date('day').primary(); // the India day the digest is about (yesterday when sent)
    t.timestamp('claimed_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true });
    t.integer('recipients').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_digests');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('admin_digest_opt_out');
  });
  await knex.raw('DROP INDEX IF EXISTS cart_events_anonymous_created_idx');
  await knex.raw('DROP INDEX IF EXISTS analytics_daily_top_idx');
  await knex.raw('DROP INDEX IF EXISTS analytics_daily_dim_idx');
  await knex.schema.alterTable('analytics_daily', (t) => {
    t.dropColumn('rank');
  });
}
