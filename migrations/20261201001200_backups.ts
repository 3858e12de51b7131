import type { Knex } from 'knex';

/**
 * Database backups (issue 14, items 4–6): one row per backup made by the app's own logical dump
 * (src/services/backup-dump.ts), with its storage key, size, checksum and the result of the
 * weekly restore drill. `slot` makes the daily backup run once however many workers start it
 * ("daily:2026-12-01", claimed with INSERT … ON CONFLICT DO NOTHING; "manual:…" for the rest),
 * and a partial unique index lets only one backup run at a time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('backups', (t) => {
    t.bigIncrements('id').primary();
    t.string('slot', 80).notNullable().unique();
    t.string('trigger', 16).notNullable(); // scheduled | manual | cli
    t.string('status', 16).notNullable().defaultTo('running'); // running | done | failed | deleted
    t.string('storage', 8).notNullable(); // s3 | local
    t.string('key', 300).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.bigInteger('size_bytes');
    t.string('sha256', 64);
    t.bigInteger('row_count');
    t.jsonb('table_counts');
    t.string('schema_version', 200);
    t.text('error');
    t.bigInteger('requested_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('verified_at', { useTz: true });
    t.string('drill_status', 16); // passed | failed
    t.timestamp('drilled_at', { useTz: true });
    t.text('drill_detail');
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.raw("ALTER TABLE backups ADD CONSTRAINT backups_status_check CHECK (status IN ('running', 'done', 'failed', 'deleted'))");
  await knex.raw("ALTER TABLE backups ADD CONSTRAINT backups_trigger_check CHECK (trigger IN ('scheduled', 'manual', 'cli'))");
  await knex.raw("ALTER TABLE backups ADD CONSTRAINT backups_drill_check CHECK (drill_status IS NULL OR drill_status IN ('passed', 'failed'))");
  // At most one backup running at a time (a second "Back up now" is refused).
  await knex.raw("CREATE UNIQUE INDEX backups_one_running ON backups ((true)) WHERE status = 'running'");
  // The admin list (newest first, keyset) and retention (done backups by time).
  await knex.raw('CREATE INDEX backups_started_idx ON backups (started_at DESC, id DESC)');
  await knex.raw("CREATE INDEX backups_done_idx ON backups (started_at DESC) WHERE status = 'done'");
  await knex.raw('CREATE INDEX backups_requested_by_idx ON backups (requested_by) WHERE requested_by IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backups');
}
