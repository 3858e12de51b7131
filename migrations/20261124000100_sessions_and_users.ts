import type { Knex } from 'knex';

/** Sessions (connect-pg-simple's table) and the user accounts they point at. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS citext');

  // connect-pg-simple's schema; the prune job deletes expired rows by the `expire` index.
  await knex.schema.createTable('session', (t) => {
    t.string('sid').primary();
    t.json('sess').notNullable();
    t.timestamp('expire', { precision: 6, useTz: false }).notNullable().index('session_expire_idx');
  });

  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.specificType('email', 'citext').notNullable().unique();
    t.string('name', 100).notNullable();
    t.text('password_hash').notNullable();
    t.string('role', 16).notNullable().defaultTo('user');
    t.timestamp('email_verified_at', { useTz: true });
    t.timestamps(true, true, false);
    t.check("role IN ('user', 'admin')", [], 'users_role_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
  await knex.schema.dropTable('session');
}
