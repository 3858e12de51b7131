import type { Knex } from 'knex';

/**
 * Alert delivery (issue 14): an alert row is dispatched once (status `sent`, or `logged` when no
 * webhook is configured), and each configured channel gets its own delivery row with its own
 * retries, so Discord being down never holds Slack back. A channel told to wait (429) stores
 * when it may be used again, in the database, so every worker respects it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE alerts DROP CONSTRAINT alerts_status_check');
  await knex.raw("ALTER TABLE alerts ADD CONSTRAINT alerts_status_check CHECK (status IN ('pending', 'sent', 'failed', 'logged'))");
  await knex.schema.alterTable('alerts', (t) => {
    // Alerts beyond a storm's cap are listed in one summary alert instead of their own message.
    t.bigInteger('folded_into').references('alerts.id').onDelete('SET NULL');
  });
  // The job's scan of what waits, and "when was this kind and fingerprint last sent" (the dedupe window).
  await knex.raw("CREATE INDEX alerts_pending_idx ON alerts (id) WHERE status = 'pending'");
  await knex.raw('CREATE INDEX alerts_last_sent_idx ON alerts (kind, fingerprint, sent_at DESC) WHERE sent_at IS NOT NULL');

  await knex.schema.createTable('alert_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('alert_id').notNullable().references('alerts.id').onDelete('CASCADE');
    t.string('channel', 16).notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    // A sender's claim: another may take the row over once it has passed (the sender died).
    t.timestamp('claimed_until', { useTz: true });
    t.integer('last_status_code');
    t.string('last_error', 300);
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['alert_id', 'channel']);
    t.check("status IN ('pending', 'sent', 'failed', 'given_up')", [], 'alert_deliveries_status_check');
    t.check("channel IN ('discord', 'slack')", [], 'alert_deliveries_channel_check');
  });
  await knex.raw("CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (channel, next_attempt_at, id) WHERE status IN ('pending', 'failed')");

  await knex.schema.createTable('alert_channels', (t) => {
    t.string('channel', 16).primary();
    // Not before this instant (a 429's Retry-After / retry_after).
    t.timestamp('blocked_until', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  // The stuck-mail check: unsent mail by age.
  await knex.raw("CREATE INDEX email_outbox_unsent_idx ON email_outbox (created_at) WHERE status <> 'sent'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS email_outbox_unsent_idx');
  await knex.schema.dropTable('alert_channels');
  await knex.schema.dropTable('alert_deliveries');
  await knex.raw('DROP INDEX IF EXISTS alerts_last_sent_idx');
  await knex.raw('DROP INDEX IF EXISTS alerts_pending_idx');
  await knex.schema.alterTable('alerts', (t) => t.dropColumn('folded_into'));
  await knex.raw("UPDATE alerts SET status = 'sent' WHERE status = 'logged'");
  await knex.raw('ALTER TABLE alerts DROP CONSTRAINT alerts_status_check');
  await knex.raw("ALTER TABLE alerts ADD CONSTRAINT alerts_status_check CHECK (status IN ('pending', 'sent', 'failed'))");
}
