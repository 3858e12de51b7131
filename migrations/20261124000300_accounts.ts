import type { Knex } from 'knex';

/**
 * Accounts: email verification, password reset and one-time codes (user_tokens, hashed), TOTP and
 * email two-factor, recovery codes (hashed), login analytics, a shared rate-limit table, and the
 * email outbox that makes mail survive an SMTP outage.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.text('totp_secret_enc'); // AES-256-GCM, never sent to the browser again after setup
    t.text('totp_pending_secret_enc'); // set during enrolment until a first code confirms it
    t.timestamp('totp_enabled_at', { useTz: true });
    t.bigInteger('totp_last_step'); // the last 30-second step accepted, so a code works once
    t.timestamp('email_otp_enabled_at', { useTz: true });
    t.timestamp('password_changed_at', { useTz: true });
  });

  // Which user a session belongs to, derived from passport's data, so "sign out my other
  // sessions" and "a reset signs out everywhere" are one indexed DELETE.
  await knex.raw(`
    ALTER TABLE session ADD COLUMN user_id integer GENERATED ALWAYS AS (
      CASE WHEN (sess::jsonb -> 'passport' ->> 'user') ~ '^[0-9]{1,9}$'
           THEN (sess::jsonb -> 'passport' ->> 'user')::integer END
    ) STORED;
    CREATE INDEX session_user_id_idx ON session (user_id) WHERE user_id IS NOT NULL;
  `);

  await knex.schema.createTable('user_tokens', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('purpose', 24).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.smallint('attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'purpose']);
    t.check("purpose IN ('verify_email', 'reset_password', 'email_otp')", [], 'user_tokens_purpose_check');
  });

  await knex.schema.createTable('recovery_codes', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE').index();
    t.string('code_hash', 64).notNullable().unique();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('login_events', (t) => {
    t.bigIncrements('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('ip', 64).notNullable();
    t.string('user_agent', 512).notNullable().defaultTo('');
    t.string('browser', 64);
    t.string('os', 64);
    t.string('device_type', 16).notNullable().defaultTo('desktop');
    t.string('method', 24).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.index(['user_id', 'created_at']);
  });

  // Failed attempts, for analytics and abuse review. Never the password.
  await knex.schema.createTable('login_failures', (t) => {
    t.bigIncrements('id').primary();
    t.specificType('email', 'citext').notNullable();
    t.integer('user_id').references('users.id').onDelete('CASCADE');
    t.string('ip', 64).notNullable();
    t.string('reason', 32).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
  });

  // rate-limiter-flexible's schema (tableCreated: true), shared by every web process.
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire');
  });

  await knex.schema.createTable('email_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('to_address', 320).notNullable();
    t.string('subject', 300).notNullable();
    t.text('html').notNullable();
    t.text('text').notNullable();
    t.string('template', 64).notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('last_error');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("status IN ('pending', 'sent', 'failed')", [], 'email_outbox_status_check');
  });
  await knex.raw("CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_outbox');
  await knex.schema.dropTable('rate_limits');
  await knex.schema.dropTable('login_failures');
  await knex.schema.dropTable('login_events');
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('user_tokens');
  await knex.raw('ALTER TABLE session DROP COLUMN user_id');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumns('totp_secret_enc', 'totp_pending_secret_enc', 'totp_enabled_at', 'totp_last_step', 'email_otp_enabled_at', 'password_changed_at');
  });
}
