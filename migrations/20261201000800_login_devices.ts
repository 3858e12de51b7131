import type { Knex } from 'knex';

/**
 * Sign-in facts for the dashboards (login-devices).
 *
 * A device is the (device type, browser family, OS family) triple: not the IP (mobile networks
 * hand out a new one constantly) and not the full user agent (browsers update monthly, so every
 * update would look like a new device). `user_devices` keeps one row per user and triple, keyed
 * by a short hash of it (src/models/user-devices.ts deviceKey; the backfill below computes the
 * same hash in SQL), and `login_events.new_device` says whether that sign-in added the row.
 *
 * The dashboards read 90 days of sign-ins and failures grouped by IST day: covering indexes on
 * created_at answer them with index-only scans at a million rows. They replace the plain
 * created_at indexes, which they make redundant.
 *
 * Existing sign-ins are backfilled: families come from the stored "Chrome 126" / "Android 14"
 * strings with the version cut off (Windows versions such as "XP" are words, hence the CASE).
 */
const FAMILIES = `
  SELECT e.id, e.user_id, e.created_at, e.device_type,
         regexp_replace(coalesce(e.browser, ''), ' [0-9]+$', '') AS bf,
         CASE WHEN e.os ~ '^Windows( |$)' THEN 'Windows' ELSE regexp_replace(coalesce(e.os, ''), ' [0-9][0-9._]*$', '') END AS osf
  FROM login_events e`;
const KEY = `left(encode(sha256(convert_to(lower(f.device_type || '|' || f.bf || '|' || f.osf), 'UTF8')), 'hex'), 16)`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_devices', (t) => {
    t.bigIncrements('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('device_key', 16).notNullable();
    t.string('browser', 64); // family, no version: "Chrome"
    t.string('os', 64); // family, no version: "Android"
    t.string('device_type', 16).notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.integer('sign_in_count').notNullable().defaultTo(1);
    // Also serves "this user's devices": a user has a handful, sorted in memory.
    t.unique(['user_id', 'device_key'], { indexName: 'user_devices_user_key_unique' });
  });

  await knex.schema.alterTable('login_events', (t) => {
    t.boolean('new_device').notNullable().defaultTo(false);
  });

  await knex.raw(`
    INSERT INTO user_devices (user_id, device_key, browser, os, device_type, first_seen_at, last_seen_at, sign_in_count)
    SELECT f.user_id, ${KEY}, nullif(f.bf, ''), nullif(f.osf, ''), f.device_type, min(f.created_at), max(f.created_at), count(*)
    FROM (${FAMILIES}) f
    GROUP BY f.user_id, ${KEY}, f.bf, f.osf, f.device_type
    ON CONFLICT (user_id, device_key) DO NOTHING`);
  await knex.raw(`
    UPDATE login_events e SET new_device = true
    FROM (SELECT DISTINCT ON (f.user_id, ${KEY}) f.id FROM (${FAMILIES}) f ORDER BY f.user_id, ${KEY}, f.created_at, f.id) firsts
    WHERE e.id = firsts.id`);

  await knex.raw('CREATE INDEX login_events_created_at_cover_idx ON login_events (created_at) INCLUDE (user_id, device_type, browser, os, new_device)');
  await knex.raw('CREATE INDEX login_failures_created_at_cover_idx ON login_failures (created_at) INCLUDE (reason)');
  await knex.raw('DROP INDEX IF EXISTS login_events_created_at_index');
  await knex.raw('DROP INDEX IF EXISTS login_failures_created_at_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX IF NOT EXISTS login_failures_created_at_index ON login_failures (created_at)');
  await knex.raw('CREATE INDEX IF NOT EXISTS login_events_created_at_index ON login_events (created_at)');
  await knex.raw('DROP INDEX login_failures_created_at_cover_idx');
  await knex.raw('DROP INDEX login_events_created_at_cover_idx');
  await knex.schema.alterTable('login_events', (t) => {
    t.dropColumn('new_device');
  });
  await knex.schema.dropTable('user_devices');
}
