import type { Knex } from 'knex';

/**
 * Newsletter subscribers (double opt-in) and their consent records, plus optional per-message
 * headers on the mail outbox (List-Unsubscribe and List-Unsubscribe-Post on newsletter mail).
 * Built for a million subscribers: the admin list walks (status, id) or the primary key, a search
 * is an email prefix through a text_pattern_ops index, the counts per status are one grouped
 * index-only scan, and growth reads the confirmed_at index for 30 days only.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('newsletter_subscribers', (t) => {
    t.bigIncrements('id').primary();
    // Stored normalized (trimmed, NFC, lower-case); citext so a lookup ignores case anyway.
    t.specificType('email', 'citext').notNullable().unique();
    t.string('status', 16).notNullable().defaultTo('pending');
    // Where the first request came from: footer, home, page, signup.
    t.string('source', 16).notNullable();
    // Signs this subscriber's unsubscribe links (HMAC over id and nonce); never shown alone.
    t.string('unsubscribe_nonce', 32).notNullable();
    // The pending confirmation link, only as a SHA-256 hash; cleared once used.
    t.string('confirm_token_hash', 64);
    t.timestamp('confirm_expires_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('confirmed_at', { useTz: true });
    t.timestamp('unsubscribed_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("status IN ('pending', 'subscribed', 'unsubscribed', 'bounced')", [], 'newsletter_subscribers_status_check');
  });
  await knex.raw('CREATE INDEX newsletter_subscribers_status_idx ON newsletter_subscribers (status, id DESC)');
  await knex.raw('CREATE INDEX newsletter_subscribers_email_prefix_idx ON newsletter_subscribers ((email::text) text_pattern_ops)');
  await knex.raw('CREATE INDEX newsletter_subscribers_confirmed_idx ON newsletter_subscribers (confirmed_at) WHERE confirmed_at IS NOT NULL');
  await knex.raw('CREATE UNIQUE INDEX newsletter_subscribers_confirm_token_idx ON newsletter_subscribers (confirm_token_hash) WHERE confirm_token_hash IS NOT NULL');

  // One row per consent event: what the person agreed to (or withdrew), when, from where.
  await knex.schema.createTable('newsletter_consents', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('subscriber_id').notNullable().references('newsletter_subscribers.id').onDelete('CASCADE');
    t.specificType('email', 'citext').notNullable();
    // requested, confirmed, unsubscribed, removed (by an admin)
    t.string('action', 16).notNullable();
    // footer, home, page, signup, confirm-link, one-click, unsubscribe-page, admin
    t.string('source', 20).notNullable();
    t.string('ip', 64);
    t.string('user_agent', 300);
    // The words shown next to the form, and their version, exactly as agreed to.
    t.string('consent_text', 500).notNullable().defaultTo('');
    t.string('consent_version', 20).notNullable().defaultTo('');
    t.integer('actor_id').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("action IN ('requested', 'confirmed', 'unsubscribed', 'removed')", [], 'newsletter_consents_action_check');
  });
  await knex.raw('CREATE INDEX newsletter_consents_subscriber_idx ON newsletter_consents (subscriber_id, created_at DESC, id DESC)');

  // Optional headers per message (e.g. List-Unsubscribe), passed to nodemailer's `headers`.
  await knex.schema.alterTable('email_outbox', (t) => {
    t.jsonb('headers');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_outbox', (t) => {
    t.dropColumn('headers');
  });
  await knex.schema.dropTable('newsletter_consents');
  await knex.schema.dropTable('newsletter_subscribers');
}
