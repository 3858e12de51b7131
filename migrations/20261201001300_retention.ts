import type { Knex } from 'knex';

/**
 * Retention (src/services/retention-service.ts): the nightly run deletes old rows a batch at a
 * time, oldest first, each batch found through an index on its cut-off column. The tables whose
 * cut-off column had none get one here; each is partial, so it holds only the rows that can ever
 * be deleted by it. `retention_runs` holds one row per India day, claimed by the one worker that
 * runs that night's pass (INSERT … ON CONFLICT DO NOTHING), with what it deleted.
 */
export async function up(knex: Knex): Promise<void> {
  // Processed webhook events (never unprocessed ones, which Razorpay's retries still need).
  await knex.raw('CREATE INDEX webhook_events_processed_idx ON webhook_events (processed_at) WHERE processed_at IS NOT NULL');
  // Delivered alerts (sent to the channels, or logged when none is configured).
  await knex.raw("CREATE INDEX alerts_dispatched_idx ON alerts (sent_at) WHERE status IN ('sent', 'logged')");
  // email_outbox needs none: sent mail goes by email_outbox_sent_idx, given-up mail by
  // email_outbox_unsent_idx (20261201001100_alert_delivery).
  await knex.schema.createTable('retention_runs', (t) => {
    t.date('day').primary();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    // Rows deleted per table, and whether the pass finished within its time budget.
    t.jsonb('deleted');
    t.boolean('complete');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('retention_runs');
  for (const i of ['alerts_dispatched_idx', 'webhook_events_processed_idx']) await knex.raw(`DROP INDEX IF EXISTS ${i}`);
}
