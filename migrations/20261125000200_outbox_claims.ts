import type { Knex } from 'knex';

/**
 * The outbox sends outside any transaction: a sender claims a message (status `sending` until
 * `claimed_until`), sends, then marks it. A sender that died leaves a claim that expires, and the
 * retry job picks the message up again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_outbox', (t) => {
    t.timestamp('claimed_until', { useTz: true });
  });
  await knex.raw('ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_status_check');
  await knex.raw("ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_check CHECK (status IN ('pending', 'sending', 'sent', 'failed'))");
  await knex.raw("CREATE INDEX email_outbox_claimed_idx ON email_outbox (claimed_until) WHERE status = 'sending'");
  // The retention job deletes sent mail by age.
  await knex.raw("CREATE INDEX email_outbox_sent_idx ON email_outbox (sent_at) WHERE status = 'sent'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS email_outbox_sent_idx');
  await knex.raw('DROP INDEX IF EXISTS email_outbox_claimed_idx');
  await knex.raw("UPDATE email_outbox SET status = 'pending' WHERE status = 'sending'");
  await knex.raw('ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_status_check');
  await knex.raw("ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_check CHECK (status IN ('pending', 'sent', 'failed'))");
  await knex.schema.alterTable('email_outbox', (t) => t.dropColumn('claimed_until'));
}
