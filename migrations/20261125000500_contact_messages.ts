import type { Knex } from 'knex';

/** Messages from the contact form: kept for the support team (and the admin area later), mailed on arrival. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contact_messages', (t) => {
    t.increments('id').primary();
    t.integer('user_id').references('users.id').onDelete('SET NULL');
    t.string('name', 100).notNullable();
    t.string('email', 254).notNullable();
    t.string('topic', 24).notNullable();
    t.integer('order_id');
    t.text('message').notNullable();
    t.string('ip', 64);
    t.string('status', 16).notNullable().defaultTo('new');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.check("topic IN ('order', 'refund', 'product', 'other')", [], 'contact_messages_topic_check');
    t.check("status IN ('new', 'answered', 'spam')", [], 'contact_messages_status_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('contact_messages');
}
