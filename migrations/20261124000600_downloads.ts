import type { Knex } from 'knex';

/** Every download of a bought file: who, what, from where, when (for "Download History"). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('downloads', (t) => {
    t.bigIncrements('id').primary();
    t.integer('entitlement_id').notNullable().references('entitlements.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.integer('product_id').notNullable().references('products.id').onDelete('CASCADE');
    t.string('ip', 64).notNullable();
    t.string('user_agent', 512).notNullable().defaultTo('');
    t.string('browser', 64);
    t.string('os', 64);
    t.string('device_type', 16).notNullable().defaultTo('desktop');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('downloads');
}
