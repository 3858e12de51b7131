import { getCreateIndexesSQL, getCreateTableSQL, getDropTableSQL, getUpdateTimestampTriggerSQL } from '@agendajs/postgres-backend';
import type { Knex } from 'knex';

/**
 * The background jobs' table (agenda_jobs), created here with the Postgres backend's own SQL
 * rather than by each Agenda as it starts (src/scheduler.ts turns that off). Two workers booting
 * at the same moment on a new database used to race in that setup: one `CREATE TABLE IF NOT
 * EXISTS` fails on the table's row type, and that Agenda never becomes ready. Migrations run one
 * at a time (knex's lock), before any worker starts. IF NOT EXISTS keeps it a no-op where the
 * table was already made by an earlier release.
 */
const TABLE = 'agenda_jobs';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(getCreateTableSQL(TABLE));
  // Columns the backend added after its first schema (for a table an earlier release created).
  for (const column of ['start_date TIMESTAMPTZ', 'end_date TIMESTAMPTZ', 'skip_days JSONB']) await knex.raw(`ALTER TABLE "${TABLE}" ADD COLUMN IF NOT EXISTS ${column}`);
  for (const sql of getCreateIndexesSQL(TABLE)) await knex.raw(sql);
  await knex.raw(getUpdateTimestampTriggerSQL(TABLE));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(getDropTableSQL(TABLE));
  await knex.raw(`DROP FUNCTION IF EXISTS update_${TABLE}_updated_at()`);
}
