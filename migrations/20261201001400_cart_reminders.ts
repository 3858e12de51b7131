import type { Knex } from 'knex';

/**
 * Abandoned-cart reminders.
 *
 * `carts.changed_at` is the cart's version: the time of the signed-in shopper's last add, remove
 * or merge. It is copied from `cart_events.created_at` by a trigger, so it carries the app's
 * clock (the one every other time check uses) and needs no change in the cart code.
 * `carts.updated_at` is not enough: a remove never touches it, and it is the database's now().
 * A coupon change is not a new version (applying the reminder's own code must not restart it).
 *
 * `cart_reminders` has one row per reminder sent, and is what the analytics dashboard counts:
 *   id                    the reminder (its return link is signed over this id)
 *   cart_id, user_id      whose cart
 *   step                  1 (after CART_REMINDER_FIRST_MINUTES) or 2 (after CART_REMINDER_SECOND_HOURS)
 *   cart_changed_at       the cart version it reminds of; unique with cart_id and step, so two
 *                         workers racing insert one row and queue one mail
 *   sent_at               when it was queued (index: reminders sent per day)
 *   outbox_id             its email_outbox row (no foreign key: sent mail is pruned)
 *   item_count, cart_total_paise   the cart as the mail showed it (priced now, coupon included)
 *   coupon_code           the code the mail offered and the link applies, if any
 *   clicked_at            first time the return link was opened
 *   recovered_order_id, recovered_at, recovered_total_paise
 *                         the user's first paid order within 7 days after this reminder
 *                         (index on recovered_at: recovered carts and value per day)
 * `cart_reminder_opt_outs`: users who turned reminders off (one-click unsubscribe or its page).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('carts', (t) => {
    t.timestamp('changed_at', { useTz: true });
  });
  // Existing carts: their last event, or their last update when they have none.
  await knex.raw(`UPDATE carts c SET changed_at = coalesce((SELECT max(e.created_at) FROM cart_events e WHERE e.user_id = c.user_id), c.updated_at)`);
  // The job's scan: carts whose last change falls in a window, walked in (changed_at, id) order.
  await knex.raw('CREATE INDEX carts_changed_at_idx ON carts (changed_at, id) WHERE changed_at IS NOT NULL');

  await knex.raw(`
    CREATE FUNCTION cart_reminders_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE carts SET changed_at = NEW.created_at
      WHERE user_id = NEW.user_id AND (changed_at IS NULL OR changed_at < NEW.created_at);
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER cart_events_note_change AFTER INSERT ON cart_events FOR EACH ROW WHEN (NEW.user_id IS NOT NULL) EXECUTE FUNCTION cart_reminders_note_change()`);

  await knex.schema.createTable('cart_reminders', (t) => {
    t.bigIncrements('id').primary();
    t.integer('cart_id').notNullable().references('carts.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.smallint('step').notNullable();
    t.timestamp('cart_changed_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true }).notNullable();
    t.bigInteger('outbox_id');
    t.smallint('item_count').notNullable().defaultTo(0);
    t.integer('cart_total_paise').notNullable().defaultTo(0);
    t.string('coupon_code', 40);
    t.timestamp('clicked_at', { useTz: true });
    t.integer('recovered_order_id').references('orders.id').onDelete('SET NULL');
    t.timestamp('recovered_at', { useTz: true });
    t.integer('recovered_total_paise');
    t.unique(['cart_id', 'cart_changed_at', 'step'], { indexName: 'cart_reminders_version_step_key' });
    t.check('step IN (1, 2)', [], 'cart_reminders_step_check');
  });
  // The 30-day cap and the next step, per cart.
  await knex.raw('CREATE INDEX cart_reminders_cart_sent_idx ON cart_reminders (cart_id, sent_at)');
  // Analytics: sent per day, recovered per day.
  await knex.raw('CREATE INDEX cart_reminders_sent_at_idx ON cart_reminders (sent_at)');
  await knex.raw('CREATE INDEX cart_reminders_recovered_at_idx ON cart_reminders (recovered_at) WHERE recovered_at IS NOT NULL');
  // The recovery scan: recent reminders not yet matched to an order.
  await knex.raw('CREATE INDEX cart_reminders_unrecovered_idx ON cart_reminders (sent_at) INCLUDE (user_id) WHERE recovered_order_id IS NULL');
  await knex.raw('CREATE INDEX cart_reminders_order_idx ON cart_reminders (recovered_order_id) WHERE recovered_order_id IS NOT NULL');

  await knex.schema.createTable('cart_reminder_opt_outs', (t) => {
    t.integer('user_id').primary().references('users.id').onDelete('CASCADE');
    t.string('source', 20).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.check("source IN ('one-click', 'unsubscribe-page')", [], 'cart_reminder_opt_outs_source_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('cart_reminder_opt_outs');
  await knex.schema.dropTable('cart_reminders');
  await knex.raw('DROP TRIGGER IF EXISTS cart_events_note_change ON cart_events');
  await knex.raw('DROP FUNCTION IF EXISTS cart_reminders_note_change()');
  await knex.raw('DROP INDEX IF EXISTS carts_changed_at_idx');
  await knex.schema.alterTable('carts', (t) => t.dropColumn('changed_at'));
}
