import type { Knex } from 'knex';

/**
 * Newsletter issues and offer campaigns, and one row per (issue, subscriber) recording what was
 * sent to whom. The send rows are the sending engine's ledger: recipients are materialised into
 * it once (in batches of subscriber ids, the cursor kept on the issue), then each row moves
 * pending → sending (committed before the SMTP call) → sent | failed | bounced, or → skipped when
 * the subscriber left the list in between. The issue keeps its counts (updated in the statement
 * that moves a row), so the admin list never counts a million rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('newsletter_issues', (t) => {
    t.bigIncrements('id').primary();
    // newsletter (written by hand) | offer (a campaign prefilled from a deal)
    t.string('kind', 16).notNullable().defaultTo('newsletter');
    t.integer('offer_id').references('offers.id').onDelete('SET NULL');
    t.string('subject', 150).notNullable();
    t.string('preheader', 200).notNullable().defaultTo('');
    t.text('body_md').notNullable().defaultTo('');
    // draft | scheduled | sending | sent | cancelled
    t.string('status', 16).notNullable().defaultTo('draft');
    t.timestamp('scheduled_at', { useTz: true });
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('cancelled_at', { useTz: true });
    // Recipients are copied in batches of subscriber ids: the last id copied, and when it ended.
    t.bigInteger('materialised_upto').notNullable().defaultTo(0);
    t.timestamp('materialised_at', { useTz: true });
    t.integer('recipient_count').notNullable().defaultTo(0);
    t.integer('sent_count').notNullable().defaultTo(0);
    t.integer('failed_count').notNullable().defaultTo(0);
    t.integer('bounced_count').notNullable().defaultTo(0);
    t.integer('skipped_count').notNullable().defaultTo(0);
    t.integer('created_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("kind IN ('newsletter', 'offer')", [], 'newsletter_issues_kind_check');
    t.check("status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", [], 'newsletter_issues_status_check');
    t.check("status <> 'scheduled' OR scheduled_at IS NOT NULL", [], 'newsletter_issues_scheduled_check');
  });
  // The job looks for due scheduled issues and for issues being sent: few rows, a small index.
  await knex.raw("CREATE INDEX newsletter_issues_due_idx ON newsletter_issues (status, scheduled_at) WHERE status IN ('scheduled', 'sending')");
  await knex.raw('CREATE INDEX newsletter_issues_offer_idx ON newsletter_issues (offer_id) WHERE offer_id IS NOT NULL');

  await knex.schema.createTable('newsletter_sends', (t) => {
    t.bigInteger('issue_id').notNullable().references('newsletter_issues.id').onDelete('CASCADE');
    t.bigInteger('subscriber_id').notNullable().references('newsletter_subscribers.id').onDelete('CASCADE');
    // pending | sending | sent | failed | bounced | skipped
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // When the row went to 'sending' (its SMTP call began): a stale one belongs to a dead worker.
    t.timestamp('sending_since', { useTz: true });
    t.timestamp('sent_at', { useTz: true });
    t.string('error', 500);
    t.primary(['issue_id', 'subscriber_id']);
    t.check("status IN ('pending', 'sending', 'sent', 'failed', 'bounced', 'skipped')", [], 'newsletter_sends_status_check');
  });
  // The sender's queue: only rows still to do are in it, in subscriber order.
  await knex.raw("CREATE INDEX newsletter_sends_todo_idx ON newsletter_sends (issue_id, subscriber_id) WHERE status IN ('pending', 'sending')");
  // The issue page's list of problems, without reading the sends that went well.
  await knex.raw("CREATE INDEX newsletter_sends_problems_idx ON newsletter_sends (issue_id, subscriber_id) WHERE status IN ('failed', 'bounced')");
  // "Which issues reached this subscriber" (deleting a subscriber cascades through it too).
  await knex.raw('CREATE INDEX newsletter_sends_subscriber_idx ON newsletter_sends (subscriber_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('newsletter_sends');
  await knex.schema.dropTable('newsletter_issues');
}
